//! A TLS front for plain-HTTP mock servers (wiremock), so wire-level tests go through the
//! client's real TLS path: the client verifies the front's certificate, the front forwards
//! the decrypted bytes to the mock.

use std::net::SocketAddr;
use std::sync::Arc;

use proxmoxia::{Client, ClientBuilder};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::certs::TestCert;

/// A TLS listener forwarding every connection to `target`. Stops when dropped.
#[derive(Debug)]
pub struct TlsFront {
    /// The address to connect to.
    pub addr: SocketAddr,
    /// The certificate it serves.
    pub cert: TestCert,
    task: JoinHandle<()>,
}

impl TlsFront {
    /// Starts a front for `target` on 127.0.0.1 with a fresh CA-signed certificate.
    pub async fn start(target: SocketAddr) -> TlsFront {
        let cert = TestCert::ca_signed();
        let chain = vec![CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).expect("cert")];
        let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { addr, cert, task }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A client builder trusting this front's CA.
    pub fn builder(&self) -> ClientBuilder {
        Client::builder(&self.url()).add_ca_pem(self.cert.ca())
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}
