//! Test certificates: a CA and a server certificate it signed, or a lone self-signed one.

use std::path::{Path, PathBuf};

use proxmoxia::Fingerprint;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// Names every test server certificate is valid for.
const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// PEM material for one test server.
#[derive(Debug, Clone)]
pub struct TestCert {
    /// The CA that signed `cert_pem`; `None` for a self-signed certificate.
    pub ca_pem: Option<String>,
    /// The server certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
    /// SHA-256 of the server certificate, as PVE would show it.
    pub fingerprint: Fingerprint,
}

impl TestCert {
    /// A server certificate for 127.0.0.1 and localhost, signed by a fresh CA.
    pub fn ca_signed() -> TestCert {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Proxmoxia test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");

        let params = server_params();
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &ca).expect("server certificate");
        TestCert {
            ca_pem: Some(ca.pem()),
            fingerprint: Fingerprint::of_der(cert.der()),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A self-signed server certificate no CA vouches for (as on a fresh PVE node).
    pub fn self_signed() -> TestCert {
        let params = server_params();
        let key = KeyPair::generate().expect("server key");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        TestCert {
            ca_pem: None,
            fingerprint: Fingerprint::of_der(cert.der()),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes `server.crt` and `server.key` into `dir`.
    pub fn write_to(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        std::fs::write(&cert, &self.cert_pem).expect("write certificate");
        std::fs::write(&key, &self.key_pem).expect("write key");
        (cert, key)
    }

    /// The CA PEM; panics for a self-signed certificate.
    pub fn ca(&self) -> &[u8] {
        self.ca_pem
            .as_deref()
            .expect("a CA-signed test certificate")
            .as_bytes()
    }
}

fn server_params() -> CertificateParams {
    let names: Vec<String> = SERVER_NAMES.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "proxmoxia-test-pve");
    params
}
