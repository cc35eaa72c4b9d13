//! # Proxmoxia
//!
//! A client for the Proxmox VE REST API.
//!
//! * [`Client`]: TLS verified by default (CA, pinned fingerprint), ticket login with TFA and
//!   automatic renewal, API tokens.
//! * [`Client::raw`]: any path, any parameters, answers as JSON or your own types.
//! * [`Client::task`]: wait for PVE tasks and read their logs.
//!
//! ```no_run
//! # async fn demo() -> proxmoxia::Result<()> {
//! use proxmoxia::Client;
//!
//! let client = Client::builder("pve1.example.com").build()?;
//! client.login("root@pam", "secret").await?;
//! let version = client.raw("version").get(()).await?;
//! println!("PVE {}", version["version"]);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod api;
mod auth;
mod client;
mod decode;
mod encode;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
mod raw;
mod task;
mod tls;
pub mod typed;
mod upload;
pub mod validate;
mod version;

pub use auth::{
    ApiToken, LoginInfo, LoginStep, Secret, Session, TICKET_LIFETIME, TfaAnswer, TfaChallenge,
};
pub use client::{Client, ClientBuilder, DEFAULT_PORT};
pub use encode::{Form, encode_segment};
pub use error::{
    ApiError, AuthError, DecodeError, Error, Result, TaskFailed, TransportError,
    TransportErrorKind, Unsupported, ValidationError,
};
pub use raw::{RawPath, RawRequest};
pub use task::{TaskHandle, TaskLogLine, TaskLogRequest, TaskOutcome, TaskStatus, Upid};
pub use tls::Fingerprint;
pub use upload::{Upload, UploadContent};
pub use version::PveVersion;
