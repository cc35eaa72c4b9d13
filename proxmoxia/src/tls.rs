//! TLS set-up: rustls on the ring provider, with the three ways PVE clusters are trusted.
//!
//! 1. A CA: the system's roots plus any extra CA certificates (PVE's own cluster CA, a
//!    company CA), verified by webpki including the host name.
//! 2. A pinned SHA-256 fingerprint, as PVE shows it (`AB:CD:...`): the certificate is trusted
//!    because it is *that* certificate, whoever signed it. This is how self-signed nodes are
//!    trusted without turning verification off.
//! 3. An explicit, loudly named switch that accepts any certificate, unless a fingerprint
//!    is pinned: a pin is always enforced.
//!
//! In every mode the handshake signature is still verified, so a pinned certificate cannot be
//! replayed by someone without its key.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::{Error, Result};

/// How the server's certificate is trusted. Built by [`ClientBuilder`](crate::ClientBuilder).
#[derive(Clone, Default)]
pub(crate) struct TlsOptions {
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub builtin_roots: bool,
    pub fingerprints: Vec<Fingerprint>,
    pub danger_accept_invalid_certs: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("extra_roots", &self.extra_roots.len())
            .field("builtin_roots", &self.builtin_roots)
            .field("fingerprints", &self.fingerprints)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .finish()
    }
}

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Parses the colon-separated hex form PVE displays (`AB:CD:...`, 32 bytes). Colons are
    /// optional and case does not matter.
    pub fn parse(text: &str) -> Result<Fingerprint> {
        let hex: String = text
            .trim()
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect();
        let bad = || {
            Error::Config(format!(
                "fingerprint {text:?} is not a SHA-256 fingerprint (32 hex bytes, e.g. AB:CD:...)"
            ))
        };
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }

    /// The fingerprint of a DER certificate.
    pub fn of_der(der: &[u8]) -> Fingerprint {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Fingerprint(out)
    }

    /// The fingerprint of the first certificate in a PEM text.
    pub fn of_pem(pem: &[u8]) -> Result<Fingerprint> {
        let cert = CertificateDer::from_pem_slice(pem)
            .map_err(|e| Error::Config(format!("no certificate in PEM: {e}")))?;
        Ok(Fingerprint::of_der(&cert))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Fingerprint> {
        Fingerprint::parse(s)
    }
}

/// Reads every certificate of a PEM text.
pub(crate) fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("cannot read CA PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("the CA PEM holds no certificate".into()));
    }
    Ok(certs)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for these options.
pub(crate) fn client_config(opts: &TlsOptions) -> Result<rustls::ClientConfig> {
    let provider = provider();
    // A pin is checked first: turning verification off must never turn a pin off.
    let verifier: Arc<dyn ServerCertVerifier> = if !opts.fingerprints.is_empty() {
        Arc::new(PinnedFingerprint {
            pins: opts.fingerprints.clone(),
            algorithms: provider.signature_verification_algorithms,
        })
    } else if opts.danger_accept_invalid_certs {
        tracing::warn!(
            "TLS certificate verification is OFF (danger_accept_invalid_certs): anyone on the \
             network path can impersonate the PVE server"
        );
        Arc::new(AcceptAny {
            algorithms: provider.signature_verification_algorithms,
        })
    } else if opts.builtin_roots {
        Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                opts.extra_roots.iter().cloned(),
                provider.clone(),
            )
            .map_err(|e| Error::Config(format!("cannot load CA certificates: {e}")))?,
        )
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for cert in &opts.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| Error::Config(format!("unusable CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(Error::Config(
                "built-in roots are disabled and no CA certificate was given".into(),
            ));
        }
        rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| Error::Config(format!("cannot build certificate verifier: {e}")))?
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS set-up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // pveproxy speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The error a pinned verifier raises; found again in the error chain to report it plainly.
#[derive(Debug)]
pub(crate) struct FingerprintMismatch {
    pub expected: Vec<Fingerprint>,
    pub actual: Fingerprint,
}

impl fmt::Display for FingerprintMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "server certificate fingerprint {} does not match ",
            self.actual
        )?;
        for (i, fp) in self.expected.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{fp}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FingerprintMismatch {}

#[derive(Debug)]
struct PinnedFingerprint {
    pins: Vec<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedFingerprint {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let actual = Fingerprint::of_der(end_entity);
        if self.pins.contains(&actual) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(
                    FingerprintMismatch {
                        expected: self.pins.clone(),
                        actual,
                    },
                ))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[derive(Debug)]
struct AcceptAny {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS message of an error chain, if a TLS failure caused it.
pub(crate) fn tls_cause(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls(tls));
        }
        // io::Error hides its payload from `source()`; look inside.
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(describe_rustls(tls));
            }
            current = Some(inner);
            continue;
        }
        current = e.source();
    }
    None
}

fn describe_rustls(err: &rustls::Error) -> String {
    if let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) = err {
        if let Some(mismatch) = other.0.downcast_ref::<FingerprintMismatch>() {
            return mismatch.to_string();
        }
    }
    err.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parses_pve_form_and_prints_it_back() {
        let text = "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9";
        let fp = Fingerprint::parse(text).unwrap();
        assert_eq!(fp.to_string(), text);
        assert_eq!(
            Fingerprint::parse(&text.to_lowercase().replace(':', "")).unwrap(),
            fp
        );
    }

    #[test]
    fn fingerprint_rejects_wrong_lengths_and_digits() {
        assert!(Fingerprint::parse("AB:CD").is_err());
        let bad = "ZZ".repeat(32);
        assert!(Fingerprint::parse(&bad).is_err());
        assert!(Fingerprint::parse(&"é".repeat(32)).is_err());
    }
}
