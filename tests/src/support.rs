//! Small helpers the test files share: picking an error apart, seeding a template, starting
//! the embedded fake with a logged-in client, a deadline for waits.

use std::future::Future;
use std::time::Duration;

use proxmoxia::mock::MockPve;
use proxmoxia::{ApiError, Client, Error, TaskOutcome, Upid, UploadContent};

use crate::seed::TEMPLATE;

/// How long a wait for something that must happen may take before the test fails: a guard
/// against a hang, not a margin (what it guards takes milliseconds).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// `future`'s output, or a panic naming `what` once [`DEADLINE`] has passed.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {DEADLINE:?}"))
}

/// The `ApiError` inside an error, or a panic naming what it was instead.
pub fn api_error(err: Error) -> Box<ApiError> {
    match err {
        Error::Api(e) => e,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// The `ApiError` of a result that must be one.
pub fn api_err<T: std::fmt::Debug>(result: proxmoxia::Result<T>) -> Box<ApiError> {
    match result {
        Err(err) => api_error(err),
        Ok(value) => panic!("expected Error::Api, got Ok({value:?})"),
    }
}

/// Asserts an `Error::Api` with exactly this status and message, and no per-parameter errors.
pub fn assert_api<T: std::fmt::Debug>(result: proxmoxia::Result<T>, status: u16, message: &str) {
    let e = api_err(result);
    assert_eq!((e.status, e.message.as_str()), (status, message), "{e:?}");
    assert!(e.errors.is_empty(), "{e:?}");
}

/// `(method, path)` as `MockPve::requests` lists them.
pub fn req(method: &str, path: &str) -> (String, String) {
    (method.to_owned(), path.to_owned())
}

/// Uploads a small container template to `local` on `pve1` and waits for the copy task.
pub async fn upload_template(client: &Client, bytes: Vec<u8>) -> Upid {
    let task = client
        .upload("pve1", "local", UploadContent::Vztmpl)
        .from_bytes(TEMPLATE, bytes)
        .await
        .expect("upload of the template");
    let upid = task.upid().clone();
    assert_eq!(upid.task_type(), "imgcopy");
    assert_eq!(
        task.wait().await.expect("wait for the copy"),
        TaskOutcome::Ok,
        "imgcopy of the template"
    );
    upid
}

/// The embedded fake with its default seed, and a client logged in as `root@pam`.
pub async fn fake_with_root() -> (MockPve, Client) {
    let pve = MockPve::start().await.expect("mock PVE starts");
    let client = pve.login().await.expect("login to the mock");
    (pve, client)
}
