//! Differential test of the typed client's parameter validation against fakepve's.
//!
//! fakepve validates request parameters against PVE's schema the way PVE does (PVE's own
//! wording, a 400 with an `errors` map). For a sample of POST/PUT endpoints this test builds
//! valid and invalid parameter sets and asks both sides:
//!
//! * the client: `typed::params_from_json::<E>(json)` (rejects wrong types, closed enum
//!   values and unknown names), then `typed::validate_for` PVE 9.2 (ranges, lengths,
//!   patterns, named formats, property strings, list items, indexed families, `requires`;
//!   where the vendored versions differ, 9.2's rule; what 9.2 lacks);
//! * fakepve: the same parameters sent through `client.raw(path)`: a 400 with an `errors` map
//!   is a rejection naming those parameters, any other answer (200, or 500 for a node, VM or
//!   pool that does not exist) means the parameters passed validation.
//!
//! They agree when both accept, or both reject and the parameter the client names (its
//! top-level name: `net0.tag` is `net0`) is one fakepve names. Every disagreement is
//! classified (see [`classify`]) and listed; the report is printed and written to
//! `target/differential-report.txt`.
//!
//! # The committed list
//!
//! Every case is one line of `tests/tests/coverage/differential.txt` (see [`case_line`]):
//! endpoint, case rule, parameter and value, the client's verdict (the parameter it names and
//! its rule), fakepve's (status, or the parameters it names) and the agreement class (the
//! reason of a disagreement), sorted, under a header with the totals. The test fails when the
//! run's list differs from the committed one in any line, printing the differing lines, and
//! when a disagreement has no explanation (in particular: the client rejecting what fakepve
//! accepts where fakepve does not lack the rule). After a deliberate change (of the client,
//! fakepve or the cases), `UPDATE_DIFFERENTIAL=1 cargo test -p proxmoxia-tests --test
//! differential` rewrites the list; review its diff, every changed line is a changed outcome.
//! A line holds nothing that depends on timing, ports or the machine: values are the seeded
//! ones, the verdicts leave the messages out (fakepve's is a status or the parameters it
//! names); only the class of a handler's refusal quotes fakepve's own fixed wording.
//!
//! # Cases
//!
//! For each endpoint of [`endpoints`] (a hand-written minimal valid parameter set each), the
//! cases are derived from the endpoint's schema in `apidoc/pve-9.2.json`, values drawn by a
//! proptest `TestRunner` with a fixed seed ([`SEED`]), so every run sends the same cases:
//!
//! * the valid base; each required parameter left out;
//! * per parameter, a random valid value (enum member, number in range, value of its named
//!   format, property string with its required keys and a few optional ones), the range
//!   boundaries, and edge values of named formats that PVE accepts ([`edge_values`]);
//! * per parameter, invalid values: wrong type (`abc` for an integer, `maybe` for a boolean),
//!   a value outside the enum, below the minimum, above the maximum (fixed and random), one
//!   character too long or short, a pattern violation, a bad value of its named format
//!   ([`bad_values`]), a bad list item;
//! * per property string (object formats): an unknown key, a bare value where the format has
//!   no default key, a required key left out, and per key (every key, a seeded sample when a
//!   format has more than [`MAX_KEYS`]) each invalid value above; named property-string
//!   formats (keys only in the typetext) get the hand-written cases of [`named_prop_cases`];
//! * per indexed family: the first index beyond PVE's maximum (`net32`);
//! * an unknown parameter; the hand-written cases of [`HAND`] (`tag=5000` and
//!   `bridge=bad bridge` in `net1`, `net99`, duplicate keys, ...); a few lenient spellings
//!   the client's decoder normalises ([`LENIENT`]); invalid path parameters ([`BAD_PATHS`]).
//!
//! No case sends an empty value: fakepve's form parser drops blank values, so it would not
//! see the parameter at all.
//!
//! Objects: paths under `/nodes/pve9/...` name a node that does not exist, so fakepve
//! validates and then answers 500 without changing anything; firewall endpoints use node
//! `pve1`, VM 100, CT 200 of the seed and the security group `diffrules` made first, so
//! fakepve's firewall handler (which checks the `pve-fw-*` formats, as PVE's does) runs;
//! cluster-level creations get a fresh name per case (`unique`); PUTs of single objects
//! name ones that do not exist (`storage/nostore`, `pools/nopool`).
//!
//! # Disagreements
//!
//! [`classify`] gives each one a reason ([`Why`]):
//!
//! * fakepve gap: fakepve lacks a rule the schema states (named formats and property-string
//!   formats it does not implement, patterns in Perl's `(?^...)` syntax it cannot compile,
//!   index limits it does not know); the client is right;
//! * schema difference: fakepve's schema is a newer PVE 9 (see `apidoc/README.md`);
//! * not stated by the schema: fakepve's handler refused for state or cross-parameter
//!   reasons (a REJECT rule on the forward chain, ...);
//! * client normalises: the lenient spellings, sent normalised;
//! * unexplained, and the test fails: anything else, in particular a rule the client misses
//!   or gets wrong (a named format it does not check, a pattern it reads differently).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proxmoxia::typed::Endpoint;
use proxmoxia::{Client, Error, api};
use proxmoxia_tests::FakePve;
use serde_json::{Map, Value, json};

/// The seed of every drawn value.
const SEED: [u8; 32] = *b"proxmoxia-differential-test-seed";
/// Keys of one property string that get invalid values, at most (a seeded sample).
const MAX_KEYS: usize = 64;

// ------------------------------------------------------------------------------------------
// Verdicts.

/// What one side said about a parameter set.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Accepted (fakepve: any answer but a 400 with an `errors` map).
    Accept { detail: String },
    /// Rejected, naming these top-level parameters.
    Reject {
        params: BTreeSet<String>,
        /// The full names and messages (`net0.tag: maximum: ...`).
        detail: String,
        /// The client's rule (`format mac-addr`, `property string key`, `decode`).
        rule: String,
        /// The full name the client gave (`net0.tag`).
        full: String,
    },
}

impl Verdict {
    fn accept(detail: impl Into<String>) -> Verdict {
        Verdict::Accept {
            detail: detail.into(),
        }
    }

    fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept { .. })
    }

    fn detail(&self) -> &str {
        match self {
            Verdict::Accept { detail } | Verdict::Reject { detail, .. } => detail,
        }
    }
}

/// The top-level parameter of a name the client or fakepve gives: `params.net0.tag`,
/// `net0.tag` and `vms[1]` are `net0`, `net0` and `vms`.
fn top_param(name: &str) -> String {
    let name = name.strip_prefix("params.").unwrap_or(name);
    name.split(['.', '[']).next().unwrap_or(name).to_owned()
}

/// The client's verdict: check the path parameters of `path`, decode the parameters as
/// `E::Params`, then validate them.
fn client_check<E: Endpoint>(params: &Map<String, Value>, path: &str) -> Verdict {
    if let Err(Error::Validation(e)) = E::CATALOG.check_path(path) {
        return Verdict::Reject {
            params: BTreeSet::from([e.param.clone()]),
            detail: format!("{}: {}: {}", e.param, e.rule, e.message),
            rule: e.rule.clone(),
            full: e.param.clone(),
        };
    }
    let decoded = match proxmoxia::typed::params_from_json::<E>(Value::Object(params.clone())) {
        Ok(decoded) => decoded,
        Err(Error::Decode(failure)) => {
            let full = failure
                .path
                .strip_prefix("params.")
                .unwrap_or(&failure.path)
                .to_owned();
            return Verdict::Reject {
                params: BTreeSet::from([top_param(&failure.path)]),
                detail: format!("{full}: decode: {}", failure.message),
                rule: "decode".into(),
                full,
            };
        }
        Err(other) => panic!("decoding parameters: {other}"),
    };
    // fakepve is a PVE 9.2 build: checked as the client checks a call to a 9.2 cluster.
    let pve92 = proxmoxia::PveVersion::parse("9.2").expect("a version");
    match proxmoxia::typed::validate_for::<E>(path, &decoded, &pve92) {
        Ok(()) => Verdict::accept("valid"),
        Err(Error::Validation(e)) => Verdict::Reject {
            params: BTreeSet::from([top_param(&e.param)]),
            detail: format!("{}: {}: {}", e.param, e.rule, e.message),
            rule: e.rule.clone(),
            full: e.param.clone(),
        },
        Err(other) => Verdict::Reject {
            params: BTreeSet::from(["?".to_owned()]),
            detail: format!("unexpected error: {other}"),
            rule: "other".into(),
            full: "?".into(),
        },
    }
}

/// fakepve's verdict on an answer.
fn fakepve_verdict(answer: Result<Value, Error>) -> Verdict {
    match answer {
        Ok(_) => Verdict::accept("200"),
        Err(Error::Api(e)) if e.status == 400 && !e.errors.is_empty() => {
            let detail = e
                .errors
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.trim_end().replace('\n', " | ")))
                .collect::<Vec<_>>()
                .join("; ");
            Verdict::Reject {
                params: e.errors.keys().map(|k| top_param(k)).collect(),
                detail,
                rule: String::new(),
                full: String::new(),
            }
        }
        Err(Error::Api(e)) => {
            assert!(
                !matches!(e.status, 401 | 403 | 404 | 501),
                "fakepve answered {} {} {}: the test is wrong: {e}",
                e.status,
                e.method,
                e.path
            );
            Verdict::accept(format!("{}: {}", e.status, shorten(&e.message, 100)))
        }
        Err(other) => panic!("fakepve did not answer: {other}"),
    }
}

/// The messages of PVE's schema validation (`PVE::JSONSchema`), and the `invalid format`
/// prefix PVE's firewall uses for its formats: a 400 without one of them comes from a
/// handler's own check (state, cross-parameter semantics), not from the schema.
const SCHEMA_WORDING: &[&str] = &[
    "invalid format",
    "value does not match the regex pattern",
    "value may only be",
    "value must be at least",
    "value must have a maximum value",
    "value must have a minimum value",
    "does not have a value in the enumeration",
    "type check",
    "property is missing and it is not optional",
    "property is not defined in schema",
    "missing property required by",
    "array must have at least",
];

fn schema_wording(detail: &str) -> bool {
    SCHEMA_WORDING.iter().any(|w| detail.contains(w))
}

// ------------------------------------------------------------------------------------------
// Endpoints.

type ClientCheck = fn(&Map<String, Value>, &str) -> Verdict;

/// One sampled endpoint: its schema path, the path the test sends to, the client's check,
/// a minimal valid parameter set, and the parameter (if any) made unique per case because
/// fakepve keeps what valid cases create.
struct Ep {
    method: &'static str,
    template: &'static str,
    path: &'static str,
    check: ClientCheck,
    base: Map<String, Value>,
    unique: Option<&'static str>,
}

macro_rules! ep {
    ($method:literal $template:literal at $path:literal, $($module:ident)::+, unique $unique:expr, $base:tt) => {
        Ep {
            method: $method,
            template: $template,
            path: $path,
            check: client_check::<$($module)::+::Endpoint>,
            base: match json!($base) {
                Value::Object(map) => map,
                _ => unreachable!("a base is an object"),
            },
            unique: $unique,
        }
    };
}

/// The sampled endpoints and their minimal valid parameters.
///
/// | area | endpoints |
/// |---|---|
/// | QEMU | create; config PUT and POST; clone, migrate, resize, snapshot, move_disk, sendkey, template |
/// | LXC | create; config PUT; clone, resize, migrate, snapshot |
/// | node | network POST/PUT, vzdump, dns, time, startall, migrateall, storage content, config |
/// | firewall | cluster rules POST/PUT, options, aliases, groups, ipset, ipset entry, group rule; node rules/options; VM rules/options/aliases/ipset; CT rules/options |
/// | storage | `/storage` POST, `/storage/{storage}` PUT |
/// | access | users POST/PUT, groups POST/PUT, roles POST/PUT, acl, tokens, domains |
/// | pools | `/pools` POST/PUT, `/pools/{poolid}` PUT |
/// | cluster | HA resources POST/PUT, HA groups, replication POST/PUT, backup jobs POST/PUT, SDN zones POST/PUT, vnets, subnets, options, metrics servers |
#[rustfmt::skip]
fn endpoints() -> Vec<Ep> {
    vec![
        // ---- QEMU (node pve9 does not exist: validation only)
        ep!("POST" "/nodes/{node}/qemu" at "nodes/pve9/qemu", api::nodes::node::qemu::post, unique None,
            {"vmid": "900", "name": "diff-vm", "memory": "2048", "cores": "2", "sockets": "1",
             "ostype": "l26", "net0": "virtio,bridge=vmbr0", "scsihw": "virtio-scsi-single",
             "scsi0": "local-lvm:8"}),
        ep!("PUT" "/nodes/{node}/qemu/{vmid}/config" at "nodes/pve9/qemu/100/config",
            api::nodes::node::qemu::vmid::config::put, unique None,
            {"cores": "2", "memory": "1024", "name": "web"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/config" at "nodes/pve9/qemu/100/config",
            api::nodes::node::qemu::vmid::config::post, unique None,
            {"cores": "4", "description": "differential"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/clone" at "nodes/pve9/qemu/100/clone",
            api::nodes::node::qemu::vmid::clone::post, unique None,
            {"newid": "901", "name": "clone1", "full": "1"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/migrate" at "nodes/pve9/qemu/100/migrate",
            api::nodes::node::qemu::vmid::migrate::post, unique None,
            {"target": "pve2", "online": "1"}),
        ep!("PUT" "/nodes/{node}/qemu/{vmid}/resize" at "nodes/pve9/qemu/100/resize",
            api::nodes::node::qemu::vmid::resize::put, unique None,
            {"disk": "scsi0", "size": "+1G"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/snapshot" at "nodes/pve9/qemu/100/snapshot",
            api::nodes::node::qemu::vmid::snapshot::post, unique None,
            {"snapname": "before_upgrade", "description": "d"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/move_disk" at "nodes/pve9/qemu/100/move_disk",
            api::nodes::node::qemu::vmid::move_disk::post, unique None,
            {"disk": "scsi0", "storage": "local", "format": "qcow2"}),
        ep!("PUT" "/nodes/{node}/qemu/{vmid}/sendkey" at "nodes/pve9/qemu/100/sendkey",
            api::nodes::node::qemu::vmid::sendkey::put, unique None,
            {"key": "ctrl-alt-delete"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/template" at "nodes/pve9/qemu/100/template",
            api::nodes::node::qemu::vmid::template::post, unique None,
            {"disk": "scsi0"}),
        // ---- LXC
        ep!("POST" "/nodes/{node}/lxc" at "nodes/pve9/lxc", api::nodes::node::lxc::post, unique None,
            {"vmid": "910", "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
             "hostname": "ct1", "memory": "512", "net0": "name=eth0,bridge=vmbr0,ip=dhcp",
             "rootfs": "local-lvm:8"}),
        ep!("PUT" "/nodes/{node}/lxc/{vmid}/config" at "nodes/pve9/lxc/200/config",
            api::nodes::node::lxc::vmid::config::put, unique None,
            {"cores": "2", "memory": "1024", "hostname": "dns2"}),
        ep!("POST" "/nodes/{node}/lxc/{vmid}/clone" at "nodes/pve9/lxc/200/clone",
            api::nodes::node::lxc::vmid::clone::post, unique None,
            {"newid": "911", "hostname": "c2"}),
        ep!("PUT" "/nodes/{node}/lxc/{vmid}/resize" at "nodes/pve9/lxc/200/resize",
            api::nodes::node::lxc::vmid::resize::put, unique None,
            {"disk": "rootfs", "size": "+1G"}),
        ep!("POST" "/nodes/{node}/lxc/{vmid}/migrate" at "nodes/pve9/lxc/200/migrate",
            api::nodes::node::lxc::vmid::migrate::post, unique None,
            {"target": "pve2", "restart": "1"}),
        ep!("POST" "/nodes/{node}/lxc/{vmid}/snapshot" at "nodes/pve9/lxc/200/snapshot",
            api::nodes::node::lxc::vmid::snapshot::post, unique None,
            {"snapname": "s1"}),
        // ---- node
        ep!("POST" "/nodes/{node}/network" at "nodes/pve9/network", api::nodes::node::network::post,
            unique None,
            {"iface": "vmbr9", "type": "bridge", "autostart": "1", "bridge_ports": "eno1",
             "cidr": "192.0.2.1/24"}),
        ep!("PUT" "/nodes/{node}/network/{iface}" at "nodes/pve9/network/vmbr9",
            api::nodes::node::network::iface::put, unique None,
            {"type": "bridge", "mtu": "1500"}),
        ep!("POST" "/nodes/{node}/vzdump" at "nodes/pve9/vzdump", api::nodes::node::vzdump::post,
            unique None,
            {"vmid": "100", "mode": "snapshot", "compress": "zstd", "storage": "local"}),
        ep!("PUT" "/nodes/{node}/dns" at "nodes/pve9/dns", api::nodes::node::dns::put, unique None,
            {"search": "example.org", "dns1": "192.0.2.53"}),
        ep!("PUT" "/nodes/{node}/time" at "nodes/pve9/time", api::nodes::node::time::put, unique None,
            {"timezone": "Europe/Vienna"}),
        ep!("POST" "/nodes/{node}/startall" at "nodes/pve9/startall", api::nodes::node::startall::post,
            unique None,
            {"force": "1", "vms": "100,101"}),
        ep!("POST" "/nodes/{node}/migrateall" at "nodes/pve9/migrateall",
            api::nodes::node::migrateall::post, unique None,
            {"target": "pve2", "maxworkers": "2"}),
        ep!("POST" "/nodes/{node}/storage/{storage}/content" at "nodes/pve9/storage/local/content",
            api::nodes::node::storage::storage::content::post, unique None,
            {"vmid": "100", "filename": "vm-100-disk-9.qcow2", "size": "1G", "format": "qcow2"}),
        ep!("PUT" "/nodes/{node}/config" at "nodes/pve9/config", api::nodes::node::config::put,
            unique None,
            {"description": "node"}),
        // ---- firewall (seeded objects: fakepve's firewall handler runs)
        ep!("POST" "/cluster/firewall/rules" at "cluster/firewall/rules",
            api::cluster::firewall::rules::post, unique None,
            {"action": "ACCEPT", "type": "in", "proto": "tcp", "dport": "22",
             "source": "192.0.2.0/24"}),
        ep!("PUT" "/cluster/firewall/rules/{pos}" at "cluster/firewall/rules/0",
            api::cluster::firewall::rules::pos::put, unique None,
            {"comment": "c", "enable": "1", "proto": "tcp"}),
        ep!("PUT" "/cluster/firewall/options" at "cluster/firewall/options",
            api::cluster::firewall::options::put, unique None,
            {"enable": "0", "policy_in": "ACCEPT", "ebtables": "1"}),
        ep!("POST" "/cluster/firewall/aliases" at "cluster/firewall/aliases",
            api::cluster::firewall::aliases::post, unique Some("name"),
            {"name": "diffalias", "cidr": "192.0.2.0/24", "comment": "c"}),
        ep!("POST" "/cluster/firewall/groups" at "cluster/firewall/groups",
            api::cluster::firewall::groups::post, unique Some("group"),
            {"group": "diffgrp", "comment": "c"}),
        ep!("POST" "/cluster/firewall/ipset" at "cluster/firewall/ipset",
            api::cluster::firewall::ipset::post, unique Some("name"),
            {"name": "diffset"}),
        ep!("POST" "/cluster/firewall/ipset/{name}" at "cluster/firewall/ipset/nosuchset",
            api::cluster::firewall::ipset::name::post, unique None,
            {"cidr": "192.0.2.10", "comment": "c"}),
        ep!("POST" "/cluster/firewall/groups/{group}" at "cluster/firewall/groups/diffrules",
            api::cluster::firewall::groups::group::post, unique None,
            {"action": "ACCEPT", "type": "in", "proto": "tcp"}),
        ep!("POST" "/nodes/{node}/firewall/rules" at "nodes/pve1/firewall/rules",
            api::nodes::node::firewall::rules::post, unique None,
            {"action": "ACCEPT", "type": "in", "proto": "udp", "dport": "53"}),
        ep!("PUT" "/nodes/{node}/firewall/options" at "nodes/pve1/firewall/options",
            api::nodes::node::firewall::options::put, unique None,
            {"enable": "1", "nf_conntrack_max": "262144"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/firewall/rules" at "nodes/pve1/qemu/100/firewall/rules",
            api::nodes::node::qemu::vmid::firewall::rules::post, unique None,
            {"action": "ACCEPT", "type": "in", "proto": "tcp", "dport": "443", "enable": "1"}),
        ep!("PUT" "/nodes/{node}/qemu/{vmid}/firewall/options" at "nodes/pve1/qemu/100/firewall/options",
            api::nodes::node::qemu::vmid::firewall::options::put, unique None,
            {"enable": "1", "policy_in": "DROP", "log_level_in": "info"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/firewall/aliases" at "nodes/pve1/qemu/100/firewall/aliases",
            api::nodes::node::qemu::vmid::firewall::aliases::post, unique Some("name"),
            {"name": "vmalias", "cidr": "192.0.2.0/24"}),
        ep!("POST" "/nodes/{node}/qemu/{vmid}/firewall/ipset" at "nodes/pve1/qemu/100/firewall/ipset",
            api::nodes::node::qemu::vmid::firewall::ipset::post, unique Some("name"),
            {"name": "vmset"}),
        ep!("POST" "/nodes/{node}/lxc/{vmid}/firewall/rules" at "nodes/pve1/lxc/200/firewall/rules",
            api::nodes::node::lxc::vmid::firewall::rules::post, unique None,
            {"action": "DROP", "type": "out", "proto": "tcp"}),
        ep!("PUT" "/nodes/{node}/lxc/{vmid}/firewall/options" at "nodes/pve1/lxc/200/firewall/options",
            api::nodes::node::lxc::vmid::firewall::options::put, unique None,
            {"enable": "0"}),
        // ---- storage
        ep!("POST" "/storage" at "storage", api::storage::post, unique Some("storage"),
            {"storage": "diffstore", "type": "dir", "path": "/srv/diff", "content": "images,iso"}),
        ep!("PUT" "/storage/{storage}" at "storage/nostore", api::storage::storage::put, unique None,
            {"content": "iso,backup", "shared": "0"}),
        // ---- access
        ep!("POST" "/access/users" at "access/users", api::access::users::post, unique None,
            {"userid": "diff@pve", "email": "admin@example.org", "enable": "1", "expire": "0",
             "firstname": "Ada"}),
        ep!("PUT" "/access/users/{userid}" at "access/users/root@pam",
            api::access::users::userid::put, unique None,
            {"email": "root@example.org", "enable": "1"}),
        ep!("POST" "/access/groups" at "access/groups", api::access::groups::post, unique None,
            {"groupid": "diffgroup", "comment": "c"}),
        ep!("PUT" "/access/groups/{groupid}" at "access/groups/diffgroup",
            api::access::groups::groupid::put, unique None,
            {"comment": "c"}),
        ep!("POST" "/access/roles" at "access/roles", api::access::roles::post, unique None,
            {"roleid": "DiffRole", "privs": "VM.Audit,VM.Console"}),
        ep!("PUT" "/access/roles/{roleid}" at "access/roles/DiffRole",
            api::access::roles::roleid::put, unique None,
            {"privs": "VM.Audit", "append": "1"}),
        ep!("PUT" "/access/acl" at "access/acl", api::access::acl::put, unique None,
            {"path": "/vms/100", "roles": "PVEVMUser", "users": "root@pam", "propagate": "1"}),
        ep!("POST" "/access/users/{userid}/token/{tokenid}" at "access/users/root@pam/token/difftok",
            api::access::users::userid::token::tokenid::post, unique None,
            {"comment": "c", "expire": "0", "privsep": "1"}),
        ep!("POST" "/access/domains" at "access/domains", api::access::domains::post, unique None,
            {"realm": "diffrealm", "type": "pve", "comment": "c"}),
        // ---- pools
        ep!("POST" "/pools" at "pools", api::pools::post, unique Some("poolid"),
            {"poolid": "diffpool", "comment": "c"}),
        ep!("PUT" "/pools/{poolid}" at "pools/nopool", api::pools::poolid::put, unique None,
            {"comment": "c", "vms": "100"}),
        ep!("PUT" "/pools" at "pools", api::pools::put, unique None,
            {"poolid": "nopool", "comment": "c"}),
        // ---- cluster
        ep!("POST" "/cluster/ha/resources" at "cluster/ha/resources",
            api::cluster::ha::resources::post, unique None,
            {"sid": "vm:100", "state": "started", "max_restart": "1", "max_relocate": "1",
             "comment": "c"}),
        ep!("PUT" "/cluster/ha/resources/{sid}" at "cluster/ha/resources/vm:100",
            api::cluster::ha::resources::sid::put, unique None,
            {"state": "stopped", "max_restart": "2"}),
        ep!("POST" "/cluster/ha/groups" at "cluster/ha/groups", api::cluster::ha::groups::post,
            unique None,
            {"group": "diffha", "nodes": "pve1:1,pve2", "restricted": "0"}),
        ep!("POST" "/cluster/replication" at "cluster/replication", api::cluster::replication::post,
            unique None,
            {"id": "100-0", "target": "pve2", "type": "local", "schedule": "*/15", "rate": "10"}),
        ep!("PUT" "/cluster/replication/{id}" at "cluster/replication/100-0",
            api::cluster::replication::id::put, unique None,
            {"schedule": "*/30", "comment": "c"}),
        ep!("POST" "/cluster/backup" at "cluster/backup", api::cluster::backup::post, unique None,
            {"schedule": "sat 02:00", "vmid": "100", "storage": "local", "mode": "snapshot",
             "compress": "zstd", "enabled": "1"}),
        ep!("PUT" "/cluster/backup/{id}" at "cluster/backup/backup-1234", api::cluster::backup::id::put,
            unique None,
            {"schedule": "sun 03:00"}),
        ep!("POST" "/cluster/sdn/zones" at "cluster/sdn/zones", api::cluster::sdn::zones::post,
            unique None,
            {"zone": "diffz", "type": "simple"}),
        ep!("PUT" "/cluster/sdn/zones/{zone}" at "cluster/sdn/zones/diffz",
            api::cluster::sdn::zones::zone::put, unique None,
            {"mtu": "1450"}),
        ep!("POST" "/cluster/sdn/vnets" at "cluster/sdn/vnets", api::cluster::sdn::vnets::post,
            unique None,
            {"vnet": "diffv", "zone": "diffz", "tag": "10"}),
        ep!("POST" "/cluster/sdn/vnets/{vnet}/subnets" at "cluster/sdn/vnets/diffv/subnets",
            api::cluster::sdn::vnets::vnet::subnets::post, unique None,
            {"subnet": "10.9.0.0/24", "type": "subnet", "gateway": "10.9.0.1"}),
        ep!("PUT" "/cluster/options" at "cluster/options", api::cluster::options::put, unique None,
            {"keyboard": "de", "language": "en", "max_workers": "4", "console": "html5"}),
        ep!("POST" "/cluster/metrics/server/{id}" at "cluster/metrics/server/diffm",
            api::cluster::metrics::server::id::post, unique None,
            {"type": "influxdb", "server": "192.0.2.5", "port": "8089"}),
    ]
}

// ------------------------------------------------------------------------------------------
// The schema.

/// `apidoc/pve-9.2.json`, by method and path.
struct Schema {
    methods: HashMap<(String, String), Value>,
}

impl Schema {
    fn load() -> Schema {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../apidoc/pve-9.2.json");
        let text = std::fs::read_to_string(&path).expect("read apidoc/pve-9.2.json");
        let tree: Value = serde_json::from_str(&text).expect("apidoc is JSON");
        let mut methods = HashMap::new();
        fn walk(nodes: &Value, methods: &mut HashMap<(String, String), Value>) {
            for node in nodes.as_array().into_iter().flatten() {
                let path = node["path"].as_str().unwrap_or_default();
                for (method, info) in node["info"].as_object().into_iter().flatten() {
                    methods.insert((method.clone(), path.to_owned()), info.clone());
                }
                walk(&node["children"], methods);
            }
        }
        walk(&tree, &mut methods);
        Schema { methods }
    }

    /// The body parameters of a method (path parameters left out), by name (`net[n]`).
    fn params(&self, method: &str, template: &str) -> Map<String, Value> {
        let info = self
            .methods
            .get(&(method.to_owned(), template.to_owned()))
            .unwrap_or_else(|| panic!("{method} {template} is not in the schema"));
        let mut props = info["parameters"]["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        props.retain(|name, _| !template.contains(&format!("{{{name}}}")));
        props
    }
}

/// The schema of wire parameter `name` (`net0` is `net[n]`).
fn param_schema<'a>(props: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(s) = props.get(name) {
        return Some(s);
    }
    let prefix = name.trim_end_matches(|c: char| c.is_ascii_digit());
    (prefix.len() < name.len())
        .then(|| props.get(&format!("{prefix}[n]")))
        .flatten()
}

fn ty(s: &Value) -> &str {
    s.get("type").and_then(Value::as_str).unwrap_or("string")
}

/// A number the schema may write as a string (`"minimum": "0"`).
fn num(s: &Value, key: &str) -> Option<f64> {
    match s.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn named(s: &Value) -> Option<&str> {
    s.get("format").and_then(Value::as_str)
}

fn object_format(s: &Value) -> Option<&Map<String, Value>> {
    s.get("format").and_then(Value::as_object)
}

fn optional(s: &Value) -> bool {
    match s.get("optional") {
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        Some(Value::Bool(b)) => *b,
        Some(Value::String(t)) => t == "1",
        _ => false,
    }
}

fn enum_values(s: &Value) -> Vec<String> {
    s.get("enum")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .map(|v| match v {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `16` rather than `16.0`.
fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

// ------------------------------------------------------------------------------------------
// Format tables.

/// Valid values of named formats (what the case generator writes for a parameter or key of
/// that format). A format without an entry gets no generated value.
fn good_values(format: &str) -> &'static [&'static str] {
    match format {
        "pve-vmid" => &["100", "4242", "999999999"],
        "pve-node" => &["pve1", "node-2"],
        "pve-storage-id" => &["local", "local-lvm", "nfs.backup"],
        "pve-configid" => &["net0", "scsi1", "cfg_1"],
        "pve-bridge-id" => &["vmbr0", "vmbr1.100"],
        "mac-addr" => &["BC:24:11:00:00:0A", "02:00:00:AA:bb:cc"],
        "ipv4" => &["192.0.2.10", "10.1.2.3"],
        "ipv6" => &["2001:db8::10", "fd00::1"],
        "ip" => &["192.0.2.11", "2001:db8::11"],
        "ipv4mask" => &["255.255.255.0", "255.255.0.0"],
        "CIDRv4" => &["192.0.2.0/24", "10.0.0.0/16"],
        "CIDRv6" => &["2001:db8::/64"],
        "CIDR" => &["192.0.2.0/24", "2001:db8::/48"],
        "IPorCIDR" => &["192.0.2.12", "192.0.2.0/25"],
        "IPorCIDRorAlias" => &["192.0.2.0/24", "192.0.2.13"],
        "pve-ipv4-config" => &["dhcp", "manual", "192.0.2.5/24"],
        "pve-ipv6-config" => &["auto", "dhcp", "2001:db8::5/64"],
        "dns-name" => &["host.example.org", "pve1"],
        "address" => &["192.0.2.20", "backup.example.org"],
        "pve-storage-server" => &["192.0.2.21", "nas.example.org"],
        "email" | "email-opt" => &["admin@example.org"],
        "email-or-username" => &["admin@example.org", "root"],
        "pve-iface" => &["eth0", "vmbr0", "bond0"],
        "pve-userid" => &["diff@pve", "root@pam"],
        "pve-tokenid" => &["root@pam!tok"],
        "pve-realm" => &["pve", "ldap1"],
        "pve-poolid" => &["pool1", "pool1/sub"],
        "pve-groupid" => &["admins", "ops-team"],
        "pve-roleid" => &["PVEAuditor", "Custom_Role"],
        "pve-priv" => &["VM.Audit", "Sys.Audit"],
        "pve-tag" => &["tag1", "prod"],
        "pve-storage-path" => &["/srv/data", "/mnt/pve/nfs"],
        "pve-storage-content" => &["images", "iso", "backup"],
        "pve-volume-id" => &["local:iso/debian.iso", "local-lvm:vm-100-disk-1"],
        "pve-volume-id-or-qm-path" => &["local-lvm:vm-100-disk-1", "none"],
        "pve-volume-id-or-absolute-path" => &["local-lvm:vm-100-disk-1", "/dev/sdb"],
        "pve-lxc-mp-string" => &["local-lvm:8", "local-lvm:subvol-200-disk-1"],
        "disk-size" => &["32G", "512M"],
        "pve-startup-order" => &["order=1,up=30", "2"],
        "pve-hotplug-features" => &["network,disk", "cpu"],
        "urlencoded" => &["ssh-ed25519%20AAAA", "abc"],
        "pve-vlan-id-or-range" => &["10", "100-200"],
        "ldap-simple-attr" => &["uid", "memberOf"],
        "pve-fw-addr-spec" => &["192.0.2.0/24", "192.0.2.7"],
        "pve-fw-dport-spec" | "pve-fw-sport-spec" => &["22", "8000:8080", "80,443"],
        "pve-fw-protocol-spec" => &["tcp", "udp", "6"],
        "pve-fw-comment-spec" => &["a comment"],
        "pve-ha-resource-or-vm-id" => &["vm:100", "ct:200"],
        "pve-ha-node-list" => &["pve1:1,pve2"],
        "pve-calendar-event" => &["daily", "sat 02:00"],
        "pve-qm-ide" => &["none", "local:iso/debian.iso,media=cdrom"],
        "pve-qm-boot" => &["order=scsi0;net0"],
        "pve-qm-ipconfig" => &["ip=192.0.2.5/24,gw=192.0.2.1", "ip=dhcp"],
        "pve-qm-rng" => &["source=/dev/urandom"],
        "pve-qm-watchdog" => &["model=i6300esb,action=reset"],
        "pve-vm-cpu-conf" => &["host", "cputype=x86-64-v2-AES,hidden=1"],
        "pve-qm-hostpci" => &["0000:01:00.0", "host=0000:01:00.0,pcie=1"],
        "prune-backups" => &["keep-last=3", "keep-daily=7,keep-weekly=4"],
        "pve-qm-smbios1" => &["manufacturer=QEMU"],
        "backup-performance" => &["max-workers=4"],
        "backup-fleecing" => &["enabled=1,storage=local-lvm"],
        "pve-ct-timezone" => &["Europe/Vienna", "host"],
        "pve-sdn-subnet-id" => &["10.9.1.0/24"],
        "pve-replication-job-id" => &["100-0", "101-3"],
        _ => &[],
    }
}

/// Invalid values of named formats: each breaks a rule PVE's format checker states.
fn bad_values(format: &str) -> &'static [&'static str] {
    match format {
        "pve-vmid" => &["99", "0100", "1000000000"],
        "pve-node" => &["-bad", "bad_node"],
        "pve-storage-id" => &["1bad", "x", "bad-"],
        "pve-configid" => &["0net", "n", "bad id"],
        "pve-bridge-id" => &["bad bridge", "vmbr0!"],
        "mac-addr" => &["BD:24:11:00:00:01", "ZZ:24:11:00:00:01", "BC:24:11:00:00"],
        "ipv4" => &["300.1.1.1", "10.0.0", "010.0.0.1"],
        "ipv6" => &["2001:db8:::1", "fe80::1%eth0"],
        "ip" => &["300.1.1.1", "not-an-ip"],
        "ipv4mask" => &["255.0.255.0", "24"],
        "CIDRv4" => &["192.0.2.0/33", "192.0.2.0/4", "192.0.2.0"],
        "CIDRv6" => &["2001:db8::/129", "2001:db8::/4"],
        "CIDR" => &["192.0.2.0/4", "10.0.0.0/33", "300.0.0.0/24"],
        "IPorCIDR" => &["192.0.2.0/33", "x"],
        "IPorCIDRorAlias" => &["192.0.2.0/33", "1bad"],
        "pve-ipv4-config" => &["auto", "192.0.2.5/4", "192.0.2.5"],
        "pve-ipv6-config" => &["2001:db8::5", "slaac"],
        "dns-name" => &["bad_host", "-a.example", "host.example.org."],
        "address" => &["bad_host!", "a..b"],
        "pve-storage-server" => &["bad host"],
        "email" | "email-opt" => &["root", "root@", "a b@example.org"],
        "email-or-username" => &["a b", "x@y z"],
        "pve-iface" => &["0eth", "e", "eth0:x"],
        "pve-userid" => &["root", "root@p", "ro:ot@pam"],
        "pve-tokenid" => &["root@pam", "root@pam!1tok"],
        "pve-realm" => &["1pve", "p"],
        "pve-poolid" => &["a/b/c/d", "bad pool"],
        "pve-groupid" => &["bad group", "a/b"],
        "pve-roleid" => &["bad/role"],
        "pve-tag" => &["-tag", "ta g"],
        "pve-storage-path" => &["relative/path", "/"],
        "pve-storage-content" => &["pictures"],
        "pve-volume-id" => &["novolume", "1bad:vol"],
        "pve-volume-id-or-qm-path" => &["novolume"],
        "pve-volume-id-or-absolute-path" => &["novolume"],
        "disk-size" => &["32X", "1.G", "-1G"],
        "pve-startup-order" => &["order=x", "first=1"],
        "pve-hotplug-features" => &["network,gpu"],
        "urlencoded" => &["a b", "x\"y"],
        "pve-vlan-id-or-range" => &["5000", "1", "200-100"],
        "ldap-simple-attr" => &["a-b", "x y"],
        "pve-fw-addr-spec" => &["300.0.0.0/24", "192.0.2.0/33"],
        "pve-fw-dport-spec" | "pve-fw-sport-spec" => &["99999", "80:22"],
        "pve-fw-protocol-spec" => &["bogusproto"],
        _ => &[],
    }
}

/// Values of named formats at the edge of what PVE accepts: both sides must accept them.
fn edge_values(format: &str) -> &'static [&'static str] {
    match format {
        "email" | "email-opt" => &["root@localhost", "first.last+tag@sub.example.org"],
        "email-or-username" => &["root@localhost"],
        "dns-name" => &["a", "xn--bcher-kva.example"],
        "CIDR" | "CIDRv4" => &["10.0.0.0/8", "192.0.2.1/32"],
        "pve-ipv4-config" => &["10.0.0.1/8"],
        "pve-hotplug-features" => &["1", "0", "network;disk usb"],
        "pve-poolid" => &["my.pool", "_pool", "a/b/c"],
        "pve-userid" => &["u@averyveryveryverylongrealmname1234567890"],
        "ipv6" => &["::", "::ffff:192.0.2.1"],
        "ip" => &["::1"],
        "pve-iface" => &["eth0.100", "bond0:1"],
        "pve-storage-id" => &["a.b", "A1"],
        "mac-addr" => &["bc:24:11:00:00:0a"],
        "pve-vmid" => &["100", "999999999"],
        "pve-startup-order" => &["order=1,up=30,down=60", "up=5"],
        "disk-size" => &["1.5G", "100"],
        "pve-tag" => &["_x", "a+b.c"],
        "pve-volume-id-or-qm-path" => &["cdrom", "/dev/sdb"],
        _ => &[],
    }
}

/// Valid values for parameters whose handler checks more than the schema states (the value
/// must then make sense, not only fit the schema): (template part, parameter, values).
fn valid_override(template: &str, name: &str) -> Option<&'static [&'static str]> {
    let firewall_rule =
        template.contains("/firewall/rules") || template.contains("/firewall/groups/");
    let guest = template.contains("/qemu/{vmid}/") || template.contains("/lxc/{vmid}/");
    Some(match name {
        // `in`/`out` rules take ACCEPT, DROP or REJECT; a security group's name only for `group`.
        "action" if firewall_rule => &["ACCEPT", "DROP", "REJECT"],
        "macro" if firewall_rule => &["SSH", "HTTP", "DNS"],
        // A security group's rule takes no interface; a guest's names its `netN`.
        "iface" if template.contains("/firewall/groups/") => &[],
        "iface" if firewall_rule && guest => &["net0", "net1"],
        // `delete` must name an option of that firewall.
        "delete" if template == "/cluster/firewall/options" => &["policy_out"],
        "delete" if template.ends_with("/firewall/rules/{pos}") => &["comment", "log"],
        "delete" if template.ends_with("/firewall/options") => &["ndp"],
        _ => return None,
    })
}

/// Valid values of schema patterns the generator cannot invent.
fn pattern_good(pattern: &str) -> Option<&'static str> {
    Some(match pattern {
        r"[A-Za-z][A-Za-z0-9\-\_]+" => "name_1",
        "[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]" => "zone1",
        r"\+?\d+(\.\d+)?[KMGT]?" => "+2G",
        r"(ide|sata|scsi|virtio)\d+" => "virtio0",
        r"[-_.\w\d]+" => "vmbr0",
        r"(?:[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}|[01])" => {
            "1f2e3d4c-aaaa-bbbb-cccc-0123456789ab"
        }
        r"(now|\d{4}-\d{1,2}-\d{1,2}(T\d{1,2}:\d{1,2}:\d{1,2})?)" => "2024-01-31",
        r"/dev/parport\d+|/dev/usb/lp\d+" => "/dev/parport0",
        r"(/dev/[^,]+|socket)" => "socket",
        "0[0-7]{3}" => "0644",
        r"\S+" => "job1",
        r"\S{2,}" => "uid",
        r"\d{1,2}:\d{1,2}" => "02:30",
        r"\d+[MG]?" => "4G",
        r"[1-9][0-9]{2,8}-\d{1,9}" => "100-1",
        "http://.*" => "http://proxy.example.org:3128",
        "[0-9a-zA-Z!=]{0,4096}" => "x",
        "(?^:[A-Za-z][A-Za-z0-9\\.\\-_]+)" => "tok1",
        "(?^:[A-Za-z0-9\\.\\-_]+)" => "groups",
        "(?^:[^\\x00-\\x08\\x0a-\\x1F\\x7F]+)" => "/sbin/init",
        "^[^\\x00-\\x1F\\x7F <>#\"]*$" => "aud",
        "(?^u:[a-zA-Z0-9]{1,12})" => "vendor1",
        _ => return None,
    })
}

/// Named formats fakepve checks (`fakepve/formats.py` `NAMED`, its four registered
/// property-string formats, and `pve-qm-ide`, which it resolves to the `ide[n]` format).
const FAKEPVE_FORMATS: &[&str] = &[
    "string",
    "urlencoded",
    "pve-configid",
    "pve-storage-id",
    "pve-bridge-id",
    "pve-vmid",
    "pve-node",
    "mac-addr",
    "ipv4",
    "ipv6",
    "ip",
    "ipv4mask",
    "CIDRv4",
    "CIDRv6",
    "CIDR",
    "pve-ipv4-config",
    "pve-ipv6-config",
    "email",
    "email-or-username",
    "dns-name",
    "pve-iface",
    "pve-vlan-id-or-range",
    "address",
    "disk-size",
    "pve-tag",
    "pve-startup-order",
    "pve-hotplug-features",
    "ldap-simple-attr",
    "pve-userid",
    "pve-tokenid",
    "pve-realm",
    "pve-poolid",
    "pve-groupid",
    "pve-roleid",
    "pve-storage-path",
    "pve-storage-server",
    "pve-storage-content",
    "pve-volume-id",
    "pve-volume-id-or-absolute-path",
    "pve-volume-id-or-qm-path",
    "IPorCIDR",
    "IPorCIDRorAlias",
    "pve-fw-comment-spec",
    "pve-qm-ipconfig",
    "pve-qm-boot",
    "pve-qm-rng",
    "pve-qm-watchdog",
    "pve-qm-ide",
];

/// The indexed families fakepve limits (`fakepve/schema.py` `MAX_INDEX`).
const FAKEPVE_MAX_INDEX: &[(&str, u32)] = &[
    ("net", 32),
    ("ipconfig", 32),
    ("ide", 4),
    ("sata", 6),
    ("scsi", 31),
    ("virtio", 16),
    ("unused", 256),
    ("numa", 8),
    ("hostpci", 16),
    ("usb", 14),
    ("virtiofs", 10),
    ("serial", 4),
    ("parallel", 3),
    ("mp", 256),
    ("dev", 256),
];

/// A format name without PVE's `-list` / `-opt` suffix.
fn format_base(format: &str) -> &str {
    format
        .strip_suffix("-list")
        .or_else(|| format.strip_suffix("-opt"))
        .unwrap_or(format)
}

fn fakepve_checks(format: &str) -> bool {
    FAKEPVE_FORMATS.contains(&format_base(format))
}

/// Whether the client checks named format `format` (of a schema whose typetext is
/// `typetext`): a format its checker knows, or a property string it reads from the typetext.
fn client_checks(format: &str, typetext: Option<&str>) -> bool {
    proxmoxia::catalog::Format::check_named(format, "\u{1}\n\u{1}").is_some()
        || (!format.ends_with("-list") && typetext.is_some_and(|t| t.contains('=')))
}

// ------------------------------------------------------------------------------------------
// Value generation.

/// Values drawn from proptest strategies by one seeded runner.
struct Gen {
    runner: TestRunner,
}

impl Gen {
    fn new() -> Gen {
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &SEED);
        Gen {
            runner: TestRunner::new_with_rng(Config::default(), rng),
        }
    }

    fn draw<S: Strategy>(&mut self, strategy: S) -> S::Value {
        strategy
            .new_tree(&mut self.runner)
            .expect("a strategy that always generates")
            .current()
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        let i = self.draw(0..items.len());
        items[i].clone()
    }

    fn regex(&mut self, pattern: &str) -> String {
        self.draw(proptest::string::string_regex(pattern).expect("a generator regex"))
    }

    /// A lowercase word not in `taken`.
    fn word_not_in(&mut self, taken: &[String]) -> String {
        loop {
            let word = self.regex("[a-z][a-z0-9]{2,9}");
            if !taken.contains(&word)
                && !["yes", "no", "on", "off", "true", "false"].contains(&word.as_str())
            {
                return word;
            }
        }
    }
}

/// The integer range of a schema (bounded, so random values stay printable).
fn int_range(s: &Value) -> (i64, i64) {
    let mut lo = num(s, "minimum").map_or(0, |m| m.ceil() as i64);
    let mut hi = num(s, "maximum").map_or(lo.saturating_add(100_000), |m| m.floor() as i64);
    if named(s) == Some("pve-vmid") {
        lo = lo.max(100);
        hi = hi.min(999_999_999);
    }
    (lo, hi.max(lo))
}

/// A random valid value of schema `s`, as the wire carries it; `None` when the generator
/// cannot make one (a pattern or named format it has no value for).
fn valid_value(g: &mut Gen, s: &Value) -> Option<String> {
    let values = enum_values(s);
    if !values.is_empty() {
        return Some(g.pick(&values));
    }
    match ty(s) {
        "boolean" => Some(
            g.pick(&["0", "1", "yes", "no", "on", "off", "true", "false"])
                .to_owned(),
        ),
        "integer" => {
            let (lo, hi) = int_range(s);
            Some(g.draw(lo..=hi).to_string())
        }
        "number" => {
            let (lo, hi) = int_range(s);
            let whole = g.draw(lo..=hi);
            Some(if whole < hi && g.draw(proptest::bool::ANY) {
                format!("{whole}.5")
            } else {
                whole.to_string()
            })
        }
        "array" => None,
        _ => string_value(g, s),
    }
}

fn string_value(g: &mut Gen, s: &Value) -> Option<String> {
    if let Some(format) = object_format(s) {
        return prop_string(g, format, None, 0);
    }
    if let Some(format) = named(s) {
        return named_value(g, format);
    }
    if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
        return pattern_good(pattern).map(str::to_owned);
    }
    let min = num(s, "minLength").map_or(1, |n| n.max(1.0) as usize);
    let max = num(s, "maxLength")
        .map_or(16, |n| n as usize)
        .clamp(min, 16.max(min));
    Some(g.regex(&format!("[a-z][a-z0-9]{{{},{}}}", min - 1, max - 1)))
}

/// A value of a named format: from the table, a list of one or two items for `-list`.
fn named_value(g: &mut Gen, format: &str) -> Option<String> {
    if let Some(item) = format.strip_suffix("-list") {
        let items = good_values(item);
        if items.is_empty() {
            return None;
        }
        // Items with commas (property strings) cannot be listed.
        let items: Vec<&str> = items.iter().copied().filter(|v| !v.contains(',')).collect();
        if items.is_empty() {
            return None;
        }
        let first = g.pick(&items);
        return Some(if items.len() > 1 && g.draw(proptest::bool::ANY) {
            format!("{first},{}", g.pick(&items))
        } else {
            first.to_owned()
        });
    }
    let values = good_values(format_base(format));
    (!values.is_empty()).then(|| g.pick(values).to_owned())
}

/// The keys of a property-string format that are not aliases.
fn real_keys(format: &Map<String, Value>) -> Vec<(&String, &Value)> {
    format
        .iter()
        .filter(|(_, ks)| ks.get("alias").is_none())
        .collect()
}

/// A property string of `format`: its required keys, `extra` random optional ones, and
/// `set` (a key forced to a value, its `requires` key added).
fn prop_string(
    g: &mut Gen,
    format: &Map<String, Value>,
    set: Option<(&str, &str)>,
    extra: usize,
) -> Option<String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, ks) in real_keys(format) {
        if optional(ks) || set.is_some_and(|(k, _)| k == key) {
            continue;
        }
        pairs.push((key.clone(), key_value(g, ks)?));
    }
    let optional_keys: Vec<&String> = real_keys(format)
        .into_iter()
        .filter(|(_, ks)| optional(ks))
        .map(|(k, _)| k)
        .collect();
    for _ in 0..extra {
        if optional_keys.is_empty() {
            break;
        }
        let key = g.pick(&optional_keys);
        if pairs.iter().any(|(k, _)| k == key) || set.is_some_and(|(k, _)| k == key) {
            continue;
        }
        let ks = &format[key.as_str()];
        let Some(value) = key_value(g, ks) else {
            continue;
        };
        if let Some(other) = ks.get("requires").and_then(Value::as_str) {
            if !pairs.iter().any(|(k, _)| k == other) {
                let Some(v) = format.get(other).and_then(|os| key_value(g, os)) else {
                    continue;
                };
                pairs.push((other.to_owned(), v));
            }
        }
        pairs.push((key.clone(), value));
    }
    // An empty value would not reach fakepve (its form parser drops blank values): one
    // optional key then.
    if pairs.is_empty() && set.is_none() {
        for key in &optional_keys {
            let ks = &format[key.as_str()];
            if ks.get("requires").is_some() {
                continue;
            }
            if let Some(value) = key_value(g, ks) {
                pairs.push(((*key).clone(), value));
                break;
            }
        }
    }
    if let Some((key, value)) = set {
        if let Some(other) = format
            .get(key)
            .and_then(|ks| ks.get("requires"))
            .and_then(Value::as_str)
        {
            if !pairs.iter().any(|(k, _)| k == other) {
                let v = key_value(g, &format[other])?;
                pairs.push((other.to_owned(), v));
            }
        }
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Some(
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// A valid value of a property-string key: no commas (they would split the string).
fn key_value(g: &mut Gen, ks: &Value) -> Option<String> {
    for _ in 0..4 {
        let value = valid_value(g, ks)?;
        if !value.contains(',') {
            return Some(value);
        }
    }
    None
}

/// Invalid values of a schema, each with the rule it breaks and the named format behind it.
fn invalid_values(g: &mut Gen, s: &Value, random: bool) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    let mut add = |rule: &str, value: String, format: Option<&str>| {
        out.push((rule.to_owned(), value, format.map(str::to_owned)));
    };
    let values = enum_values(s);
    match ty(s) {
        "integer" => {
            add("type integer", "abc".into(), None);
            if random {
                add("type integer", g.regex("[a-z]{1,4}[0-9]{0,3}"), None);
            }
        }
        "number" => add("type number", "1.2.3".into(), None),
        "boolean" => {
            add("type boolean", "maybe".into(), None);
            if random {
                let word = g.word_not_in(&[]);
                add("type boolean", word, None);
            }
        }
        _ => {}
    }
    if !values.is_empty() {
        add("enum", "bogus".into(), None);
        if random {
            let word = g.word_not_in(&values);
            add("enum", word, None);
        }
    }
    if matches!(ty(s), "integer" | "number") {
        if let Some(min) = num(s, "minimum") {
            add("minimum", show(min - 1.0), None);
            if random {
                let below = g.draw(1i64..=1_000_000);
                add("minimum", show(min - below as f64), None);
            }
        }
        if let Some(max) = num(s, "maximum") {
            add("maximum", show(max + 1.0), None);
            if random {
                let above = g.draw(1i64..=1_000_000);
                add("maximum", show(max + above as f64), None);
            }
        }
    }
    if ty(s) == "string" && values.is_empty() {
        if let Some(max) = num(s, "maxLength").filter(|m| *m < 5000.0) {
            add("maxLength", "a".repeat(max as usize + 1), None);
        }
        if let Some(min) = num(s, "minLength").filter(|m| *m > 1.0) {
            add("minLength", "a".repeat(min as usize - 1), None);
        }
        if s.get("pattern").is_some() {
            add("pattern", "-bad value\u{1}".into(), None);
        }
        if let Some(format) = named(s) {
            if let Some(item) = format.strip_suffix("-list") {
                // List items are split at commas, semicolons and white space: a bad item
                // has none of them.
                let plain = |v: &&&str| !v.contains([',', ';', ' ']);
                let good = good_values(item).iter().find(plain);
                let bad = bad_values(item).iter().find(plain);
                if let (Some(good), Some(bad)) = (good, bad) {
                    add(
                        &format!("format {format} item"),
                        format!("{good},{bad}"),
                        Some(format),
                    );
                }
            } else {
                for bad in bad_values(format_base(format)) {
                    add(&format!("format {format}"), (*bad).to_owned(), Some(format));
                }
            }
        }
    }
    out
}

/// Hand-written cases of named property-string formats (whose keys the schema does not list
/// but its typetext does): (rule, value).
fn named_prop_cases(format: &str) -> &'static [(&'static str, &'static str)] {
    match format {
        "pve-qm-boot" => &[
            ("prop key", "order=scsi0,bogus=1"),
            ("prop value legacy pattern", "legacy=xyz"),
        ],
        "pve-qm-ipconfig" => &[
            ("prop value ip format", "ip=192.0.2.5"),
            ("prop requires ip", "gw=192.0.2.1"),
            ("prop value gw6 format", "ip6=auto,gw6=bad"),
            ("prop key", "ip=dhcp,bogus=1"),
        ],
        "pve-qm-rng" => &[
            ("prop value source enum", "source=/dev/zero"),
            (
                "prop value max_bytes type",
                "source=/dev/urandom,max_bytes=abc",
            ),
            ("prop key", "source=/dev/urandom,bogus=1"),
        ],
        "pve-qm-watchdog" => &[
            ("prop value action enum", "model=ib700,action=explode"),
            ("prop value model enum", "model=bogus"),
        ],
        "pve-vm-cpu-conf" => &[
            ("prop key", "host,bogus=1"),
            ("prop value hidden type", "host,hidden=maybe"),
            (
                "prop value hv-vendor-id pattern",
                "host,hv-vendor-id=toolongvendorid1",
            ),
        ],
        "pve-qm-hostpci" => &[
            ("prop key", "0000:01:00.0,bogus=1"),
            ("prop value pcie type", "0000:01:00.0,pcie=maybe"),
        ],
        "pve-startup-order" => &[
            ("prop value order type", "order=x"),
            ("prop key", "first=1"),
        ],
        "prune-backups" => &[
            ("prop value keep-last type", "keep-last=x"),
            ("prop key", "keep-bogus=1"),
        ],
        "pve-qm-ide" => &[
            ("prop value media enum", "none,media=tape"),
            ("prop key", "none,bogus=1"),
        ],
        "backup-performance" => &[("prop value max-workers type", "max-workers=many")],
        _ => &[],
    }
}

// ------------------------------------------------------------------------------------------
// Cases.

/// What a case means to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    /// A value PVE accepts.
    Valid,
    /// A value breaking one rule.
    Invalid,
    /// A spelling the client's decoder normalises (PVE itself rejects it).
    Lenient,
}

/// One parameter set sent to both sides.
#[derive(Debug, Clone)]
struct Case {
    ep: usize,
    /// The wire parameter the case is about (`""` for the base).
    target: String,
    /// The rule exercised (`enum`, `format mac-addr`, `prop key`, `valid`, ...).
    rule: String,
    /// The named format behind the rule, if any.
    format: Option<String>,
    intent: Intent,
    params: Map<String, Value>,
    /// Another path than the endpoint's (path-parameter cases).
    path: Option<String>,
}

/// The wire name of a parameter (`net[n]` -> `net0`).
fn wire_name(name: &str) -> String {
    match name.strip_suffix("[n]") {
        Some(prefix) => format!("{prefix}0"),
        None => name.to_owned(),
    }
}

/// A parameter value: a JSON array for array parameters.
fn wire_value(s: &Value, value: String) -> Value {
    if ty(s) == "array" {
        Value::Array(vec![Value::String(value)])
    } else {
        Value::String(value)
    }
}

/// Every case of endpoint `idx`.
fn cases_of(g: &mut Gen, schema: &Schema, idx: usize, ep: &Ep) -> Vec<Case> {
    let props = schema.params(ep.method, ep.template);
    let mut cases = Vec::new();
    let case = |target: &str,
                rule: &str,
                format: Option<String>,
                intent: Intent,
                params: Map<String, Value>| Case {
        ep: idx,
        target: target.to_owned(),
        rule: rule.to_owned(),
        format,
        intent,
        params,
        path: None,
    };
    let with = |name: &str, value: Value| {
        let mut params = ep.base.clone();
        params.insert(name.to_owned(), value);
        params
    };
    cases.push(case("", "base", None, Intent::Valid, ep.base.clone()));
    for name in ep.base.keys() {
        if param_schema(&props, name).is_some_and(|s| !optional(s)) {
            let mut params = ep.base.clone();
            params.remove(name);
            cases.push(case(name, "required", None, Intent::Invalid, params));
        }
    }
    let mut unknown = ep.base.clone();
    unknown.insert("bogus_param".into(), json!("1"));
    cases.push(case(
        "bogus_param",
        "unknown parameter",
        None,
        Intent::Invalid,
        unknown,
    ));

    for (name, s) in &props {
        let wire = wire_name(name);
        let item = if ty(s) == "array" {
            s.get("items")
                .cloned()
                .unwrap_or_else(|| json!({"type": "string"}))
        } else {
            s.clone()
        };
        let format = named(&item).map(str::to_owned);
        // Valid: a random value, the boundaries, the format's edge values.
        let overridden = valid_override(ep.template, name);
        let value = match overridden {
            Some([]) => None,
            Some(values) => Some(g.pick(values).to_owned()),
            None => valid_value(g, &item),
        };
        if let Some(value) = value {
            cases.push(case(
                &wire,
                "valid",
                format.clone(),
                Intent::Valid,
                with(&wire, wire_value(s, value)),
            ));
        }
        if let Some(format) = object_format(&item) {
            if let Some(value) = prop_string(g, format, None, 3) {
                cases.push(case(
                    &wire,
                    "valid property string",
                    None,
                    Intent::Valid,
                    with(&wire, wire_value(s, value)),
                ));
            }
        }
        if matches!(ty(&item), "integer" | "number") && enum_values(&item).is_empty() {
            for bound in ["minimum", "maximum"] {
                if let Some(n) = num(&item, bound) {
                    cases.push(case(
                        &wire,
                        &format!("valid {bound}"),
                        None,
                        Intent::Valid,
                        with(&wire, json!(show(n))),
                    ));
                }
            }
        }
        if let Some(f) = format.as_deref().filter(|_| overridden.is_none()) {
            for edge in edge_values(format_base(f)) {
                cases.push(case(
                    &wire,
                    &format!("valid edge {f}"),
                    Some(f.to_owned()),
                    Intent::Valid,
                    with(&wire, wire_value(s, (*edge).to_owned())),
                ));
            }
        }
        // Invalid values of the parameter itself.
        for (rule, value, format) in invalid_values(g, &item, true) {
            cases.push(case(
                &wire,
                &rule,
                format,
                Intent::Invalid,
                with(&wire, wire_value(s, value)),
            ));
        }
        // Named property-string formats: the hand-written cases.
        if let Some(f) = named(&item) {
            for (rule, value) in named_prop_cases(f) {
                cases.push(case(
                    &wire,
                    rule,
                    Some(f.to_owned()),
                    Intent::Invalid,
                    with(&wire, json!(value)),
                ));
            }
        }
        // Property strings: keys.
        if let Some(format) = object_format(&item) {
            prop_cases(g, format, &mut |rule, fmt, value| {
                cases.push(case(
                    &wire,
                    &rule,
                    fmt,
                    Intent::Invalid,
                    with(&wire, json!(value)),
                ));
            });
        }
        // Indexed families: the first index beyond the maximum.
        if let Some(prefix) = name.strip_suffix("[n]") {
            let max = FAKEPVE_MAX_INDEX
                .iter()
                .chain(&[("link", 8), ("acmedomain", 5)])
                .find(|(p, _)| *p == prefix)
                .map(|(_, m)| *m);
            if let (Some(max), Some(value)) = (max, valid_value(g, &item)) {
                let wire = format!("{prefix}{max}");
                cases.push(case(
                    &wire,
                    "index",
                    None,
                    Intent::Invalid,
                    with(&wire, json!(value)),
                ));
            }
        }
    }
    if let Some(unique) = ep.unique {
        for (n, c) in cases.iter_mut().enumerate() {
            if c.target != unique {
                if let Some(Value::String(v)) = c.params.get_mut(unique) {
                    v.push_str(&n.to_string());
                }
            }
        }
    }
    cases
}

/// Invalid property strings of object format `format`: (rule, named format, value).
fn prop_cases(
    g: &mut Gen,
    format: &Map<String, Value>,
    push: &mut dyn FnMut(String, Option<String>, String),
) {
    let Some(valid) = prop_string(g, format, None, 0) else {
        return;
    };
    let joined = |extra: &str| {
        if valid.is_empty() {
            extra.to_owned()
        } else {
            format!("{valid},{extra}")
        }
    };
    push("prop key".into(), None, joined("bogus=1"));
    // A bare value belongs to the default key, where the format has one.
    if !format.values().any(|ks| ks.get("default_key").is_some()) {
        push("prop key without value".into(), None, joined("bogus"));
    }
    for (key, ks) in real_keys(format) {
        if !optional(ks) && ks.get("default_key").is_none() {
            let without: Vec<&str> = valid
                .split(',')
                .filter(|p| !p.starts_with(&format!("{key}=")))
                .collect();
            if !without.is_empty() {
                push(format!("prop required {key}"), None, without.join(","));
            }
        }
    }
    let mut keys: Vec<(&String, &Value)> = real_keys(format);
    // A seeded sample of the keys.
    while keys.len() > MAX_KEYS {
        let i = g.draw(0..keys.len());
        keys.remove(i);
    }
    for (key, ks) in keys {
        for (rule, value, fmt) in invalid_values(g, ks, false) {
            if value.contains(',') {
                continue;
            }
            if let Some(text) = prop_string(g, format, Some((key, &value)), 0) {
                push(format!("prop value {key} {rule}"), fmt, text);
            }
        }
    }
}

/// Spellings the client's lenient decoder normalises: (endpoint template, parameter, value).
const LENIENT: &[(&str, &str, &str)] = &[
    ("/nodes/{node}/qemu/{vmid}/config", "cores", "2.0"),
    ("/nodes/{node}/qemu/{vmid}/config", "cores", " 2"),
    ("/nodes/{node}/qemu/{vmid}/config", "balloon", "1e3"),
    ("/nodes/{node}/lxc/{vmid}/config", "onboot", " yes"),
    ("/access/users", "expire", "0.0"),
];

/// Hand-written cases the derivation does not reach (the key sample may skip them):
/// (endpoint template, parameter, value, rule, intent).
const HAND: &[(&str, &str, &str, &str, Intent)] = &[
    (
        "/nodes/{node}/qemu",
        "scsi1",
        "local-lvm:8,vendor=QEMU",
        "valid",
        Intent::Valid,
    ),
    (
        "/nodes/{node}/qemu",
        "scsi1",
        "local-lvm:8,vendor=toolongvendor",
        "prop value vendor pattern",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "scsi1",
        "local-lvm:8,product=a-product-name-of-24ch",
        "prop value product pattern",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "virtio,bridge=vmbr0,tag=5000",
        "prop value tag maximum",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "virtio,bridge=bad bridge",
        "prop value bridge format",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "virtio=BD:24:11:00:00:01,bridge=vmbr0",
        "prop value macaddr format",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "virtio,bridge=vmbr0,bridge=vmbr1",
        "prop duplicate key",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "virtio=BC:24:11:00:00:03,e1000=BC:24:11:00:00:04",
        "prop duplicate key alias",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net1",
        "e1000=BC:24:11:00:00:03,bridge=vmbr0,firewall=yes",
        "valid",
        Intent::Valid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net99",
        "virtio,bridge=vmbr0",
        "index",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "net01",
        "virtio,bridge=vmbr0",
        "index spelling",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "delete",
        "net0,1bad",
        "format pve-configid-list item",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/lxc/{vmid}/config",
        "net1",
        "name=eth1,bridge=vmbr0,tag=0",
        "prop value tag minimum",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/lxc/{vmid}/config",
        "mp0",
        "local-lvm:8,mp=/mnt/data,bogus=1",
        "prop key",
        Intent::Invalid,
    ),
    (
        "/nodes/{node}/lxc/{vmid}/config",
        "mp0",
        "local-lvm:8,mp=/mnt/data,size=1X",
        "prop value size format disk-size",
        Intent::Invalid,
    ),
];

/// Invalid path parameters: (endpoint template, path, parameter, rule).
const BAD_PATHS: &[(&str, &str, &str, &str)] = &[
    (
        "/nodes/{node}/qemu/{vmid}/config",
        "nodes/pve9/qemu/99/config",
        "vmid",
        "format pve-vmid",
    ),
    (
        "/nodes/{node}/qemu",
        "nodes/bad_node/qemu",
        "node",
        "format pve-node",
    ),
    (
        "/storage/{storage}",
        "storage/1bad",
        "storage",
        "format pve-storage-id",
    ),
    (
        "/access/users/{userid}",
        "access/users/nouser",
        "userid",
        "format pve-userid",
    ),
    (
        "/pools/{poolid}",
        "pools/bad pool",
        "poolid",
        "format pve-poolid",
    ),
    (
        "/cluster/sdn/zones/{zone}",
        "cluster/sdn/zones/z",
        "zone",
        "minLength",
    ),
];

fn extra_cases(eps: &[Ep]) -> Vec<Case> {
    let find = |template: &str| {
        eps.iter()
            .position(|e| e.template == template)
            .unwrap_or_else(|| panic!("{template} is not sampled"))
    };
    let mut cases = Vec::new();
    for (template, param, value) in LENIENT {
        let ep = find(template);
        let mut params = eps[ep].base.clone();
        params.insert((*param).to_owned(), json!(value));
        cases.push(Case {
            ep,
            target: (*param).to_owned(),
            rule: "lenient spelling".into(),
            format: None,
            intent: Intent::Lenient,
            params,
            path: None,
        });
    }
    for (template, param, value, rule, intent) in HAND {
        let ep = find(template);
        let mut params = eps[ep].base.clone();
        params.insert((*param).to_owned(), json!(value));
        let format = rule
            .strip_prefix("format ")
            .map(|f| f.split(' ').next().unwrap_or(f).to_owned());
        cases.push(Case {
            ep,
            target: (*param).to_owned(),
            rule: (*rule).to_owned(),
            format,
            intent: *intent,
            params,
            path: None,
        });
    }
    for (template, path, param, rule) in BAD_PATHS {
        let ep = find(template);
        cases.push(Case {
            ep,
            target: (*param).to_owned(),
            rule: format!("path parameter {rule}"),
            format: None,
            intent: Intent::Invalid,
            params: eps[ep].base.clone(),
            path: Some((*path).to_owned()),
        });
    }
    cases
}

// ------------------------------------------------------------------------------------------
// Classification.

/// How a case came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Both accepted, or both rejected the same parameter.
    Agree,
    /// The client rejected what fakepve accepted.
    ClientStricter,
    /// fakepve rejected what the client accepted.
    ClientLaxer,
    /// Both rejected, naming different parameters.
    OtherParam,
}

/// Why a disagreement is acceptable, or that it is not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    /// fakepve lacks a rule the schema states; the client is right.
    FakepveGap(String),
    /// fakepve's schema (a newer PVE 9) differs from pve-9.2.json.
    SchemaDifference(String),
    /// fakepve's handler rejected for a reason the schema does not state.
    NotInSchema(String),
    /// The client normalises the value before it is sent (by design).
    ClientNormalises(String),
    /// Nothing explains it: the test fails.
    Unexplained(String),
}

impl Why {
    fn label(&self) -> (&'static str, &str) {
        match self {
            Why::FakepveGap(t) => ("fakepve gap", t),
            Why::SchemaDifference(t) => ("schema difference", t),
            Why::NotInSchema(t) => ("not stated by the schema", t),
            Why::ClientNormalises(t) => ("client normalises", t),
            Why::Unexplained(t) => ("UNEXPLAINED", t),
        }
    }
}

/// The schema of a client name (`net0.tag`): the parameter's, or its key's.
fn schema_of<'a>(
    props: &'a Map<String, Value>,
    full: &str,
) -> (Option<&'a Value>, Option<&'a Value>) {
    let mut parts = full.splitn(2, '.');
    let param = parts.next().unwrap_or_default();
    let top = param_schema(props, param.split('[').next().unwrap_or(param));
    let key = parts
        .next()
        .and_then(|k| top.and_then(object_format).and_then(|f| f.get(k)));
    (top, key)
}

fn typetext(s: &Value) -> Option<&str> {
    s.get("typetext").and_then(Value::as_str)
}

/// Classifies a disagreement.
fn classify(
    schema: &Schema,
    ep: &Ep,
    case: &Case,
    client: &Verdict,
    fake: &Verdict,
) -> (Outcome, Option<Why>) {
    let props = schema.params(ep.method, ep.template);
    match (client, fake) {
        (Verdict::Accept { .. }, Verdict::Accept { .. }) => (Outcome::Agree, None),
        (Verdict::Reject { params, .. }, Verdict::Reject { params: theirs, .. })
            if params.iter().any(|p| theirs.contains(p)) =>
        {
            (Outcome::Agree, None)
        }
        (Verdict::Reject { .. }, Verdict::Reject { .. }) => (
            Outcome::OtherParam,
            Some(Why::Unexplained(
                "the two sides name different parameters".into(),
            )),
        ),
        (Verdict::Reject { rule, full, .. }, Verdict::Accept { .. }) => (
            Outcome::ClientStricter,
            Some(client_stricter(ep, &props, case, rule, full)),
        ),
        (Verdict::Accept { .. }, Verdict::Reject { detail, .. }) => (
            Outcome::ClientLaxer,
            Some(client_laxer(&props, case, detail)),
        ),
    }
}

/// Why the client rejected what fakepve accepted.
fn client_stricter(
    ep: &Ep,
    props: &Map<String, Value>,
    case: &Case,
    rule: &str,
    full: &str,
) -> Why {
    let (top, key) = schema_of(props, full);
    if top_param(full) == "location"
        && matches!(ep.template, "/cluster/options" | "/nodes/{node}/config")
    {
        return Why::SchemaDifference(
            "`location` is a property string (latitude, longitude, name) in pve-9.2.json; \
             fakepve's newer schema names its format `pve-node-location`, which fakepve does \
             not check"
                .into(),
        );
    }
    if rule == "index" {
        let family = full.trim_end_matches(|c: char| c.is_ascii_digit());
        if !FAKEPVE_MAX_INDEX.iter().any(|(p, _)| *p == family) {
            return Why::FakepveGap(format!(
                "fakepve does not limit the index of `{family}[n]`; PVE does (the client's table)"
            ));
        }
    }
    if rule == "pattern" {
        let pattern = key
            .or(top)
            .and_then(|s| s.get("pattern"))
            .and_then(Value::as_str);
        if pattern.is_some_and(|p| p.contains("(?^")) {
            return Why::FakepveGap(
                "fakepve skips patterns written in Perl's `(?^...)` syntax (Python's `re` cannot \
                 compile them); PVE checks them"
                    .into(),
            );
        }
    }
    // The format behind the client's rule: a key's, or the parameter's.
    for s in [key, top].into_iter().flatten() {
        if let Some(format) = named(s) {
            if !fakepve_checks(format) && client_checks(format, typetext(s)) {
                let what = if typetext(s).is_some_and(|t| t.contains('=')) {
                    "property-string format"
                } else {
                    "format"
                };
                return Why::FakepveGap(format!(
                    "fakepve does not check the named {what} `{format}`"
                ));
            }
        }
    }
    if let Some(format) = rule.strip_prefix("format ") {
        if !fakepve_checks(format) {
            return Why::FakepveGap(format!(
                "fakepve does not check the named format `{format}`"
            ));
        }
    }
    if let Some(why) = known_client_strictness(case, rule) {
        return why;
    }
    Why::Unexplained(format!("client rule `{rule}` on `{full}`"))
}

/// The text value of the case's parameter.
fn case_value(case: &Case) -> &str {
    case.params
        .get(&case.target)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Known cases of the client rejecting what fakepve (and PVE) accepts.
fn known_client_strictness(case: &Case, rule: &str) -> Option<Why> {
    let value = case_value(case);
    let format = rule.strip_prefix("format ").map(format_base)?;
    match format {
        "ipv4mask" if value == "0.0.0.0" => Some(Why::FakepveGap(
            "fakepve accepts netmask 0.0.0.0; PVE's mask table starts at /1".into(),
        )),
        _ => None,
    }
}

/// Why fakepve rejected what the client accepted.
fn client_laxer(props: &Map<String, Value>, case: &Case, detail: &str) -> Why {
    if detail.contains("pattern 'net\\d+'") {
        return Why::NotInSchema(
            "fakepve's firewall handler (PVE's verify_rule): a guest rule's `iface` must be \
             `netN`; the schema says `pve-iface`"
                .into(),
        );
    }
    if !schema_wording(detail) {
        return Why::NotInSchema(format!("fakepve handler: {}", shorten(detail, 90)));
    }
    if case.intent == Intent::Lenient {
        return Why::ClientNormalises(
            "decoding reads request values leniently (`2.0`, ` 2`, `1e3` as integers, ` yes` as a \
             boolean) and encodes the normalised value, which PVE accepts"
                .into(),
        );
    }
    let target = param_schema(props, &case.target);
    if let Some(format) = case.format.as_deref().or_else(|| target.and_then(named)) {
        let tt = target.and_then(typetext);
        if !client_checks(format, tt) {
            return Why::Unexplained(format!(
                "the client does not check the named format `{}`",
                format_base(format)
            ));
        }
    }
    Why::Unexplained(format!("fakepve: {}", shorten(detail, 120)))
}

// ------------------------------------------------------------------------------------------
// The run.

/// One case's result.
struct Row {
    case: Case,
    client: Verdict,
    fake: Verdict,
    outcome: Outcome,
    why: Option<Why>,
}

async fn fakepve_answer(client: &Client, ep: &Ep, case: &Case) -> Verdict {
    let raw = client.raw(case.path.as_deref().unwrap_or(ep.path));
    let answer = match ep.method {
        "POST" => raw.post(&case.params).send().await,
        "PUT" => raw.put(&case.params).send().await,
        other => panic!("not a POST/PUT endpoint: {other}"),
    };
    fakepve_verdict(answer)
}

fn shorten(text: &str, max: usize) -> String {
    let text = text.replace('\n', " | ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{cut}...")
}

fn show_value(params: &Map<String, Value>, target: &str) -> String {
    match params.get(target) {
        Some(Value::String(s)) => format!("{:?}", shorten(s, 70)),
        Some(other) => shorten(&other.to_string(), 70),
        None => "(left out)".into(),
    }
}

fn report_file() -> PathBuf {
    let target = option_env!("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("differential-report.txt")
}

fn report(eps: &[Ep], rows: &[Row], seconds: f64) -> (String, usize) {
    let total = rows.len();
    let agree = rows.iter().filter(|r| r.outcome == Outcome::Agree).count();
    let rate = agree as f64 / total.max(1) as f64;
    let both_accept = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Agree && r.client.is_accept())
        .count();
    let mut out = String::new();
    let _ = writeln!(out, "Differential validation: typed client vs fakepve");
    let _ = writeln!(
        out,
        "endpoints: {}  cases: {total}  agree: {agree} ({:.2}%: {both_accept} both accept, {} both reject)  time: {seconds:.1} s",
        eps.len(),
        rate * 100.0,
        agree - both_accept
    );
    let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    let comparable: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            !matches!(
                r.why,
                Some(Why::FakepveGap(_) | Why::SchemaDifference(_) | Why::NotInSchema(_))
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "agreement where both sides have the rule (fakepve gaps, schema differences and handler-only checks left out): {:.2}% of {}",
        comparable
            .iter()
            .filter(|r| r.outcome == Outcome::Agree)
            .count() as f64
            * 100.0
            / comparable.len().max(1) as f64,
        comparable.len()
    );
    let _ = writeln!(
        out,
        "disagreements: client stricter {}, client laxer {}, different parameter {}",
        count(Outcome::ClientStricter),
        count(Outcome::ClientLaxer),
        count(Outcome::OtherParam)
    );
    let intended_invalid_accepted = rows
        .iter()
        .filter(|r| r.case.intent == Intent::Invalid && r.client.is_accept() && r.fake.is_accept())
        .count();
    let _ = writeln!(
        out,
        "invalid-by-intent cases both sides accepted (the generated value fits after all): {intended_invalid_accepted}"
    );
    for row in rows
        .iter()
        .filter(|r| r.case.intent == Intent::Invalid && r.client.is_accept() && r.fake.is_accept())
    {
        let ep = &eps[row.case.ep];
        let _ = writeln!(
            out,
            "  {} {} | {} = {} | {}",
            ep.method,
            ep.template,
            row.case.target,
            show_value(&row.case.params, &row.case.target),
            row.case.rule
        );
    }
    let _ = writeln!(out, "\nPer endpoint (cases / agree):");
    for (i, ep) in eps.iter().enumerate() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.case.ep == i).collect();
        let ok = mine.iter().filter(|r| r.outcome == Outcome::Agree).count();
        let _ = writeln!(
            out,
            "  {:4} {:<52} {:4} / {:4}",
            ep.method,
            ep.template,
            mine.len(),
            ok
        );
    }
    // Disagreements grouped by classification.
    let mut groups: BTreeMap<(String, String, String), Vec<&Row>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.outcome != Outcome::Agree) {
        let (label, text) = row.why.as_ref().map_or(("?", ""), Why::label);
        let outcome = format!("{:?}", row.outcome);
        groups
            .entry((label.to_owned(), text.to_owned(), outcome))
            .or_default()
            .push(row);
    }
    let _ = writeln!(out, "\nDisagreements by reason ({} groups):", groups.len());
    for ((label, text, outcome), members) in &groups {
        let _ = writeln!(
            out,
            "\n[{label}] {outcome}: {text} ({} cases)",
            members.len()
        );
        for row in members {
            let ep = &eps[row.case.ep];
            let _ = writeln!(
                out,
                "  {} {}{} | {} = {} | {}\n      client: {}\n      fakepve: {}",
                ep.method,
                ep.template,
                row.case
                    .path
                    .as_deref()
                    .map(|p| format!(" (as /{p})"))
                    .unwrap_or_default(),
                row.case.target,
                show_value(&row.case.params, &row.case.target),
                row.case.rule,
                shorten(row.client.detail(), 160),
                shorten(row.fake.detail(), 160)
            );
        }
    }
    let unexplained = rows
        .iter()
        .filter(|r| matches!(r.why, Some(Why::Unexplained(_))))
        .count();
    let _ = writeln!(out, "\nunexplained disagreements: {unexplained}");
    (out, unexplained)
}

// ------------------------------------------------------------------------------------------
// The committed per-case list.

/// Lines of a failed comparison shown, at most.
const MAX_DIFF_LINES: usize = 40;

/// A value as a case line shows it: quoted, escaped, long ones cut with their length kept
/// (so two long values of different lengths stay apart).
fn line_value(params: &Map<String, Value>, target: &str) -> String {
    let text = match params.get(target) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => return "(left out)".into(),
    };
    let chars = text.chars().count();
    if chars <= 60 {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(40).collect();
        format!("{cut:?}... ({chars} chars)")
    }
}

/// A verdict as a case line shows it: the client's names the parameter and its rule,
/// fakepve's the status of an accepted call or the parameters its 400 names (never a
/// message, which may hold a port or a task id).
fn line_verdict(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Accept { detail } => {
            // The client's detail is `valid`, fakepve's a status (`200`, `500: ...`).
            let status: String = detail.chars().take_while(char::is_ascii_digit).collect();
            if status.is_empty() {
                "accept".into()
            } else {
                format!("accept {status}")
            }
        }
        Verdict::Reject { full, rule, .. } if !full.is_empty() => format!("reject {full} ({rule})"),
        Verdict::Reject { params, .. } => format!(
            "reject {}",
            params.iter().cloned().collect::<Vec<_>>().join(",")
        ),
    }
}

/// One case's line: endpoint, case rule, parameter = value, both verdicts, agreement class.
fn case_line(ep: &Ep, row: &Row) -> String {
    let case = &row.case;
    let path = case
        .path
        .as_deref()
        .map(|p| format!(" (as /{p})"))
        .unwrap_or_default();
    let param = if case.target.is_empty() {
        "-".to_owned()
    } else {
        format!(
            "{} = {}",
            case.target,
            line_value(&case.params, &case.target)
        )
    };
    let class = match (&row.outcome, &row.why) {
        (Outcome::Agree, _) => "agree".to_owned(),
        (outcome, why) => {
            let (label, text) = why.as_ref().map_or(("?", ""), Why::label);
            format!("{outcome:?}: {label}: {text}")
        }
    };
    format!(
        "{} {}{path} | {} | {param} | client {} | fakepve {} | {class}",
        ep.method,
        ep.template,
        case.rule,
        line_verdict(&row.client),
        line_verdict(&row.fake),
    )
}

/// The list file's text: a header with the totals, then the case lines, sorted.
fn case_list(eps: &[Ep], rows: &[Row]) -> String {
    let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    let agree = count(Outcome::Agree);
    let both_accept = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Agree && r.client.is_accept())
        .count();
    let mut lines: Vec<String> = rows.iter().map(|r| case_line(&eps[r.case.ep], r)).collect();
    lines.sort();
    format!(
        "# Per-case outcomes of the differential test (tests/tests/surface/differential.rs):\n\
         # endpoint | case rule | parameter = value | client | fakepve | agreement class\n\
         # Regenerate: UPDATE_DIFFERENTIAL=1 cargo test -p proxmoxia-tests --test surface differential\n\
         # endpoints: {}  cases: {}  agree: {agree} ({both_accept} both accept, {} both reject)  \
         client stricter: {}  client laxer: {}  other parameter: {}\n{}\n",
        eps.len(),
        rows.len(),
        agree - both_accept,
        count(Outcome::ClientStricter),
        count(Outcome::ClientLaxer),
        count(Outcome::OtherParam),
        lines.join("\n")
    )
}

/// The lines of `now` and `committed` that the other lacks (as many times as they are
/// missing), `was:`/`now:`, in line order (a changed case's two lines side by side).
fn line_diff(committed: &str, now: &str) -> Vec<String> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for line in committed.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for line in now.lines() {
        *counts.entry(line).or_default() -= 1;
    }
    let mut out = Vec::new();
    for (line, n) in counts {
        let tag = if n > 0 { "was:" } else { "now:" };
        for _ in 0..n.unsigned_abs() {
            out.push(format!("  {tag} {line}"));
        }
    }
    out
}

/// The run's list must be the committed one (`coverage/differential.txt`), line for line;
/// `UPDATE_DIFFERENTIAL=1` rewrites it instead.
fn check_case_list(text: &str) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/coverage/differential.txt");
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if committed == text {
        return;
    }
    if std::env::var_os("UPDATE_DIFFERENTIAL").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&file, text).expect("the coverage directory is writable");
        return;
    }
    let diff = line_diff(&committed, text);
    let more = diff.len().saturating_sub(MAX_DIFF_LINES);
    let mut shown = diff
        .into_iter()
        .take(MAX_DIFF_LINES)
        .collect::<Vec<_>>()
        .join("\n");
    if more > 0 {
        let _ = write!(shown, "\n  ... and {more} more differing lines");
    }
    panic!(
        "the differential cases' outcomes differ from {} (was: committed, now: this run):\n{shown}\n\
         rewrite with UPDATE_DIFFERENTIAL=1 after a deliberate change and review the diff",
        file.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_validation_agrees_with_fakepve() {
    if proxmoxia_tests::skip_without_fakepve("typed_validation_agrees_with_fakepve") {
        return;
    }
    let started = Instant::now();
    let schema = Schema::load();
    let eps = endpoints();
    let mut g = Gen::new();
    let mut cases: Vec<Case> = Vec::new();
    for (i, ep) in eps.iter().enumerate() {
        cases.extend(cases_of(&mut g, &schema, i, ep));
    }
    cases.extend(extra_cases(&eps));

    let pve = FakePve::start().await;
    let client = pve.login().await;
    // The security group whose rules are sampled.
    client
        .raw("cluster/firewall/groups")
        .post(json!({"group": "diffrules"}))
        .send()
        .await
        .expect("security group diffrules");
    let mut rows = Vec::with_capacity(cases.len());
    for case in cases {
        let ep = &eps[case.ep];
        let verdict = (ep.check)(&case.params, case.path.as_deref().unwrap_or(ep.path));
        let fake = fakepve_answer(&client, ep, &case).await;
        let (outcome, why) = classify(&schema, ep, &case, &verdict, &fake);
        rows.push(Row {
            case,
            client: verdict,
            fake,
            outcome,
            why,
        });
    }
    // Every base case is valid on both sides.
    for row in rows.iter().filter(|r| r.case.rule == "base") {
        let ep = &eps[row.case.ep];
        assert!(
            row.client.is_accept() && row.fake.is_accept(),
            "the base of {} {} is not valid: client {:?}, fakepve {:?}",
            ep.method,
            ep.template,
            row.client,
            row.fake
        );
    }

    let (text, unexplained) = report(&eps, &rows, started.elapsed().as_secs_f64());
    println!("{text}");
    let file = report_file();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&file, &text).expect("write the report");

    check_case_list(&case_list(&eps, &rows));
    assert_eq!(
        unexplained,
        0,
        "{unexplained} disagreements have no explanation: see {}",
        file.display()
    );
}
