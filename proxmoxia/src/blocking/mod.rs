//! A blocking client (cargo feature `blocking`): the async [`crate::Client`]'s API for
//! programs without an async runtime. It owns its runtime (a current-thread tokio runtime on
//! a thread of its own, as `reqwest::blocking` does) and runs every call there, blocking the
//! caller until the answer is in.
//!
//! Typed calls use the same handle tree as the async client (the client derefs to it): build
//! the request as usual and give it to [`Client::call`] instead of awaiting it. Anything
//! awaitable that answers a [`Result`] runs that way, raw calls included:
//!
//! ```no_run
//! # fn demo() -> proxmoxia::Result<()> {
//! let client = proxmoxia::blocking::Client::builder("pve1.example.com")
//!     .fingerprint("AB:CD:EF:...")
//!     .build()?;
//! client.login("root@pam", "secret")?;
//!
//! let vms = client.call(client.nodes("pve1").get_qemu())?;
//! let version = client.call(client.raw("version").get(()))?;
//!
//! // A call answering a task id: `call_task` gives a blocking task handle.
//! let task = client.call_task(client.nodes("pve1").qemu(101).status().start().post())?;
//! for event in task.follow() {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```
//!
//! Calls made inside an async runtime (a tokio runtime entered on the calling thread) return
//! [`Error::Blocking`](crate::Error::Blocking) instead of blocking it; use the async client
//! there. Nothing here panics, inside or outside a runtime, and dropping the client there is
//! fine too.

mod builder;
#[cfg(feature = "console")]
mod console;
mod runtime;
mod task;
mod transfer;

use std::future::IntoFuture;
use std::ops::Deref;
use std::sync::Arc;

pub use builder::ClientBuilder;
#[cfg(feature = "console")]
pub use console::{Terminal, VncListener, VncTunnel, VncViewer};
pub use task::{TaskFollow, TaskHandle};
pub use transfer::{Download, Upload};

use crate::auth::{LoginInfo, LoginStep, TfaAnswer, TfaChallenge};
use crate::error::Result;
use crate::upid::Upid;
use crate::version::PveVersion;
use runtime::RuntimeThread;

/// A blocking Proxmox VE API client. Cheap to clone; clones share the runtime thread, the
/// connections and the login. See the [module docs](self).
///
/// It derefs to the async [`crate::Client`] for the handle tree (`client.nodes("pve1")`) and
/// the calls that do not wait (`session`, `set_api_token`, ...).
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<RuntimeThread>,
}

impl Deref for Client {
    type Target = crate::Client;

    fn deref(&self) -> &crate::Client {
        &self.inner
    }
}

impl Client {
    /// Starts building a client for `host`: a name, `name:port`, or `https://name:port`.
    pub fn builder(host: &str) -> ClientBuilder {
        ClientBuilder::new(crate::Client::builder(host))
    }

    /// A blocking client around an async one (sharing its connections and login), with a
    /// runtime thread of its own.
    pub fn new(client: crate::Client) -> Result<Client> {
        Ok(Client {
            inner: client,
            runtime: Arc::new(RuntimeThread::start()?),
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Runs a request (anything `.await`able that answers a [`Result`]: a typed request, a
    /// raw one, `raw(..).get(..).decode::<T>()`) and blocks until its answer.
    pub fn call<R, T>(&self, request: R) -> Result<T>
    where
        R: IntoFuture<Output = Result<T>>,
        R::IntoFuture: Send + 'static,
        T: Send + 'static,
    {
        self.runtime.run(request.into_future())
    }

    /// Runs a request that answers a task id (`POST .../status/start`, ...) and returns a
    /// blocking handle to that task.
    pub fn call_task<R>(&self, request: R) -> Result<TaskHandle>
    where
        R: IntoFuture<Output = Result<String>>,
        R::IntoFuture: Send + 'static,
    {
        // The method is not known here; a request answering a task id is a write.
        let upid = Upid::parse(&self.call(request)?)
            .map_err(|e| crate::Error::from(e).answering("POST"))?;
        Ok(self.task(&upid))
    }

    /// [`crate::Client::login`], blocking.
    pub fn login(&self, user: &str, password: &str) -> Result<LoginInfo> {
        let (client, user, password) = (self.inner.clone(), user.to_owned(), password.to_owned());
        self.runtime
            .run(async move { client.login(&user, &password).await })
    }

    /// [`crate::Client::start_login`], blocking.
    pub fn start_login(&self, user: &str, password: &str) -> Result<LoginStep> {
        let (client, user, password) = (self.inner.clone(), user.to_owned(), password.to_owned());
        self.runtime
            .run(async move { client.start_login(&user, &password).await })
    }

    /// [`crate::Client::finish_tfa`], blocking.
    pub fn finish_tfa(&self, challenge: &TfaChallenge, answer: TfaAnswer) -> Result<LoginInfo> {
        let (client, challenge) = (self.inner.clone(), challenge.clone());
        self.runtime
            .run(async move { client.finish_tfa(&challenge, answer).await })
    }

    /// [`crate::Client::pve_version`], blocking.
    pub fn pve_version(&self) -> Result<PveVersion> {
        let client = self.inner.clone();
        self.runtime.run(async move { client.pve_version().await })
    }

    /// A PVE task, to wait for or follow, blocking.
    pub fn task(&self, upid: &Upid) -> TaskHandle {
        TaskHandle::new(self.clone(), self.inner.task(upid))
    }

    /// [`crate::Client::upload`], blocking.
    pub fn upload(&self, node: &str, storage: &str, content: crate::UploadContent) -> Upload {
        Upload::new(self.clone(), self.inner.upload(node, storage, content))
    }

    /// [`crate::Client::download`], blocking.
    pub fn download(&self, path: &str) -> Download {
        Download::new(self.clone(), self.inner.download(path))
    }

    /// [`crate::Client::file_restore_download`], blocking.
    pub fn file_restore_download(
        &self,
        node: &str,
        storage: &str,
        volume: &str,
        filepath: &str,
    ) -> Download {
        let download = self
            .inner
            .file_restore_download(node, storage, volume, filepath);
        Download::new(self.clone(), download)
    }

    pub(crate) fn runtime(&self) -> &RuntimeThread {
        &self.runtime
    }
}
