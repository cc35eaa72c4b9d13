//! A seeded smoke of every fuzz target of `fuzz/`: the fuzzers' own checks (`fuzz/src/lib.rs`,
//! included here) on the same inputs every run. Per target: the committed seeds and
//! regressions as they are, then a fixed count of inputs proptest draws from a fixed seed:
//! seeds mutated (bytes changed, inserted, removed; JSON and property-string tokens put in),
//! arbitrary JSON and bytes, and for property strings texts built from each format's own
//! keys and values, every format in turn, and for the CLI's command lines words of real
//! calls. A failing input is shrunk and shown.

use std::fmt;
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proxmoxia::api::formats::ALL;
use proxmoxia::catalog::PropFormat;
use serde_json::{Map, Value, json};

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

/// The generator's seed: every run draws the same inputs.
const SEED: &[u8; 32] = b"proxmoxia fuzz smoke, fixed seed";

/// One input, shown as text with escapes when a check fails.
#[derive(Clone)]
struct Input(Vec<u8>);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// Runs `target` on `cases` inputs of `strategy`; a failure panics with the shrunk input.
fn smoke(target: fn(&[u8]), cases: u32, strategy: impl Strategy<Value = Input>) {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, SEED);
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&strategy, |input| {
        target(&input.0);
        Ok(())
    }) {
        panic!("{e}");
    }
}

/// The committed inputs of a target (`fuzz/seeds/<target>`, `fuzz/regressions/<target>`),
/// each run as it is; the seeds, for mutating.
fn committed(name: &str, target: fn(&[u8])) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let read = |dir: &str| -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(name)) else {
            return Vec::new();
        };
        let mut paths: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        paths.sort();
        paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    };
    let seeds = read("seeds");
    assert!(!seeds.is_empty(), "no seeds in fuzz/seeds/{name}");
    for input in seeds.iter().chain(&read("regressions")) {
        target(input);
    }
    seeds
}

/// Inserted by [`mutated`]: JSON and property-string syntax, odd numbers and text.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "=",
    "\\",
    ";",
    "null",
    "true",
    "0",
    "1",
    "-1",
    "1e999",
    "-0.0",
    "0.5",
    "18446744073709551616",
    "\"yes\"",
    "\"\"",
    "\"1\"",
    "\\u0000",
    "\\ud800",
    "\u{fffd}",
    "\u{e9}",
    "\n",
    " ",
    "UPID:",
    "PVE:",
    "!tfa!",
    "%7B",
    "data",
    "\"data\":",
    "{\"data\":",
    "<html>",
    "\u{ff}",
];

/// A seed with up to 8 edits: a byte changed, inserted or removed, or a token put in.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Input> {
    let count = seeds.len();
    (0..count, vec((any::<usize>(), 0..4u8, any::<u8>()), 0..8)).prop_map(move |(i, edits)| {
        let mut bytes = seeds[i].clone();
        for (at, kind, byte) in edits {
            let at = at % (bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {
                    let token = TOKENS[usize::from(byte) % TOKENS.len()];
                    bytes.splice(at..at, token.bytes());
                }
            }
        }
        Input(bytes)
    })
}

/// Object keys of [`json`]: fields of PVE's answers.
const KEYS: &[&str] = &[
    "data",
    "vmid",
    "name",
    "node",
    "status",
    "type",
    "id",
    "net0",
    "net1",
    "scsi0",
    "mp0",
    "rootfs",
    "memory",
    "cpu",
    "maxmem",
    "upid",
    "tags",
    "template",
    "digest",
    "features",
    "migration",
    "prune-backups",
    "keep-last",
    "virtio",
    "bridge",
    "lxc",
    "uptime",
    "loadavg",
    "ticket",
    "CSRFPreventionToken",
    "NeedTFA",
    "username",
    "cap",
    "message",
    "errors",
    "x",
];

/// Strings of [`json`]: PVE's spellings of numbers and booleans, property strings, UPIDs.
const STRINGS: &[&str] = &[
    "",
    "1",
    "0",
    "yes",
    "off",
    "abc",
    "1.5",
    "1e5",
    "-0",
    "nan",
    "inf",
    "9223372036854775808",
    "virtio=BC:24:11:00:00:01,bridge=vmbr0",
    "a,b",
    "\"",
    "x\"\\\"=,\"",
    "UPID:pve1:000A1B2C:0123ABCD:6752F1A0:qmstart:100:root@pam:",
];

/// Arbitrary JSON, leaning to what PVE sends.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20f64..1e20).prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((select(KEYS), inner), 0..6).prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// `name`, a newline, then `body`: how `decode` and `property_string` take their type.
fn named(name: &str, body: &[u8]) -> Input {
    Input([name.as_bytes(), b"\n", body].concat())
}

#[test]
fn every_target_is_smoked() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|t| t.0).collect();
    assert_eq!(
        names,
        [
            "decode",
            "property_string",
            "upid",
            "error_body",
            "login",
            "task_log",
            "cli_args"
        ]
    );
}

#[test]
fn decode() {
    let seeds = committed("decode", targets::decode);
    for seed in &seeds {
        let text = String::from_utf8_lossy(seed);
        assert!(targets::decode_reads(seed), "a seed does not read: {text}");
    }
    let names: Vec<&str> = targets::ANSWERS.iter().map(|a| a.0).collect();
    let inputs = prop_oneof![
        mutated(seeds),
        (select(names.clone()), json(), any::<bool>()).prop_map(|(name, value, wrap)| {
            let body = if wrap {
                json!({ "data": value })
            } else {
                value
            };
            named(name, body.to_string().as_bytes())
        }),
        (select(names), vec(any::<u8>(), 0..48)).prop_map(|(name, bytes)| named(name, &bytes)),
    ];
    smoke(targets::decode, 3000, inputs);
}

/// Texts of `format`: its keys (with `=` and alone), its enum values, PVE's value
/// spellings and the syntax of quoting, in any order.
fn texts(format: &PropFormat) -> impl Strategy<Value = String> + use<> {
    let mut tokens: Vec<String> = Vec::new();
    for key in format.keys {
        tokens.push(format!("{}=", key.key));
        tokens.push(key.key.to_owned());
        tokens.extend(key.rule.enum_values.iter().map(|v| (*v).to_owned()));
    }
    tokens.extend(
        [
            ",",
            ",",
            "=",
            "\"",
            "\\",
            " ",
            "1",
            "0",
            "yes",
            "-1",
            "1.5",
            "1e3",
            "abc",
            "vmbr0",
            "BC:24:11:00:00:01",
            "local:iso/x.iso",
            "4G",
            "a;b",
            "x\"\\\"",
            "new=",
            "\u{e9}",
        ]
        .map(String::from),
    );
    vec(select(tokens), 0..16).prop_map(|parts| parts.concat())
}

#[test]
fn property_string() {
    let seeds = committed("property_string", targets::property_string);
    for seed in &seeds {
        let text = String::from_utf8_lossy(seed);
        assert!(
            targets::property_string_reads(seed),
            "a seed does not read: {text}"
        );
    }
    smoke(targets::property_string, 1000, mutated(seeds));
    for entry in ALL {
        let inputs =
            texts((entry.format)()).prop_map(move |text| named(entry.name, text.as_bytes()));
        smoke(targets::property_string, 100, inputs);
    }
}

#[test]
fn upid() {
    let seeds = committed("upid", targets::upid);
    let hex = || "[0-9A-Fa-f]{0,10}";
    let built = (
        "[a-zA-Z0-9-]{0,6}",
        hex(),
        hex(),
        hex(),
        "[a-z]{0,8}",
        "[^:\\s]{0,6}",
        "[^:\\s]{0,10}",
    )
        .prop_map(|(node, pid, pstart, start, kind, id, user)| {
            let text = format!("UPID:{node}:{pid}:{pstart}:{start}:{kind}:{id}:{user}:");
            Input(text.into_bytes())
        });
    let inputs = prop_oneof![
        mutated(seeds),
        built,
        "\\PC{0,40}".prop_map(|s| Input(s.into_bytes())),
        vec(any::<u8>(), 0..40).prop_map(Input),
    ];
    smoke(targets::upid, 2000, inputs);
}

/// Two bytes of status, a length byte, the reason, the body: `error_body`'s input.
fn error_input(status: u16, reason: &str, body: &[u8]) -> Input {
    let reason = &reason.as_bytes()[..reason.len().min(255)];
    let len = [u8::try_from(reason.len()).unwrap_or(u8::MAX)];
    Input([&status.to_be_bytes()[..], &len, reason, body].concat())
}

#[test]
fn error_body() {
    let seeds = committed("error_body", targets::error_body);
    let messages = (json(), vec((select(KEYS), json()), 0..4)).prop_map(|(message, errors)| {
        let errors: Map<String, Value> =
            errors.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        json!({ "data": null, "message": message, "errors": errors })
            .to_string()
            .into_bytes()
    });
    let bodies = prop_oneof![
        messages,
        json().prop_map(|v| v.to_string().into_bytes()),
        "\\PC{0,30}".prop_map(|s| format!("<html><body>{s}</body></html>").into_bytes()),
        Just(Vec::new()),
        vec(any::<u8>(), 0..40),
    ];
    let statuses = prop_oneof![100u16..600, any::<u16>()];
    let built = (statuses, "\\PC{0,20}", bodies)
        .prop_map(|(status, reason, body)| error_input(status, &reason, &body));
    smoke(
        targets::error_body,
        2000,
        prop_oneof![mutated(seeds), built],
    );
}

/// Percent-encodes everything but ASCII letters and digits, as PVE's TFA tickets are.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn login() {
    let seeds = committed("login", targets::login);
    let ticket = prop_oneof![
        ("[a-z@]{1,10}", "[0-9A-F]{0,17}", "[A-Za-z0-9+/=]{0,12}")
            .prop_map(|(user, hex, sig)| Value::String(format!("PVE:{user}:{hex}::{sig}"))),
        (json(), "[0-9A-F]{8}").prop_map(|(challenge, hex)| {
            let challenge = percent(&challenge.to_string());
            Value::String(format!("PVE:!tfa!{challenge}:{hex}::sig"))
        }),
        json(),
    ];
    let optional = || proptest::option::of(json());
    let answers = (
        ticket,
        optional(),
        optional(),
        optional(),
        optional(),
        optional(),
    )
        .prop_map(|(ticket, csrf, username, cluster, cap, need_tfa)| {
            let mut data = Map::new();
            data.insert("ticket".into(), ticket);
            let fields = [
                ("CSRFPreventionToken", csrf),
                ("username", username),
                ("clustername", cluster),
                ("cap", cap),
                ("NeedTFA", need_tfa),
            ];
            for (key, value) in fields {
                if let Some(value) = value {
                    data.insert(key.into(), value);
                }
            }
            Input(json!({ "data": data }).to_string().into_bytes())
        });
    let inputs = prop_oneof![
        mutated(seeds),
        answers,
        vec(any::<u8>(), 0..40).prop_map(Input)
    ];
    smoke(targets::login, 2000, inputs);
}

#[test]
fn task_log() {
    let seeds = committed("task_log", targets::task_log);
    // Line numbers around the edges: below 1, repeated, far ahead; texts long and short.
    let n = prop_oneof![
        -3i64..12,
        Just(i64::MAX),
        Just(i64::MIN),
        Just(1_000_000_000i64)
    ];
    let line = (n, "[a-z ]{0,40}").prop_map(|(n, t)| json!({"n": n, "t": t}));
    let page = vec(line, 0..10).prop_map(|lines| json!({ "data": lines }).to_string());
    let inputs = (any::<[u8; 4]>(), vec(page, 0..6)).prop_map(|(head, pages)| {
        let mut input = head.to_vec();
        let pages: Vec<Vec<u8>> = pages.into_iter().map(String::into_bytes).collect();
        input.extend(pages.join(&targets::PAGE_SEPARATOR));
        Input(input)
    });
    let inputs = prop_oneof![
        mutated(seeds),
        inputs,
        vec(any::<u8>(), 0..40).prop_map(Input)
    ];
    smoke(targets::task_log, 3000, inputs);
}

/// Words of [`cli_args`]'s command lines: parameters of the paths below, as `--name value`
/// and `--name=value`, their values, the CLI's own options and odd ones.
const CLI_WORDS: &[&str] = &[
    "--vmid",
    "300",
    "--vmid=100",
    "--net0",
    "--net1",
    "--net",
    "name=eth0,bridge=vmbr0",
    "virtio,bridge=vmbr0",
    "--start",
    "--cores",
    "--cores=4",
    "0",
    "1",
    "-1",
    "--delete",
    "net1,ide2",
    "--description",
    "a\nb",
    "--ostemplate",
    "local:vztmpl/x.tar.zst",
    "--rootfs",
    "local-lvm:8",
    "--target",
    "pve2",
    "--online",
    "--type",
    "vm",
    "--volume",
    "--filepath",
    "--",
    "--=",
    "--=x",
    "-o",
    "json",
    "",
    "%2F",
    "\u{e9}",
    "--\u{e9}",
    "{vmid}",
];

/// Paths of [`cli_args`]'s command lines, as a user writes them.
const CLI_PATHS: &[&str] = &[
    "/nodes/pve1/lxc",
    "/nodes/pve1/qemu",
    "/nodes/pve1/qemu/100/config",
    "/nodes/pve1/qemu/100/migrate",
    "nodes/pve1/lxc/200/",
    "/nodes/pve1/storage/local/content/local:iso%2Fx.iso",
    "/nodes/pve1/storage/local/file-restore/download",
    "/cluster/resources",
    "/",
    "",
    "/nodes/{node}/qemu",
    "/nodes/pve1/nothing",
    "/nodes/%/qemu",
    "/nodes/pve%FF1/qemu",
];

#[test]
fn cli_args() {
    let seeds = committed("cli_args", targets::cli_args);
    for seed in &seeds {
        let text = String::from_utf8_lossy(seed);
        assert!(
            targets::cli_args_reads(seed),
            "a seed does not read: {text:?}"
        );
    }
    let verbs: &[&str] = &["get", "create", "set", "delete", "x"];
    let built = (
        select(verbs),
        select(CLI_PATHS),
        vec(select(CLI_WORDS), 0..10),
    )
        .prop_map(|(verb, path, words)| {
            let mut line = vec![verb, path];
            line.extend(words);
            Input(line.join("\0").into_bytes())
        });
    let inputs = prop_oneof![
        mutated(seeds),
        built,
        vec(any::<u8>(), 0..48).prop_map(Input),
    ];
    smoke(targets::cli_args, 3000, inputs);
}

/// The outside probe's find (issue 11): `x"\"=,"` as `QemuNet` read `x"\"` as an unknown
/// key, printed it unquoted, and the print did not read. A quote before the `=` now makes
/// the part a bare value (the model here); odd unknown keys without one print as they read.
#[test]
fn odd_unknown_keys_print_as_text_that_reads_back() {
    use proxmoxia::api::formats::QemuNet;
    let probe = r#"x"\"=,""#;
    let net = QemuNet::parse(probe).unwrap();
    assert!(net.extra.is_empty(), "{net:?}");
    assert_eq!(net.to_string(), r#"model="x\"\\\"=,\"""#);
    assert_eq!(QemuNet::parse(&net.to_string()).unwrap(), net);
    // With a model already given, the bare value is a second model: an error, as in PVE.
    assert!(QemuNet::parse(&format!("virtio,{probe}")).is_err());

    let odd = r#"virtio,a\b=1, k =v,k2==v,k3=v=w,k4="""#;
    let net = QemuNet::parse(odd).unwrap();
    let extra: Vec<(&str, &str)> = net
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        extra,
        [
            (" k ", "v"),
            ("a\\b", "1"),
            ("k2", "=v"),
            ("k3", "v=w"),
            ("k4", "")
        ]
    );
    assert_eq!(net.to_string(), r#"virtio, k =v,a\b=1,k2==v,k3=v=w,k4="""#);
    assert_eq!(QemuNet::parse(&net.to_string()).unwrap(), net);
}
