//! The answer audit (`Client::audit_answers`, `audit` feature) against both peers: it sends
//! nothing but `GET` (the peer's request log, after the login), calls each path it reports
//! exactly once, shows no value of an unknown field unless asked and never a secret, and its
//! outcome per path is the one committed in `tests/tests/coverage/audit-<peer>.txt`
//! (rewrite with `UPDATE_AUDIT=1` after a deliberate change, and review the diff).
//!
//! A small audit of the embedded fake with planted trouble is compared whole, as JSON: an
//! unknown field, one named like a secret, one holding `key=value` text that names a secret,
//! a field that fails to decode, and a path answering 403.

use std::fmt::Write as _;
use std::path::PathBuf;

use proxmoxia::audit::{AuditOptions, AuditReport, Outcome};
use proxmoxia::mock::{Fault, GuestSpec, MockPve};
use proxmoxia_tests::{Peer, PeerKind, Recorded, peer_tests};
use serde_json::json;

peer_tests!(the_audit_only_reads_and_finds_what_the_typed_answers_lack);

/// The default audit of a peer with the standard seed, then the same with values.
async fn the_audit_only_reads_and_finds_what_the_typed_answers_lack(kind: PeerKind) {
    let peer = Peer::start(kind).await;
    let client = peer.login().await;
    let before = peer.requests().await.len();
    let report = client
        .audit_answers(&AuditOptions::new())
        .await
        .expect("the audit runs");
    let sent = peer.requests().await.split_off(before);
    assert_only_gets_of_the_reported_paths(&sent, &report);
    check_committed(kind, &summary(kind, &report));

    // No value unless asked; the session's credentials never.
    let session = client.session().expect("a ticket login");
    let secrets = [session.ticket().expose(), session.csrf_token().expose()];
    let json = report.to_json();
    let shown: Vec<&serde_json::Value> = json["paths"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["unknown"].as_array().into_iter().flatten())
        .filter(|u| u.get("values").is_some())
        .collect();
    assert!(shown.is_empty(), "values shown unasked: {shown:?}");
    let text = json.to_string();
    assert!(!secrets.iter().any(|s| text.contains(s)));

    // Asked for: the same findings; values only where no name marks a secret.
    let before = peer.requests().await.len();
    let with_values = client
        .audit_answers(&AuditOptions::new().values(true))
        .await
        .expect("the audit runs");
    let sent = peer.requests().await.split_off(before);
    assert_only_gets_of_the_reported_paths(&sent, &with_values);
    assert_eq!(with_values.counts, report.counts);
    let text = serde_json::to_string(&with_values).expect("the report serialises");
    assert!(!secrets.iter().any(|s| text.contains(s)));
    for path in &with_values.paths {
        for unknown in &path.unknown {
            let secret_named = unknown.at.split('.').any(|step| {
                let step = step
                    .split('[')
                    .next()
                    .unwrap_or(step)
                    .trim_end_matches("{}");
                ["password", "secret", "ticket", "token", "key"]
                    .iter()
                    .any(|word| step.to_ascii_lowercase().contains(word))
            });
            assert!(
                !secret_named || unknown.values.is_empty(),
                "{} {}: a secret-named value is shown",
                path.path,
                unknown.at
            );
        }
    }
}

/// Everything sent after the login is a `GET`, of exactly the paths reported, once each.
fn assert_only_gets_of_the_reported_paths(sent: &[Recorded], report: &AuditReport) {
    let not_get: Vec<&Recorded> = sent.iter().filter(|r| r.method != "GET").collect();
    assert!(not_get.is_empty(), "the audit sent {not_get:?}");
    let mut paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    let reported: Vec<&str> = report.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, reported);
    assert_eq!(report.counts.paths_called, sent.len());
}

/// The report as text: its counts, then one line per path with its outcome and findings.
fn summary(kind: PeerKind, report: &AuditReport) -> String {
    let (c, s) = (&report.counts, &report.skipped);
    let mut text = format!(
        "# The answer audit (Client::audit_answers, default options) against {} \
         (tests/tests/surface/audit.rs).\n\
         # Regenerate: UPDATE_AUDIT=1 cargo test -p proxmoxia-tests --test surface audit\n\
         # PVE {} (schema {}): {} paths called: {} ok, {} decode failures, {} HTTP errors, \
         {} errors; {} unknown fields on {} paths\n\
         # not called: {} not in the version, {} not JSON, {} needing parameters, {} with \
         other path parameters, {} without ids, {} filtered\n",
        kind.name(),
        report.pve_version,
        report.schema,
        c.paths_called,
        c.ok,
        c.decode_failures,
        c.http_errors,
        c.errors,
        c.unknown_fields,
        c.paths_with_unknown_fields,
        s.not_in_version,
        s.not_json,
        s.needs_parameters,
        s.path_parameters,
        s.no_ids,
        s.filtered,
    );
    for path in &report.paths {
        let outcome = match &path.outcome {
            Outcome::Ok => "ok".to_owned(),
            Outcome::DecodeFailure { at, message } => format!("decode failure at {at}: {message}"),
            Outcome::HttpError { status, message } => format!("http {status} {message}"),
            Outcome::Error { message } => format!("error {message}"),
            other => format!("{other:?}"),
        };
        let _ = write!(text, "{} {outcome}", path.path);
        for (i, u) in path.unknown.iter().enumerate() {
            let lead = if i == 0 { " unknown:" } else { "," };
            let _ = write!(text, "{lead} {} ({} x{})", u.at, u.kind.as_str(), u.count);
        }
        text.push('\n');
    }
    text
}

/// `text` must be `coverage/audit-<peer>.txt`; rewritten with `UPDATE_AUDIT=1`.
fn check_committed(kind: PeerKind, text: &str) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/coverage/audit-{}.txt", kind.name()));
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if committed == text {
        return;
    }
    if std::env::var_os("UPDATE_AUDIT").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&file, text).expect("the coverage directory is writable");
        return;
    }
    let changed: Vec<String> = text
        .lines()
        .filter(|l| !committed.lines().any(|c| c == *l))
        .map(|l| format!("now:  {l}"))
        .chain(
            committed
                .lines()
                .filter(|c| !text.lines().any(|l| l == *c))
                .map(|l| format!("was:  {l}")),
        )
        .collect();
    panic!(
        "the audit differs from {}:\n{}\nrewrite with UPDATE_AUDIT=1 after a deliberate change",
        file.display(),
        changed.join("\n")
    );
}

/// Three VMs with planted trouble, the audit narrowed to their configs: the whole report, as
/// JSON, without values and with them.
#[tokio::test]
async fn a_planted_audit_reports_exactly_and_shows_no_secret() {
    let pve = MockPve::builder()
        .empty()
        .start()
        .await
        .expect("the fake starts");
    pve.add_guest(
        GuestSpec::qemu(100)
            .config("x-note", "hello")
            .config("x-api-password", "hunter2")
            .config("x-hook", "user=me,token=abc123"),
    );
    pve.add_guest(GuestSpec::qemu(101).config("cores", "many"));
    pve.add_guest(GuestSpec::qemu(102));
    pve.fail_always(
        "GET",
        "/nodes/pve1/qemu/102/config",
        Fault::Status(403, "Permission check failed (/vms/102, VM.Audit)".into()),
    );
    let client = pve.login().await.expect("login");
    let options = AuditOptions::new()
        .sample(3)
        .only("/nodes/{node}/qemu/{vmid}/config");
    let before = pve.requests().len();
    let report = client
        .audit_answers(&options)
        .await
        .expect("the audit runs");
    let sent = pve.requests().split_off(before);
    assert!(sent.iter().all(|(method, _)| method == "GET"), "{sent:?}");

    let expected = |values: bool| {
        let mut unknown = json!([
            {"at": "data.x-api-password", "kind": "field", "count": 1},
            {"at": "data.x-hook", "kind": "field", "count": 1},
            {"at": "data.x-note", "kind": "field", "count": 1},
        ]);
        if values {
            unknown[1]["values"] = json!(["***"]);
            unknown[2]["values"] = json!(["hello"]);
        }
        let config = "/nodes/{node}/qemu/{vmid}/config";
        json!({
            "client": {
                "name": "proxmoxia",
                "version": env!("CARGO_PKG_VERSION"),
                "schemas": ["8.4.17", "9.1.11", "9.2"],
            },
            "cluster": {"version": "9.2.0", "schema": "9.2"},
            "options": {"sample": 3, "values": values, "only": config},
            "counts": {
                "paths_called": 6, "ok": 4, "decode_failures": 1, "http_errors": 1,
                "errors": 0, "unknown_fields": 3, "paths_with_unknown_fields": 1,
            },
            "skipped": {
                "not_in_version": 1, "not_json": 6, "needs_parameters": 29,
                "path_parameters": 97, "no_ids": 0, "filtered": 207,
            },
            "paths": [
                {"path": "/nodes", "template": "/nodes", "outcome": "ok"},
                {"path": "/nodes/pve1/qemu", "template": "/nodes/{node}/qemu", "outcome": "ok"},
                {"path": "/nodes/pve1/qemu/100/config", "template": config, "outcome": "ok",
                 "unknown": unknown},
                {"path": "/nodes/pve1/qemu/101/config", "template": config,
                 "outcome": "decode_failure", "at": "data.cores",
                 "message": "expected an integer, got \"many\""},
                {"path": "/nodes/pve1/qemu/102/config", "template": config,
                 "outcome": "http_error", "status": 403,
                 "message": "Permission check failed (/vms/102, VM.Audit)"},
                {"path": "/version", "template": "/version", "outcome": "ok"},
            ],
        })
    };
    assert_eq!(report.to_json(), expected(false));
    assert_eq!(sent.len(), 6);

    let report = client
        .audit_answers(&options.clone().values(true))
        .await
        .expect("the audit runs");
    assert_eq!(report.to_json(), expected(true));
    let text = serde_json::to_string(&report).expect("the report serialises");
    assert!(
        !text.contains("hunter2") && !text.contains("abc123"),
        "{text}"
    );
}
