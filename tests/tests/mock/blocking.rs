//! The blocking client's logins against the embedded fake: the two-step TFA login, a wrong
//! code, and the ticket it keeps (exported and used by another blocking client).

use proxmoxia::blocking::Client;
use proxmoxia::mock::MockPve;
use proxmoxia::{AuthError, Error, LoginStep, TfaAnswer};

#[test]
fn a_tfa_login_takes_two_blocking_steps() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pve = rt.block_on(MockPve::start()).unwrap();
    pve.enable_tfa("root@pam", "123456", &["rec-1"]);
    let client = Client::new(pve.client().unwrap()).unwrap();

    // `login` alone says a second factor is needed.
    let err = client.login("root@pam", "secret").unwrap_err();
    assert!(
        matches!(&err, Error::Auth(AuthError::TfaRequired { user }) if user == "root@pam"),
        "{err:?}"
    );

    let LoginStep::NeedTfa(challenge) = client.start_login("root@pam", "secret").unwrap() else {
        panic!("expected a TFA challenge");
    };
    assert!(challenge.totp() && challenge.recovery());
    let err = client
        .finish_tfa(&challenge, TfaAnswer::totp("000000"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::Rejected { .. })),
        "{err:?}"
    );
    assert!(client.session().is_none());

    let LoginStep::NeedTfa(challenge) = client.start_login("root@pam", "secret").unwrap() else {
        panic!("expected a TFA challenge");
    };
    let info = client
        .finish_tfa(&challenge, TfaAnswer::totp("123456"))
        .unwrap();
    assert_eq!(info.user, "root@pam");
    let nodes = client.call(client.get_nodes()).unwrap();
    assert_eq!(nodes.len(), 1);

    // The ticket, kept by another blocking client.
    let other = Client::new(pve.client().unwrap()).unwrap();
    other.set_session(client.session().unwrap());
    let raw = other.call(other.raw("version").get(())).unwrap();
    assert_eq!(
        Some(other.pve_version().unwrap().to_string().as_str()),
        raw["version"].as_str()
    );
    drop((client, other));
}
