//! What the fuzz targets check, one function per target: each takes the fuzzer's bytes,
//! feeds them to the client as a server would, and panics when the client breaks a promise
//! (a panic of its own, an answer that does not read back as itself, a property string
//! whose print does not read back, a secret in `Debug` output).
//!
//! The seeded smoke test (`tests/tests/robustness/fuzz_smoke.rs`) includes this file, so
//! CI runs the same checks on every build; it must build on stable with the project's lints.
//!
//! `decode` and `property_string` pick their type by a first line naming it
//! (`qemu-config\n{"data":...}`, `QemuNet\nvirtio,bridge=vmbr0`); another first line picks
//! one by its hash, so mutated names still reach every type.

use std::fmt::Debug;

use proxmoxia::__private::{Lenient, api_error_of, decode_data, read_log_pages, read_login};
use proxmoxia::api::formats::ALL;
use proxmoxia::typed::propstring;
use proxmoxia::{Error, LoginStep, Upid};
use serde::Serialize;
use serde_json::{Value, json};

/// A target's check of one input.
pub type Check = fn(&[u8]);

/// Every target: its name (the cargo-fuzz target and seed directory) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("decode", decode),
    ("property_string", property_string),
    ("upid", upid),
    ("error_body", error_body),
    ("login", login),
    ("task_log", task_log),
    ("cli_args", cli_args),
];

/// The input's first line and the rest; no newline: no name.
fn named(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[], data),
    }
}

/// The index `name` has among `names`, else one picked by its hash (FNV-1a).
fn pick<'a>(name: &[u8], names: impl Iterator<Item = &'a str>, len: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, candidate) in names.enumerate() {
        if candidate.as_bytes() == name {
            return i;
        }
    }
    for b in name {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash % len as u64) as usize
}

// ------------------------------------------------------------------------------------------
// Typed answers.

/// Reads `body` as an answer of type `T` through the client's decoder: an error is a value
/// that formats; an answer serialises, and that reads back as an equal answer. True when
/// the body reads.
fn answer<T>(body: &[u8]) -> bool
where
    T: for<'de> Lenient<'de> + Serialize + PartialEq + Debug,
{
    match decode_data::<T>(body) {
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            false
        }
        Ok(value) => {
            let _ = format!("{value:?}");
            let data = match serde_json::to_value(&value) {
                Ok(data) => data,
                Err(e) => panic!("{value:?} does not serialise: {e}"),
            };
            let written = json!({ "data": data }).to_string();
            match decode_data::<T>(written.as_bytes()) {
                Ok(again) if again == value => true,
                Ok(again) => panic!("{value:?} was written as {written} and read as {again:?}"),
                Err(e) => panic!("{value:?} was written as {written}, which does not read: {e}"),
            }
        }
    }
}

/// A check of one input that tells whether it read.
pub type Reads = fn(&[u8]) -> bool;

macro_rules! answers {
    ($($name:literal => $ty:ty),* $(,)?) => {
        /// The answer types `decode` reads, by name: the common and the richly shaped ones
        /// (families, property strings, enums, numbers as text, free JSON).
        pub const ANSWERS: &[(&str, Reads)] = &[$(($name, answer::<$ty>)),*];
    };
}

answers! {
    "json" => Value,
    "version" => proxmoxia::api::version::get::Response,
    "nodes" => proxmoxia::api::nodes::get::Response,
    "cluster-resources" => proxmoxia::api::cluster::resources::get::Response,
    "cluster-status" => proxmoxia::api::cluster::status::get::Response,
    "cluster-options" => proxmoxia::api::cluster::options::get::Response,
    "cluster-nextid" => proxmoxia::api::cluster::nextid::get::Response,
    "cluster-backup" => proxmoxia::api::cluster::backup::get::Response,
    "cluster-backup-job" => proxmoxia::api::cluster::backup::id::get::Response,
    "cluster-config-nodes" => proxmoxia::api::cluster::config::nodes::get::Response,
    "cluster-firewall-rules" => proxmoxia::api::cluster::firewall::rules::get::Response,
    "cluster-ha-resources" => proxmoxia::api::cluster::ha::resources::get::Response,
    "cluster-sdn-vnets" => proxmoxia::api::cluster::sdn::vnets::get::Response,
    "node-status" => proxmoxia::api::nodes::node::status::get::Response,
    "node-tasks" => proxmoxia::api::nodes::node::tasks::get::Response,
    "task-status" => proxmoxia::api::nodes::node::tasks::upid::status::get::Response,
    "task-log" => proxmoxia::api::nodes::node::tasks::upid::log::get::Response,
    "node-network" => proxmoxia::api::nodes::node::network::get::Response,
    "node-disks" => proxmoxia::api::nodes::node::disks::list::get::Response,
    "node-rrddata" => proxmoxia::api::nodes::node::rrddata::get::Response,
    "node-apt-update" => proxmoxia::api::nodes::node::apt::update::get::Response,
    "node-scan-lvm" => proxmoxia::api::nodes::node::scan::lvm::get::Response,
    "storage-content" => proxmoxia::api::nodes::node::storage::storage::content::get::Response,
    "qemu-list" => proxmoxia::api::nodes::node::qemu::get::Response,
    "qemu-create" => proxmoxia::api::nodes::node::qemu::post::Response,
    "qemu-config" => proxmoxia::api::nodes::node::qemu::vmid::config::get::Response,
    "qemu-pending" => proxmoxia::api::nodes::node::qemu::vmid::pending::get::Response,
    "qemu-current" => proxmoxia::api::nodes::node::qemu::vmid::status::current::get::Response,
    "qemu-snapshots" => proxmoxia::api::nodes::node::qemu::vmid::snapshot::get::Response,
    "lxc-list" => proxmoxia::api::nodes::node::lxc::get::Response,
    "lxc-config" => proxmoxia::api::nodes::node::lxc::vmid::config::get::Response,
    "lxc-current" => proxmoxia::api::nodes::node::lxc::vmid::status::current::get::Response,
    "storage" => proxmoxia::api::storage::get::Response,
    "pools" => proxmoxia::api::pools::get::Response,
    "users" => proxmoxia::api::access::users::get::Response,
    "domains" => proxmoxia::api::access::domains::get::Response,
    "permissions" => proxmoxia::api::access::permissions::get::Response,
}

/// Target `decode`: a first line naming an answer type of [`ANSWERS`], then the body.
pub fn decode(data: &[u8]) {
    decode_reads(data);
}

/// [`decode`]; true when the body reads as the type.
pub fn decode_reads(data: &[u8]) -> bool {
    let (name, body) = named(data);
    let index = pick(name, ANSWERS.iter().map(|a| a.0), ANSWERS.len());
    (ANSWERS[index].1)(body)
}

// ------------------------------------------------------------------------------------------
// Property strings.

/// Target `property_string`: a first line naming a type of `api::formats::ALL`, then the
/// text. A text that reads is printed, and the print reads back as the same value and is
/// its own print, both as the typed value and as the format's key-value pairs; a text
/// that does not read is kept as it came by the answer decoder.
pub fn property_string(data: &[u8]) {
    property_string_reads(data);
}

/// [`property_string`]; true when the text reads as the type.
pub fn property_string_reads(data: &[u8]) -> bool {
    let (name, text) = named(data);
    let entry = &ALL[pick(name, ALL.iter().map(|e| e.name), ALL.len())];
    let text = String::from_utf8_lossy(text);
    let printed = match (entry.reread)(&text) {
        Ok(printed) => printed,
        Err(e) => panic!("{}: {e}", entry.name),
    };
    match (&printed, (entry.reprint)(&text)) {
        (Some(printed), Ok(reprinted)) => assert_eq!(printed, &reprinted, "{}", entry.name),
        (None, Err(_)) => {}
        (printed, reprinted) => panic!("{}: {printed:?} but reprint {reprinted:?}", entry.name),
    }
    let format = (entry.format)();
    if let Ok(pairs) = propstring::parse(&text, format) {
        let printed = propstring::print(&pairs, format);
        match propstring::parse(&printed, format) {
            Ok(again) => assert_eq!(
                again, pairs,
                "{}: {text:?} printed as {printed:?}",
                entry.name
            ),
            Err(e) => panic!("{}: {text:?} printed as {printed:?}: {e}", entry.name),
        }
    }
    printed.is_some()
}

// ------------------------------------------------------------------------------------------
// UPIDs.

/// Target `upid`: a UPID that parses prints as it came, parses again as itself and goes
/// through serde; one that does not is an error that formats.
pub fn upid(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Upid::parse(&text) {
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"), Error::from(e).to_string());
        }
        Ok(upid) => {
            assert_eq!(upid.to_string(), text);
            assert_eq!(upid.as_str(), text);
            let _ = (upid.node(), upid.pid(), upid.pstart(), upid.starttime());
            let _ = (
                upid.task_type(),
                upid.id(),
                upid.user(),
                format!("{upid:?}"),
            );
            assert_eq!(text.parse::<Upid>().ok().as_ref(), Some(&upid));
            let json = Value::String(text.to_string());
            match serde_json::from_value::<Upid>(json) {
                Ok(again) => assert_eq!(again, upid),
                Err(e) => panic!("{text:?} parses but does not deserialise: {e}"),
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Error answers.

/// Target `error_body`: two bytes of HTTP status, a byte of reason length, the reason, then
/// the body (HTML, empty, not UTF-8, PVE's JSON, ...). The error keeps the body, takes
/// PVE's message from JSON when it has one (else the reason) and formats.
pub fn error_body(data: &[u8]) {
    let [s0, s1, len, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*s0, *s1]);
    let (reason, body) = rest.split_at(usize::from(*len).min(rest.len()));
    let reason = String::from_utf8_lossy(reason);
    let Some(err) = api_error_of(status, &reason, body) else {
        assert!(!(100..=999).contains(&status), "status {status} refused");
        return;
    };
    assert_eq!(err.status, status);
    assert_eq!(err.body, String::from_utf8_lossy(body));
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(|v| v.get("message")?.as_str())
        .map(str::trim_end)
        .filter(|m| !m.is_empty());
    assert_eq!(err.message, message.unwrap_or(reason.as_ref()));
    let _ = (err.is_not_found(), format!("{err:?}"));
    let err = Error::Api(Box::new(err));
    let _ = (err.to_string(), err.status(), err.param_error("net0"));
    let _ = err.is_retry_safe();
}

// ------------------------------------------------------------------------------------------
// Login answers.

/// Stands for the ticket in [`login`]'s second reading; no fuzzed text holds it.
const TICKET_MARK: &str = "Tk7QzX9vWm2RfPb8";
/// Stands for the CSRF token likewise.
const CSRF_MARK: &str = "Cs4NhJ6yLq3GtVd5";

/// Target `login`: the body of a `POST /access/ticket` answer. Read as it is: no panic, the
/// results format. Read again with the ticket and CSRF token marked: the session holds
/// them exactly, and no `Debug` or error text shows them.
pub fn login(data: &[u8]) {
    let _ = read_as_login(data);
    let text = String::from_utf8_lossy(data);
    if text.contains(TICKET_MARK) || text.contains(CSRF_MARK) {
        return;
    }
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(Value::Object(fields)) = answer.get_mut("data") else {
        return;
    };
    let marked = |key: &str, mark: &str| match fields.get(key) {
        Some(Value::String(s)) => format!("{s}{mark}"),
        _ => mark.to_owned(),
    };
    let ticket = marked("ticket", TICKET_MARK);
    let csrf = marked("CSRFPreventionToken", CSRF_MARK);
    fields.insert("ticket".into(), Value::String(ticket.clone()));
    fields.insert("CSRFPreventionToken".into(), Value::String(csrf.clone()));
    let body = Value::Object(answer).to_string();
    let (shown, session) = read_as_login(body.as_bytes());
    for mark in [TICKET_MARK, CSRF_MARK] {
        assert!(!shown.contains(mark), "a secret shows in {shown}");
    }
    if let Some(session) = session {
        assert_eq!(session.ticket().expose(), ticket);
        assert_eq!(session.csrf_token().expose(), csrf);
    }
}

/// Reads a login answer; the `Debug` and error texts of the outcome, and the session.
fn read_as_login(body: &[u8]) -> (String, Option<proxmoxia::Session>) {
    match read_login("root@pam", body) {
        Err(e) => (format!("{e} {e:?}"), None),
        Ok((step, session)) => {
            let mut shown = format!("{step:?} {session:?}");
            if let LoginStep::NeedTfa(challenge) = &step {
                let _ = (challenge.totp(), challenge.recovery(), challenge.yubico());
                shown.push_str(&format!("{:?} {}", challenge.webauthn(), challenge.user()));
            }
            if let Some(session) = &session {
                let _ = (session.expires_at(), session.age(), session.is_expired());
                let json = match serde_json::to_value(session) {
                    Ok(json) => json,
                    Err(e) => panic!("{session:?} does not serialise: {e}"),
                };
                match serde_json::from_value::<proxmoxia::Session>(json) {
                    Ok(again) => assert_eq!(&again, session),
                    Err(e) => panic!("{session:?} does not deserialise: {e}"),
                }
            }
            (shown, session)
        }
    }
}

// ------------------------------------------------------------------------------------------
// Task logs.

/// Separates the pages of a [`task_log`] input.
pub const PAGE_SEPARATOR: u8 = 0x1e;

/// Target `task_log`: a byte for the lines a page is asked for (1 to 8), one for the most
/// lines to read, two (little-endian) for the most bytes of text, then the bodies of the
/// pages a server answers one after the other, separated by [`PAGE_SEPARATOR`]. Read as a
/// log read reads them: each line number once and in increasing order, all from 1 on,
/// never more lines or bytes than allowed, and an error that formats.
pub fn task_log(data: &[u8]) {
    let [limit, lines, b0, b1, rest @ ..] = data else {
        return;
    };
    let limit = 1 + u64::from(*limit % 8);
    let max_lines = u64::from(*lines);
    let max_bytes = u64::from(u16::from_le_bytes([*b0, *b1]));
    let pages: Vec<&[u8]> = rest.split(|b| *b == PAGE_SEPARATOR).collect();
    let (read, error) = read_log_pages(&pages, limit, max_lines, max_bytes);
    if let Some(e) = &error {
        let _ = (e.to_string(), format!("{e:?}"), e.is_retry_safe());
    }
    let mut last = 0;
    for line in &read {
        assert!(line.n > last, "line {} after {last} in {read:?}", line.n);
        last = line.n;
        let _ = format!("{line:?}");
    }
    assert!(
        read.len() as u64 <= max_lines,
        "{} lines of {max_lines}",
        read.len()
    );
    let bytes: u64 = read.iter().map(|l| l.t.len() as u64).sum();
    assert!(bytes <= max_bytes, "{bytes} bytes of {max_bytes}");
}

// ------------------------------------------------------------------------------------------
// The command line.

/// Target `cli_args`: a `proxmoxia` call's command line as the CLI reads it before it
/// connects (`create /nodes/pve1/lxc --vmid 300 --net0 name=eth0 --start`), its words
/// separated by NUL: the verb (`get`, `create`, `set`, `delete`; another picks one by its
/// hash), the API path, the `--name value` arguments. No panic; a failure has a message and
/// a failure's exit status; a command line that reads gives each parameter a rule of the
/// method and a text per time it was given, and printed back (the path escaped, each value
/// `--name=value`) reads as the same call.
pub fn cli_args(data: &[u8]) {
    cli_args_reads(data);
}

/// [`cli_args`]; true when the command line reads.
pub fn cli_args_reads(data: &[u8]) -> bool {
    use proxmoxia::typed::HttpMethod;
    use proxmoxia_cli::{fail, params, tree};

    const VERBS: [(&str, HttpMethod); 4] = [
        ("get", HttpMethod::Get),
        ("create", HttpMethod::Post),
        ("set", HttpMethod::Put),
        ("delete", HttpMethod::Delete),
    ];
    let text = String::from_utf8_lossy(data);
    let mut words = text.split('\0');
    let verb = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    let args: Vec<String> = words.map(str::to_owned).collect();
    let method = VERBS[pick(verb.as_bytes(), VERBS.iter().map(|v| v.0), VERBS.len())].1;
    let checked = match params::check(method, path, &args, &[]) {
        Ok(checked) => checked,
        Err(failed) => {
            assert!(!failed.message.is_empty(), "{args:?}: an empty message");
            assert!(
                [fail::FAILED, fail::USAGE].contains(&failed.code),
                "{args:?}: exit status {}",
                failed.code
            );
            return false;
        }
    };
    let mut again = Vec::new();
    for (name, value) in &checked.given {
        assert!(
            params::param_for(checked.entry, name).is_some(),
            "{args:?}: --{name} has no rule"
        );
        let values = match value {
            Value::String(text) => vec![text.as_str()],
            Value::Array(items) if items.len() >= 2 => items
                .iter()
                .map(|v| match v {
                    Value::String(text) => text.as_str(),
                    other => panic!("{args:?}: --{name} has {other} in its list"),
                })
                .collect(),
            other => panic!("{args:?}: --{name} is {other}"),
        };
        again.extend(values.iter().map(|v| format!("--{name}={v}")));
    }
    let printed: Vec<String> = checked
        .resolved
        .segments
        .iter()
        .map(|s| tree::escape(s))
        .collect();
    let printed = format!("/{}", printed.join("/"));
    match params::check(method, &printed, &again, &[]) {
        Ok(reread) => {
            assert_eq!(reread.given, checked.given, "{args:?} printed as {again:?}");
            assert_eq!(
                reread.resolved.params, checked.resolved.params,
                "{path:?} printed as {printed:?}"
            );
            assert_eq!(
                reread.resolved.node.template,
                checked.resolved.node.template
            );
        }
        Err(e) => panic!(
            "{path:?} {args:?} printed as {printed:?} {again:?}: {}",
            e.message
        ),
    }
    true
}
