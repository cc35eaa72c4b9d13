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
mod secret;
mod task;
mod tls;
pub mod typed;
mod upload;
pub mod validate;
mod version;

pub use auth::{ApiToken, LoginInfo, LoginStep, Session, TICKET_LIFETIME, TfaAnswer, TfaChallenge};
pub use client::{Client, ClientBuilder, DEFAULT_PORT};
pub use encode::{Form, encode_segment};
pub use error::{
    ApiError, AuthError, DecodeError, Error, Result, TaskFailed, TransportError,
    TransportErrorKind, Unsupported, ValidationError,
};
pub use raw::{RawPath, RawRequest};
pub use secret::Secret;
pub use task::{TaskHandle, TaskLogLine, TaskLogRequest, TaskOutcome, TaskStatus, Upid};
pub use tls::Fingerprint;
pub use upload::{Upload, UploadContent};
pub use version::PveVersion;

/// What the generated code calls: not part of the public API.
#[doc(hidden)]
pub mod __private {
    /// What a typed call does with an answer's body (for the decode benchmark).
    pub use crate::decode::data as decode_data;
    pub use crate::decode::{
        Fields, FromFields, Key, Lenient, Seed, family_index, field, finish, keep_unknown, member,
        missing_field, params_deserialize,
    };
    pub use crate::typed::encode::{family as encode_family, field as encode_field};
    pub use crate::typed::propstring::prop_key;
    pub use crate::typed::{debug_params, debug_struct, enum_value, serialize};
}
