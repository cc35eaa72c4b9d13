//! # Proxmoxia
//!
//! A client for the Proxmox VE REST API whose typed surface is generated from PVE's own API
//! schemas (8.4.17, 9.1.11 and 9.2, as one API over their union): every path a chain of
//! handles, every method a typed request, every answer a typed value.
//!
//! ## Typed calls
//!
//! Log in, list the guests, create a VM and wait for PVE's task:
//!
//! ```no_run
//! # async fn demo() -> proxmoxia::Result<()> {
//! use proxmoxia::Client;
//! use proxmoxia::api::cluster::resources;
//! use proxmoxia::api::formats::{QemuMemory, QemuNet};
//!
//! let client = Client::builder("pve1.example.com")
//!     .fingerprint("AB:CD:EF:...")            // or .add_ca_pem(..): TLS is always verified
//!     .build()?;
//! client.login("root@pam", "secret").await?;
//!
//! // GET /cluster/resources?type=vm: a Vec of typed items (unknown fields kept in `extra`).
//! let guests = client.cluster().resources().get().r#type(resources::get::Type::Vm).await?;
//! for guest in &guests {
//!     println!("{:?} {:?} on {:?}", guest.vmid, guest.name, guest.node);
//! }
//!
//! // POST /nodes/pve1/qemu: the required `vmid` is an argument, the rest are setters; the
//! // answer is a task, which `.task()` turns into a handle to wait for.
//! let task = client
//!     .nodes("pve1")
//!     .post_qemu(120)
//!     .name("web-2")
//!     .memory(QemuMemory::new().current(4096))
//!     .nets(0, QemuNet::virtio().bridge("vmbr0"))
//!     .task()
//!     .await?;
//! task.wait().await?; // Err(Error::Task) if the task failed, with PVE's exit status
//! # Ok(()) }
//! ```
//!
//! Each endpoint is a module under [`api`] (`api::nodes::node::qemu::post`) with its
//! `Request` (the setters, one per optional parameter, documented with PVE's text and the
//! versions that have it), `Params` and `Response`. Parameters are checked against the
//! schema before anything is sent ([`Error::Validation`]), and against the cluster's PVE
//! version ([`Error::Unsupported`]). Answers implement `serde::Serialize` and
//! `Deserialize`.
//!
//! ## Raw calls
//!
//! [`Client::raw`] reaches any path with any parameters, answering JSON or your own types:
//!
//! ```no_run
//! # async fn demo(client: proxmoxia::Client) -> proxmoxia::Result<()> {
//! let version = client.raw("version").get(()).await?;
//! println!("PVE {}", version["version"]);
//! # Ok(()) }
//! ```
//!
//! ## Testing without a cluster
//!
//! With the `mock` feature, `mock::MockPve` is an in-process fake PVE over HTTPS that
//! speaks the whole schema (any vendored version), keeps state and takes scripted faults:
//!
//! ```no_run
//! # #[cfg(feature = "mock")]
//! # async fn demo() -> proxmoxia::Result<()> {
//! let pve = proxmoxia::mock::MockPve::builder().pve_version("8.4.17").start().await?;
//! let client = pve.login().await?; // trusts the fake's own certificate
//! let nodes = client.get_nodes().await?;
//! println!("{} nodes", nodes.len());
//! # Ok(()) }
//! ```
//!
//! ## Checking the typed answers against your cluster
//!
//! With the `audit` feature, `Client::audit_answers` (module `audit`) reads every
//! parameter-free GET of a live cluster, sending nothing but `GET`, and reports per path what
//! the typed answers fail to decode or do not know, as JSON without secrets.
//!
//! ## The guide
//!
//! The manual is the module [`guide`], one chapter a module:
//!
//! * [`guide::connecting`]: hosts, TLS trust, timeouts, bounds on what a server sends;
//! * [`guide::auth`]: passwords, TFA, API tokens, keeping a ticket, PVE's clock;
//! * [`guide::typed_calls`] and [`guide::naming`]: calls, and how a path becomes one;
//! * [`guide::property_strings`]: property strings, indexed parameters, lists;
//! * [`guide::serde`]: answers and parameters as values, what real PVE sends;
//! * [`guide::raw`]: calls by path;
//! * [`guide::tasks`] and [`guide::transfers`]: tasks and live logs, uploads and downloads;
//! * [`guide::errors`]: errors, retry safety, retries, the next free guest id;
//! * [`guide::blocking`], [`guide::consoles`], [`guide::audit`], [`guide::mock`]: the
//!   features `blocking`, `console`, `audit` and `mock`;
//! * [`guide::versions`] and [`guide::other_schema`]: PVE versions, another schema.
#![warn(missing_docs)]
// On docs.rs (nightly), each item behind a feature says which one it needs; the PVE versions
// an item needs are in its docs already (`PVE 9.1+`), not as `proxmoxia_pve` cfgs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    docsrs,
    doc(auto_cfg(hide(proxmoxia_pve = "8.4", proxmoxia_pve = "9.1", proxmoxia_pve = "9.2")))
)]

pub mod api;
#[cfg(feature = "audit")]
pub mod audit;
mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod catalog;
mod client;
#[cfg(feature = "console")]
pub mod console;
mod decode;
mod download;
mod encode;
mod error;
mod guest_id;
pub mod guide;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(test)]
mod module_graph_tests;
mod raw;
mod retry_policy;
mod secret;
mod task;
mod tls;
mod transfer;
pub mod typed;
mod upid;
mod upload;
mod validate;
mod values;
mod version;

pub use auth::{ApiToken, LoginInfo, LoginStep, Session, TICKET_LIFETIME, TfaAnswer, TfaChallenge};
pub use client::{
    Client, ClientBuilder, DEFAULT_MAX_ANSWER_VALUES, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT,
    DEFAULT_TRANSFER_INACTIVITY_TIMEOUT,
};
pub use download::{Download, DownloadStream};
pub use encode::{Form, encode_segment};
pub use error::{
    ApiError, AuthError, ConsoleError, DecodeError, Error, ErrorKind, Result, TaskFailed,
    TransportError, TransportErrorKind, Unsupported, ValidationError,
};
pub use guest_id::NextFreeId;
pub use raw::{RawPath, RawRequest};
pub use retry_policy::{DEFAULT_RETRY_KINDS, RetryPolicy};
pub use secret::Secret;
pub use task::{
    DEFAULT_MAX_LOG_BYTES, DEFAULT_MAX_LOG_LINES, TaskEvent, TaskExit, TaskFollow, TaskHandle,
    TaskLogLine, TaskLogRequest, TaskLogStream, TaskOutcome, TaskProgress, TaskStatus,
};
pub use tls::Fingerprint;
pub use transfer::TransferProgress;
pub use upid::{InvalidUpid, Upid};
pub use upload::{Upload, UploadContent};
pub use version::PveVersion;

/// The README's examples, compiled with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// What the generated code calls: not part of the public API.
#[doc(hidden)]
pub mod __private {
    /// What a typed call does with an answer's body (for the decode benchmark).
    pub use crate::decode::data as decode_data;
    pub use crate::decode::{
        Fields, FromFields, Generated, Key, Lenient, Seed, at_index, at_key, family_index, field,
        finish, keep_unknown, member, missing_field, params_deserialize,
    };
    pub use crate::typed::impls::{
        debug_params, debug_struct, debug_struct_hiding, enum_value, enum_value_in_option,
        serialize,
    };
    pub use crate::values::encode::{family as encode_family, field as encode_field};
    pub use crate::values::propstring::prop_key;
    /// What the client makes of an error answer, a login answer and pages of a task log
    /// (for the fuzz targets).
    pub use crate::{auth::read_login, client::api_error_of, task::read_log_pages};
}
