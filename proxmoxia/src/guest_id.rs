//! Creating a guest on the next free id without racing other clients.

use std::future::Future;

use reqwest::Method;
use serde_json::Value;

use crate::Client;
use crate::encode::Form;
use crate::error::{Error, ErrorKind, Result};

/// Ids asked for by default before [`CreateWithNextId`] gives up.
const DEFAULT_ATTEMPTS: u32 = 10;

impl Client {
    /// Creates guests on the next free id without racing other clients: see
    /// [`NextFreeId::create`].
    ///
    /// ```no_run
    /// # async fn demo(client: proxmoxia::Client) -> proxmoxia::Result<()> {
    /// let client = &client;
    /// let (vmid, _outcome) = client
    ///     .next_free_id()
    ///     .attempts(5)
    ///     .create(|vmid| async move {
    ///         let task = client.nodes("pve1").post_qemu(vmid.into()).name("web-3").task().await?;
    ///         task.wait().await
    ///     })
    ///     .await?;
    /// println!("created VM {vmid}");
    /// # Ok(()) }
    /// ```
    pub fn next_free_id(&self) -> NextFreeId {
        NextFreeId {
            client: self.clone(),
            attempts: DEFAULT_ATTEMPTS,
        }
    }
}

/// Creating a guest on the next free id. Created by [`Client::next_free_id`].
#[derive(Debug, Clone)]
#[must_use = "nothing happens until `create` is awaited"]
pub struct NextFreeId {
    client: Client,
    attempts: u32,
}

impl NextFreeId {
    /// How many ids to try at most (default 10, at least 1). With `n` clients creating at
    /// once, `n` attempts always suffice: each clash means another client got its guest.
    pub fn attempts(mut self, attempts: u32) -> NextFreeId {
        self.attempts = attempts.max(1);
        self
    }

    /// The lowest free guest id now (`GET /cluster/nextid`). Another client may take it
    /// before it is used: [`create`](NextFreeId::create) copes with that.
    pub async fn get(&self) -> Result<u32> {
        let answer = self
            .client
            .call(Method::GET, "cluster/nextid", Form::new())
            .await?;
        let id = match &answer {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        };
        id.ok_or_else(|| {
            Error::decode("expected a guest id", "data", answer.to_string()).answering("GET")
        })
    }

    /// Asks PVE for the next free id ([`get`](NextFreeId::get)), runs `create` with it, and
    /// when PVE answers that the id exists (another client took it in between:
    /// [`ErrorKind::AlreadyExists`], from the request or from the create task) asks for the
    /// next one and tries again, up to [`attempts`](NextFreeId::attempts) ids; the last
    /// clash is returned after that. Any other error is returned at once.
    ///
    /// `create` does the creating with the id it is given: send the create request, and
    /// wait for its task inside `create` so that a clash the task finds counts too.
    /// Returns the id taken and what `create` returned.
    pub async fn create<F, Fut, T>(self, mut create: F) -> Result<(u32, T)>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            let vmid = self.get().await?;
            match create(vmid).await {
                Ok(value) => return Ok((vmid, value)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < self.attempts => {
                    tracing::info!(vmid, attempt, error = %e, "guest id taken meanwhile; trying the next free one");
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
