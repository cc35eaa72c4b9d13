//! Test harness for Proxmoxia's integration tests: the two test peers (fakepve and the
//! embedded fake) behind one API, test certificates, and a TLS front for wire-level mock
//! servers.

pub mod certs;
pub mod fakepve;
pub mod log_capture;
pub mod peer;
pub mod raw_http;
pub mod roundtrip;
pub mod seed;
pub mod support;
pub mod tls_front;
pub mod wire;

pub use certs::TestCert;
pub use fakepve::{CertKind, FakePve, Options, Scenario, skip_without_fakepve};
pub use peer::{Peer, PeerKind, PeerVersion, Recorded};
pub use raw_http::RawHttp;
pub use seed::{TEMPLATE, TEMPLATE_VOLID, seed_lines};
pub use support::{
    DEADLINE, api_err, api_error, assert_api, fake_with_root, req, upload_template, within,
};
pub use tls_front::TlsFront;
