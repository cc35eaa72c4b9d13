//! The blocking client's own runtime: a current-thread tokio runtime on a dedicated thread
//! (as `reqwest::blocking` has), so building, calling and dropping the client never start or
//! drop a runtime on the caller's thread.

use std::future::Future;
use std::thread::JoinHandle;

use crate::error::{Error, Result};

/// The runtime thread; stops (and is joined) when the last client clone drops it.
pub(crate) struct RuntimeThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RuntimeThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RuntimeThread")
    }
}

impl RuntimeThread {
    pub(crate) fn start() -> Result<RuntimeThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Blocking(format!("cannot start its runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("proxmoxia-blocking".into())
            .spawn(move || {
                // Runs spawned calls until the client is dropped; the runtime is dropped
                // here, on its own thread.
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| Error::Blocking(format!("cannot start its thread: {e}")))?;
        Ok(RuntimeThread {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `future` on the runtime thread and blocks this thread until it is done. Inside
    /// an async runtime it refuses (blocking there stalls that runtime, or deadlocks it).
    pub(crate) fn run<T, F>(&self, future: F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        refuse_in_async_context()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv()
            .map_err(|_| Error::Blocking("its runtime stopped during the call".into()))?
    }

    /// Spawns `future` on the runtime thread without waiting for it.
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(future);
    }
}

/// The blocking client blocks its caller: not allowed where a tokio runtime is entered.
pub(crate) fn refuse_in_async_context() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Blocking(
            "called inside an async runtime, where blocking would stall it: use the async \
             proxmoxia::Client there, or call from a thread of your own (std::thread::spawn)"
                .into(),
        ));
    }
    Ok(())
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The last clone may be dropped by a call's own future, on the runtime thread.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}
