//! End to end: the ways of trusting a PVE node's certificate, over real TLS, against fakepve
//! (`fakepve::name`) and the embedded fake (`mock::name`), both serving a certificate made
//! here ([`TestCert`]).

use proxmoxia::{Client, Error, Fingerprint};
use proxmoxia_tests::{CertKind, Options, Peer, PeerKind, TestCert, peer_tests};

fn self_signed() -> Options {
    Options {
        cert: CertKind::SelfSigned,
        ..Options::default()
    }
}

/// Logs in and reads the version: the proof that TLS and everything above it worked.
async fn logs_in(client: &Client, pve: &Peer) {
    client.login(pve.user(), pve.password()).await.unwrap();
    let version = client.raw("version").get(()).await.unwrap();
    assert_eq!(version["version"], pve.version().version);
}

/// The `Error::Tls` inside a login's error: (url, message).
async fn tls_failure(client: &Client, pve: &Peer) -> (String, String) {
    let err = client
        .login(pve.user(), pve.password())
        .await
        .expect_err("the handshake must fail");
    assert!(!err.is_retry_safe(), "a TLS failure is not retried");
    match err {
        Error::Tls { url, message } => {
            assert_eq!(url, format!("{}/api2/json/access/ticket", pve.url()));
            (url, message)
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
}

async fn a_ca_signed_node_is_trusted_through_its_ca(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    assert!(pve.cert().ca_pem.is_some());
    // The harness's builder: system roots plus the fake's CA.
    logs_in(&pve.client(), &pve).await;
    // Only the fake's CA.
    let only_ca = Client::builder(pve.url())
        .builtin_roots(false)
        .add_ca_pem(pve.cert().ca())
        .build()
        .unwrap();
    logs_in(&only_ca, &pve).await;
}

async fn a_self_signed_node_is_trusted_by_its_pinned_fingerprint(kind: PeerKind) {
    let pve = Peer::start_with(kind, self_signed()).await;
    assert!(pve.cert().ca_pem.is_none());
    // The harness pins the fingerprint for a self-signed fake.
    logs_in(&pve.client(), &pve).await;
    // The same, spelled as PVE shows it, and lower case without colons.
    let shown = pve.cert().fingerprint.to_string();
    assert_eq!(shown.len(), 32 * 3 - 1);
    assert_eq!(
        Fingerprint::of_pem(pve.cert().cert_pem.as_bytes()).unwrap(),
        pve.cert().fingerprint
    );
    let plain = shown.replace(':', "").to_lowercase();
    let client = Client::builder(pve.url())
        .fingerprint(&plain)
        .build()
        .unwrap();
    logs_in(&client, &pve).await;
    // The mock serves the given certificate, and its own client builder pins it.
    if let Some(mock) = pve.mock() {
        assert_eq!(mock.fingerprint(), pve.cert().fingerprint);
        assert_eq!(mock.cert_pem(), pve.cert().cert_pem);
        assert_eq!(mock.ca_pem(), "");
        logs_in(&mock.client_builder().build().unwrap(), &pve).await;
    }
}

async fn a_pinned_fingerprint_trusts_a_ca_signed_node_whatever_the_ca(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    // No CA given, built-in roots off: only the pin vouches for the certificate.
    let client = Client::builder(pve.url())
        .builtin_roots(false)
        .fingerprint(&pve.cert().fingerprint.to_string())
        .build()
        .unwrap();
    logs_in(&client, &pve).await;
}

async fn a_pin_of_another_certificate_is_a_tls_mismatch(kind: PeerKind) {
    let pve = Peer::start_with(kind, self_signed()).await;
    let other = TestCert::self_signed().fingerprint;
    assert_ne!(other, pve.cert().fingerprint);
    let client = Client::builder(pve.url())
        .fingerprint(&other.to_string())
        .build()
        .unwrap();
    let (_, message) = tls_failure(&client, &pve).await;
    assert_eq!(
        message,
        format!(
            "server certificate fingerprint {} does not match {other}",
            pve.cert().fingerprint
        )
    );

    // Two pins (a certificate change), neither the node's: both are named.
    let third = TestCert::self_signed().fingerprint;
    let client = Client::builder(pve.url())
        .fingerprint(&other.to_string())
        .fingerprint(&third.to_string())
        .build()
        .unwrap();
    let (_, message) = tls_failure(&client, &pve).await;
    assert_eq!(
        message,
        format!(
            "server certificate fingerprint {} does not match {other} or {third}",
            pve.cert().fingerprint
        )
    );
    // One of them right: accepted.
    let client = Client::builder(pve.url())
        .fingerprint(&other.to_string())
        .fingerprint(&pve.cert().fingerprint.to_string())
        .build()
        .unwrap();
    logs_in(&client, &pve).await;
}

async fn a_client_trusting_another_ca_refuses_the_node(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let unrelated = TestCert::ca_signed();
    let client = Client::builder(pve.url())
        .builtin_roots(false)
        .add_ca_pem(unrelated.ca())
        .build()
        .unwrap();
    let (_, message) = tls_failure(&client, &pve).await;
    // Every test CA has the subject "Proxmoxia test CA": webpki takes the unrelated one as the
    // issuer by name, and its key does not verify the node's certificate.
    assert_eq!(message, "invalid peer certificate: BadSignature");
}

async fn a_self_signed_node_is_refused_by_the_system_roots(kind: PeerKind) {
    let pve = Peer::start_with(kind, self_signed()).await;
    let client = Client::builder(pve.url()).build().unwrap();
    let (_, message) = tls_failure(&client, &pve).await;
    assert_eq!(message, "invalid peer certificate: UnknownIssuer");
    // Also with the CA of another node added.
    let client = Client::builder(pve.url())
        .add_ca_pem(TestCert::ca_signed().ca())
        .build()
        .unwrap();
    let (_, message) = tls_failure(&client, &pve).await;
    assert_eq!(message, "invalid peer certificate: UnknownIssuer");
}

async fn accepting_invalid_certificates_reaches_a_self_signed_node(kind: PeerKind) {
    let pve = Peer::start_with(kind, self_signed()).await;
    let client = Client::builder(pve.url())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    logs_in(&client, &pve).await;
    // It wins over a wrong pin.
    let client = Client::builder(pve.url())
        .fingerprint(&TestCert::self_signed().fingerprint.to_string())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    logs_in(&client, &pve).await;
}

peer_tests!(
    a_ca_signed_node_is_trusted_through_its_ca,
    a_self_signed_node_is_trusted_by_its_pinned_fingerprint,
    a_pinned_fingerprint_trusts_a_ca_signed_node_whatever_the_ca,
    a_pin_of_another_certificate_is_a_tls_mismatch,
    a_client_trusting_another_ca_refuses_the_node,
    a_self_signed_node_is_refused_by_the_system_roots,
    accepting_invalid_certificates_reaches_a_self_signed_node,
);

// No peer: the builder refuses before anything connects.
#[tokio::test]
async fn tls_configuration_mistakes_are_config_errors() {
    for (what, built) in [
        (
            "fingerprint",
            Client::builder("pve1").fingerprint("AB:CD").build(),
        ),
        (
            "CA",
            Client::builder("pve1").add_ca_pem(b"not a pem").build(),
        ),
        (
            "roots",
            Client::builder("pve1").builtin_roots(false).build(),
        ),
    ] {
        match built {
            Err(Error::Config(message)) => assert!(!message.is_empty(), "{what}"),
            other => panic!("{what}: expected Error::Config, got {other:?}"),
        }
    }
}
