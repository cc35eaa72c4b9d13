//! Test harness for Proxmoxia's integration tests: the fakepve peer, test certificates, and
//! a TLS front for wire-level mock servers.

pub mod certs;
pub mod fakepve;
pub mod tls_front;

pub use certs::TestCert;
pub use fakepve::{CertKind, FakePve, Options, Scenario};
pub use tls_front::TlsFront;
