//! The paths the fake models with state: login, users, groups, tokens, guests (create,
//! config, pending, status, power, snapshots, delete), storages and their content, uploads,
//! tasks, and the cluster's listings. Everything else answers from the schema (`dispatch.rs`).

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::request::{Ctx, Failure, storage_missing};
use super::state::{Guest, Kind, LockState, Snapshot, State, Ticket, Volume, unix_now};

type Answer = Result<Value, Failure>;

/// Keys PVE applies to a running guest at once; others wait in `pending` for a restart.
const HOTPLUG: &[&str] = &[
    "name",
    "hostname",
    "description",
    "onboot",
    "tags",
    "protection",
    "startup",
    "agent",
    "lock",
];

/// Parameters of create/config calls that are not configuration keys.
const NOT_CONFIG: &[&str] = &[
    "node",
    "vmid",
    "start",
    "storage",
    "delete",
    "digest",
    "skiplock",
    "revert",
    "force",
    "unique",
    "archive",
    "pool",
    "password",
    "ssh-public-keys",
    "ignore-unpack-errors",
    "restore",
    "bwlimit",
    "live-restore",
    "unprivileged-restore",
    "background_delay",
];

pub(crate) fn route(state: &mut State, ctx: &Ctx<'_>) -> Option<Answer> {
    let t = ctx.template;
    let kind = if t.starts_with("/nodes/{node}/qemu") {
        Some(Kind::Qemu)
    } else if t.starts_with("/nodes/{node}/lxc") {
        Some(Kind::Lxc)
    } else {
        None
    };
    let guest_path = kind.map(|k| {
        let base = format!("/nodes/{{node}}/{}", k.as_str());
        t.strip_prefix(&base).unwrap_or_default().to_owned()
    });
    #[cfg(feature = "console")]
    {
        let guest = match kind {
            Some(kind)
                if guest_path
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/{vmid}/")) =>
            {
                match guest(state, ctx, kind) {
                    Ok(vmid) => Some((kind, vmid)),
                    Err(e) => return Some(Err(e)),
                }
            }
            _ => None,
        };
        if let Some(answer) = super::console::route(state, ctx, guest) {
            return Some(answer);
        }
    }
    Some(match (ctx.method, t, kind, guest_path.as_deref()) {
        ("GET", "/version", ..) => Ok(json!({
            "version": state.version, "release": state.release, "repoid": "proxmoxia-mock"
        })),
        ("GET", "/nodes", ..) => Ok(nodes(state)),
        ("GET", "/cluster/resources", ..) => Ok(resources(state, ctx.str("type"))),
        ("GET", "/cluster/status", ..) => Ok(cluster_status(state)),
        ("GET", "/cluster/nextid", ..) => nextid(state, ctx),
        // access
        ("PUT", "/access/password", ..) => password(state, ctx),
        ("GET", "/access/users", ..) => Ok(users(state, ctx.flag("full"))),
        ("POST", "/access/users", ..) => create_user(state, ctx),
        ("GET", "/access/users/{userid}", ..) => user(state, ctx),
        ("PUT", "/access/users/{userid}", ..) => update_user(state, ctx),
        ("DELETE", "/access/users/{userid}", ..) => delete_user(state, ctx),
        ("GET", "/access/users/{userid}/token", ..) => tokens(state, ctx),
        (_, "/access/users/{userid}/token/{tokenid}", ..) => token(state, ctx),
        ("GET", "/access/groups", ..) => Ok(groups(state)),
        ("POST", "/access/groups", ..) => create_group(state, ctx),
        (_, "/access/groups/{groupid}", ..) => group(state, ctx),
        // guests
        ("GET", _, Some(kind), Some("")) => Ok(guests(state, ctx.node(), kind)),
        ("POST", _, Some(kind), Some("")) => create_guest(state, ctx, kind),
        (_, _, Some(kind), Some(rest)) => match guest(state, ctx, kind) {
            Err(e) => Err(e),
            Ok(vmid) => guest_call(state, ctx, kind, vmid, rest)?,
        },
        // storage
        ("GET", "/storage", ..) => Ok(storage_configs(state)),
        ("POST", "/storage", ..) => create_storage(state, ctx),
        (_, "/storage/{storage}", ..) => storage_config(state, ctx),
        ("GET", "/nodes/{node}/storage", ..) => Ok(node_storages(state, ctx)),
        ("GET", "/nodes/{node}/storage/{storage}/status", ..) => storage_status(state, ctx),
        ("GET", "/nodes/{node}/storage/{storage}/content", ..) => content(state, ctx),
        ("POST", "/nodes/{node}/storage/{storage}/content", ..) => allocate(state, ctx),
        (_, "/nodes/{node}/storage/{storage}/content/{volume}", ..) => volume(state, ctx),
        ("POST", "/nodes/{node}/storage/{storage}/upload", ..) => upload(state, ctx),
        ("POST", "/nodes/{node}/storage/{storage}/download-url", ..) => {
            super::transfer::download_url(state, ctx)
        }
        ("GET", "/nodes/{node}/storage/{storage}/file-restore/download", ..) => {
            super::transfer::file_restore(state, ctx)
        }
        // tasks
        ("GET", "/nodes/{node}/tasks", ..) => Ok(task_list(state, ctx)),
        ("GET", "/nodes/{node}/tasks/{upid}/status", ..) => task_status(state, ctx),
        ("GET", "/nodes/{node}/tasks/{upid}/log", ..) => task_log(state, ctx),
        ("DELETE", "/nodes/{node}/tasks/{upid}", ..) => task_stop(state, ctx),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------- login

/// `POST /access/ticket`: a password, a ticket to renew, or the answer to a TFA challenge.
pub(crate) fn login(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let mut user = ctx.str("username").unwrap_or_default().to_owned();
    if !user.contains('@') {
        user = format!("{user}@{}", ctx.str("realm").unwrap_or("pam"));
    }
    let password = ctx.str("password").unwrap_or_default();
    let fail = || Failure::new(401, "authentication failure");
    if let Some(challenge) = ctx.str("tfa-challenge") {
        if state.tfa_tickets.get(challenge) != Some(&user) {
            return Err(fail());
        }
        let tfa = state
            .users
            .get(&user)
            .and_then(|u| u.tfa.clone())
            .ok_or_else(fail)?;
        let ok = match password.split_once(':') {
            Some(("totp", code)) => code == tfa.totp,
            Some(("recovery", key)) => tfa.recovery.iter().any(|k| k == key),
            _ => false,
        };
        if !ok {
            return Err(fail());
        }
        if let Some(("recovery", key)) = password.split_once(':') {
            if let Some(u) = state.users.get_mut(&user) {
                if let Some(tfa) = &mut u.tfa {
                    tfa.recovery.retain(|k| k != key);
                }
            }
        }
        state.tfa_tickets.remove(challenge);
        return full_ticket(state, &user);
    }
    // Renewal: the current ticket as the password.
    let now = state.server_now();
    let renewing = state
        .tickets
        .get(password)
        .is_some_and(|t| t.user == user && t.expires > now);
    if !renewing {
        let known = state.users.get(&user).is_some_and(|u| {
            u.password.as_deref() == Some(password)
                && u.attrs.get("enable").is_none_or(|e| e != "0")
        });
        if !known {
            return Err(fail());
        }
        if let Some(tfa) = state.users.get(&user).and_then(|u| u.tfa.clone()) {
            let challenge = format!(
                "{{\"totp\":true,\"recovery\":\"{}\"}}",
                if tfa.recovery.is_empty() {
                    "unavailable"
                } else {
                    "available"
                }
            );
            let encoded = percent_encoding::utf8_percent_encode(
                &challenge,
                percent_encoding::NON_ALPHANUMERIC,
            );
            let ticket = format!(
                "PVE:!tfa!{encoded}:{:08X}::{}",
                state.server_now(),
                state.random_hex(16)
            );
            state.tfa_tickets.insert(ticket.clone(), user.clone());
            return Ok(json!({"username": user, "ticket": ticket, "NeedTFA": 1}));
        }
    }
    full_ticket(state, &user)
}

fn full_ticket(state: &mut State, user: &str) -> Answer {
    let (ticket, csrf) = issue_ticket(state, user);
    Ok(json!({
        "username": user, "ticket": ticket, "CSRFPreventionToken": csrf,
        "clustername": state.cluster_name, "cap": {}
    }))
}

// ---------------------------------------------------------------------------------- cluster

fn nodes(state: &State) -> Value {
    Value::Array(
        state
            .nodes
            .iter()
            .map(|(name, online)| {
                let mut n = json!({"node": name, "status": if *online { "online" } else { "offline" }, "type": "node", "id": format!("node/{name}"), "level": ""});
                if let Some(o) = n.as_object_mut().filter(|_| *online) {
                    // What PVE 7 to 9 send beside the schema's fields (`disk`, `maxdisk`,
                    // `ssl_fingerprint`: pve-manager `PVE/API2/Nodes.pm`, and every recorded
                    // `/nodes` answer of the test corpus).
                    o.extend([
                        ("cpu".into(), json!(0.02)),
                        ("maxcpu".into(), json!(4)),
                        ("mem".into(), json!(2u64 << 30)),
                        ("maxmem".into(), json!(8u64 << 30)),
                        ("disk".into(), json!(3u64 << 30)),
                        ("maxdisk".into(), json!(30u64 << 30)),
                        ("uptime".into(), json!(3600)),
                        ("ssl_fingerprint".into(), json!(MOCK_FINGERPRINT)),
                    ]);
                }
                n
            })
            .collect(),
    )
}

/// The fingerprint the fake's nodes report in `/nodes` (PVE: the node's certificate's).
const MOCK_FINGERPRINT: &str = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

/// A guest as PVE's lists and status show it, with the fields real PVE sends beside the
/// schema's. pve-container's list writes the id as text (`"vmid": "200"`: `vmstatus` keys
/// its hash by id and the list copies the key; every recorded lxc list does so), qemu-server's
/// as a number.
fn guest_summary(g: &Guest) -> Value {
    let running = g.running;
    let vmid = match g.kind {
        Kind::Lxc => json!(g.vmid.to_string()),
        Kind::Qemu => json!(g.vmid),
    };
    let mut v = json!({
        "vmid": vmid, "name": g.name(), "status": g.status(),
        "maxmem": g.memory_mib() * 1024 * 1024,
        "mem": if running { 64u64 << 20 } else { 0 },
        "cpus": g.config.get("cores").and_then(|c| c.parse::<u64>().ok()).unwrap_or(1),
        "cpu": if running { 0.02 } else { 0.0 },
        "uptime": g.started_at.filter(|_| running).map_or(0, |t| t.elapsed().as_secs()),
        "disk": 0, "maxdisk": 0, "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0,
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(lock) = g.lock() {
            o.insert("lock".into(), json!(lock));
        }
        if let Some(tags) = g.config.get("tags") {
            o.insert("tags".into(), json!(tags));
        }
        if g.template() {
            o.insert("template".into(), json!(1));
        }
        if g.kind == Kind::Lxc {
            o.insert("type".into(), json!("lxc"));
            // pve-container `src/PVE/LXC.pm` `vmstatus`: swap in use and allowed.
            let swap = g
                .config
                .get("swap")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(512);
            o.insert("maxswap".into(), json!(swap << 20));
            o.insert("swap".into(), json!(0));
        }
        if running {
            o.insert("pid".into(), json!(10000 + g.vmid));
        }
    }
    v
}

fn resources(state: &State, kind: Option<&str>) -> Value {
    let mut out = Vec::new();
    if matches!(kind, None | Some("vm")) {
        for g in state.guests.values() {
            let mut v = guest_summary(g);
            if let Some(o) = v.as_object_mut() {
                // `/cluster/resources` writes the id as a number and `template` always
                // (pve-manager `PVE/API2/Cluster.pm`: `$d->[3] + 0`).
                o.insert("vmid".into(), json!(g.vmid));
                o.insert("template".into(), json!(u8::from(g.template())));
                o.remove("pid");
                o.remove("swap");
                o.remove("maxswap");
                // Its guests have `maxcpu`, not `cpus` (pve-manager `PVE/API2/Cluster.pm`).
                if let Some(cpus) = o.remove("cpus") {
                    o.insert("maxcpu".into(), cpus);
                }
                o.insert(
                    "id".into(),
                    json!(format!("{}/{}", g.kind.as_str(), g.vmid)),
                );
                o.insert("type".into(), json!(g.kind.as_str()));
                o.insert("node".into(), json!(g.node));
            }
            out.push(v);
        }
    }
    if matches!(kind, None | Some("node")) {
        if let Value::Array(mut nodes) = nodes(state) {
            // `/cluster/resources` lists nodes without their certificate's fingerprint.
            for node in nodes.iter_mut().filter_map(Value::as_object_mut) {
                node.remove("ssl_fingerprint");
            }
            out.extend(nodes);
        }
    }
    if matches!(kind, None | Some("storage")) {
        for node in state.nodes.keys() {
            for (name, s) in &state.storages {
                out.push(json!({
                    "id": format!("storage/{node}/{name}"), "type": "storage", "node": node,
                    "storage": name, "status": "available", "plugintype": s.kind,
                    "content": s.content.join(","), "disk": s.used(), "maxdisk": s.total,
                }));
            }
        }
    }
    Value::Array(out)
}

fn cluster_status(state: &State) -> Value {
    let mut out = vec![json!({
        "type": "cluster", "id": "cluster", "name": state.cluster_name,
        "nodes": state.nodes.len(), "quorate": u8::from(state.quorate), "version": 1
    })];
    for (i, (name, online)) in state.nodes.iter().enumerate() {
        out.push(json!({
            "type": "node", "id": format!("node/{name}"), "name": name, "nodeid": i + 1,
            "online": u8::from(*online), "local": u8::from(i == 0), "ip": format!("192.0.2.{}", 10 + i), "level": ""
        }));
    }
    Value::Array(out)
}

fn nextid(state: &State, ctx: &Ctx<'_>) -> Answer {
    if let Some(vmid) = ctx.vmid() {
        return if state.guests.contains_key(&vmid) {
            Err(Failure::param("vmid", format!("VM {vmid} already exists")))
        } else {
            Ok(json!(vmid.to_string()))
        };
    }
    let next = (100..)
        .find(|id| !state.guests.contains_key(id))
        .unwrap_or(100);
    // PVE sends the id as a string.
    Ok(json!(next.to_string()))
}

// ---------------------------------------------------------------------------------- access

fn password(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let target = ctx.str("userid").unwrap_or_default().to_owned();
    if ctx.user.contains('!') {
        return Err(Failure::new(
            403,
            "Permission check failed (API token not allowed)",
        ));
    }
    let user = state
        .users
        .get_mut(&target)
        .ok_or_else(|| Failure::new(500, format!("user '{target}' does not exist")))?;
    user.password = ctx.str("password").map(str::to_owned);
    Ok(Value::Null)
}

fn user_json(id: &str, u: &super::state::User, tokens: Option<Value>) -> Value {
    let mut v = json!({"userid": id, "enable": u.attrs.get("enable").map_or(1, |e| u8::from(e != "0")), "groups": u.groups.join(",")});
    if let Some(o) = v.as_object_mut() {
        for (k, val) in &u.attrs {
            if k != "enable" {
                o.insert(k.clone(), json!(val));
            }
        }
        o.insert(
            "realm-type".into(),
            json!(id.rsplit('@').next().unwrap_or("pve")),
        );
        o.insert("tfa-locked-until".into(), Value::Null);
        if let Some(t) = tokens {
            o.insert("tokens".into(), t);
        }
    }
    v
}

fn user_tokens<'a>(state: &'a State, userid: &str) -> Vec<(String, &'a super::state::Token)> {
    state
        .tokens
        .iter()
        .filter_map(|(id, t)| {
            let (user, name) = id.split_once('!')?;
            (user == userid).then(|| (name.to_owned(), t))
        })
        .collect()
}

fn users(state: &State, full: bool) -> Value {
    Value::Array(
        state
            .users
            .iter()
            .map(|(id, u)| {
                let tokens = full.then(|| {
                    Value::Array(
                        user_tokens(state, id)
                            .into_iter()
                            .map(|(name, t)| token_json(&name, t))
                            .collect(),
                    )
                });
                user_json(id, u, tokens)
            })
            .collect(),
    )
}

const USER_ATTRS: &[&str] = &[
    "comment",
    "email",
    "enable",
    "expire",
    "firstname",
    "lastname",
    "keys",
];

fn create_user(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("userid").unwrap_or_default().to_owned();
    if state.users.contains_key(&id) {
        return Err(Failure::new(
            500,
            format!("create user failed: user '{id}' already exists"),
        ));
    }
    let mut user = super::state::User {
        password: ctx.str("password").map(str::to_owned),
        ..Default::default()
    };
    for key in USER_ATTRS {
        if let Some(v) = ctx.str(key) {
            user.attrs.insert((*key).into(), v.into());
        }
    }
    user.attrs
        .entry("enable".into())
        .or_insert_with(|| "1".into());
    if let Some(groups) = ctx.str("groups") {
        user.groups = groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
    }
    state.users.insert(id, user);
    Ok(Value::Null)
}

fn user_missing(id: &str) -> Failure {
    Failure::new(500, format!("no such user ('{id}')"))
}

fn user(state: &State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("userid").unwrap_or_default();
    let u = state.users.get(id).ok_or_else(|| user_missing(id))?;
    let tokens: Map<String, Value> = user_tokens(state, id)
        .into_iter()
        .map(|(name, t)| (name, token_info(t)))
        .collect();
    let mut v = user_json(id, u, Some(Value::Object(tokens)));
    if let Some(o) = v.as_object_mut() {
        o.insert("groups".into(), json!(u.groups));
    }
    Ok(v)
}

fn update_user(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("userid").unwrap_or_default().to_owned();
    let u = state.users.get_mut(&id).ok_or_else(|| user_missing(&id))?;
    for key in USER_ATTRS {
        if let Some(v) = ctx.str(key) {
            u.attrs.insert((*key).into(), v.into());
        }
    }
    if let Some(groups) = ctx.str("groups") {
        let list: Vec<String> = groups
            .split(',')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        if ctx.flag("append") {
            u.groups.extend(list);
        } else {
            u.groups = list;
        }
    }
    Ok(Value::Null)
}

fn delete_user(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("userid").unwrap_or_default().to_owned();
    state.users.remove(&id).ok_or_else(|| user_missing(&id))?;
    state
        .tokens
        .retain(|t, _| t.split('!').next() != Some(id.as_str()));
    Ok(Value::Null)
}

/// A token's info as PVE stores it: `privsep` (default 1), and `expire` and `comment` where
/// given.
fn token_info(t: &super::state::Token) -> Value {
    let number = |key: &str| t.attrs.get(key).and_then(|v| v.parse::<u64>().ok());
    let mut info = Map::new();
    info.insert("privsep".into(), json!(number("privsep").unwrap_or(1)));
    if let Some(expire) = number("expire") {
        info.insert("expire".into(), json!(expire));
    }
    if let Some(comment) = t.attrs.get("comment") {
        info.insert("comment".into(), json!(comment));
    }
    Value::Object(info)
}

/// A token's attributes from a `POST`/`PUT`: `comment`, `expire`, `privsep`.
fn set_token_attrs(attrs: &mut BTreeMap<String, String>, ctx: &Ctx<'_>) {
    for key in ["comment", "expire", "privsep"] {
        if let Some(value) = ctx.str(key) {
            let value = match (key, value) {
                ("privsep", "true" | "yes" | "on") => "1",
                ("privsep", "false" | "no" | "off") => "0",
                (_, v) => v,
            };
            attrs.insert(key.into(), value.into());
        }
    }
}

fn token_json(name: &str, t: &super::state::Token) -> Value {
    let mut v = token_info(t);
    if let Some(o) = v.as_object_mut() {
        o.insert("tokenid".into(), json!(name));
    }
    v
}

fn tokens(state: &State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("userid").unwrap_or_default();
    state.users.get(id).ok_or_else(|| user_missing(id))?;
    Ok(Value::Array(
        user_tokens(state, id)
            .into_iter()
            .map(|(name, t)| token_json(&name, t))
            .collect(),
    ))
}

fn token(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let user = ctx.str("userid").unwrap_or_default().to_owned();
    let name = ctx.str("tokenid").unwrap_or_default().to_owned();
    let full = format!("{user}!{name}");
    state.users.get(&user).ok_or_else(|| user_missing(&user))?;
    let missing = || Failure::new(500, format!("no such token '{name}' for user '{user}'"));
    match ctx.method {
        "GET" => {
            let t = state.tokens.get(&full).ok_or_else(missing)?;
            Ok(token_info(t))
        }
        "POST" => {
            if state.tokens.contains_key(&full) {
                return Err(Failure::new(500, "Token already exists.".to_owned()));
            }
            let secret = state.random_hex(16);
            let secret = format!(
                "{}-{}-{}-{}-{}",
                &secret[..8],
                &secret[8..12],
                &secret[12..16],
                &secret[16..20],
                &secret[20..32]
            );
            let mut attrs = BTreeMap::new();
            set_token_attrs(&mut attrs, ctx);
            let token = super::state::Token {
                secret: secret.clone(),
                attrs,
            };
            let info = token_info(&token);
            state.tokens.insert(full.clone(), token);
            Ok(json!({"full-tokenid": full, "value": secret, "info": info}))
        }
        "PUT" => {
            let t = state.tokens.get_mut(&full).ok_or_else(missing)?;
            set_token_attrs(&mut t.attrs, ctx);
            Ok(token_info(t))
        }
        _ => {
            state.tokens.remove(&full).ok_or_else(missing)?;
            Ok(Value::Null)
        }
    }
}

fn groups(state: &State) -> Value {
    Value::Array(
        state
            .groups
            .iter()
            .map(|(id, attrs)| {
                let users: Vec<&String> = state
                    .users
                    .iter()
                    .filter(|(_, u)| u.groups.contains(id))
                    .map(|(uid, _)| uid)
                    .collect();
                let mut v = json!({"groupid": id, "users": users.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(",")});
                if let (Some(o), Some(c)) = (v.as_object_mut(), attrs.get("comment")) {
                    o.insert("comment".into(), json!(c));
                }
                v
            })
            .collect(),
    )
}

fn create_group(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("groupid").unwrap_or_default().to_owned();
    if state.groups.contains_key(&id) {
        return Err(Failure::new(
            500,
            format!("create group failed: group '{id}' already exists"),
        ));
    }
    let mut attrs = BTreeMap::new();
    if let Some(c) = ctx.str("comment") {
        attrs.insert("comment".into(), c.into());
    }
    state.groups.insert(id, attrs);
    Ok(Value::Null)
}

fn group(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let id = ctx.str("groupid").unwrap_or_default().to_owned();
    let missing = || Failure::new(500, format!("group '{id}' does not exist"));
    match ctx.method {
        "GET" => {
            let attrs = state.groups.get(&id).ok_or_else(missing)?;
            let members: Vec<&String> = state
                .users
                .iter()
                .filter(|(_, u)| u.groups.contains(&id))
                .map(|(u, _)| u)
                .collect();
            Ok(json!({"members": members, "comment": attrs.get("comment")}))
        }
        "PUT" => {
            let attrs = state.groups.get_mut(&id).ok_or_else(missing)?;
            if let Some(c) = ctx.str("comment") {
                attrs.insert("comment".into(), c.into());
            }
            Ok(Value::Null)
        }
        _ => {
            state.groups.remove(&id).ok_or_else(missing)?;
            for u in state.users.values_mut() {
                u.groups.retain(|g| *g != id);
            }
            Ok(Value::Null)
        }
    }
}

// ---------------------------------------------------------------------------------- guests

fn no_config(node: &str, kind: Kind, vmid: &str) -> Failure {
    Failure::new(
        500,
        format!(
            "Configuration file 'nodes/{node}/{}/{vmid}.conf' does not exist",
            kind.config_dir()
        ),
    )
}

/// The vmid of the request's guest, which must exist on the request's node.
fn guest(state: &State, ctx: &Ctx<'_>, kind: Kind) -> Result<u32, Failure> {
    let raw = ctx.str("vmid").unwrap_or_default();
    let vmid = raw
        .parse::<u32>()
        .map_err(|_| no_config(ctx.node(), kind, raw))?;
    match state.guests.get(&vmid) {
        Some(g) if g.kind == kind && g.node == ctx.node() => Ok(vmid),
        _ => Err(no_config(ctx.node(), kind, raw)),
    }
}

fn guests(state: &State, node: &str, kind: Kind) -> Value {
    Value::Array(
        state
            .guests
            .values()
            .filter(|g| g.node == node && g.kind == kind)
            .map(guest_summary)
            .collect(),
    )
}

pub(crate) fn is_disk_key(kind: Kind, key: &str) -> bool {
    let base = key.trim_end_matches(|c: char| c.is_ascii_digit());
    match kind {
        Kind::Qemu => {
            base != key
                && matches!(
                    base,
                    "ide" | "sata" | "scsi" | "virtio" | "efidisk" | "tpmstate"
                )
        }
        Kind::Lxc => key == "rootfs" || (base == "mp" && base != key),
    }
}

/// Puts a guest's disks on their storage where missing (a guest added from Rust): each disk
/// key naming a volume of one of the fake's storages (`local-lvm:vm-100-disk-0,size=32G`),
/// with its `size` (`32G`; none: 0), owned by the guest. CD-ROMs and paths are not volumes.
pub(crate) fn register_disks(
    state: &mut State,
    kind: Kind,
    vmid: u32,
    config: &BTreeMap<String, String>,
) {
    for (_, value) in config.iter().filter(|(k, _)| is_disk_key(kind, k)) {
        let mut parts = value.split(',');
        let volume = parts.next().unwrap_or_default();
        let volume = volume
            .strip_prefix("file=")
            .or_else(|| volume.strip_prefix("volume="))
            .unwrap_or(volume);
        let options: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        if options.contains(&("media", "cdrom")) {
            continue;
        }
        let Some((storage, name)) = volume.split_once(':') else {
            continue;
        };
        let Some(store) = state.storages.get_mut(storage) else {
            continue;
        };
        if name.is_empty() || store.volumes.contains_key(volume) {
            continue;
        }
        let size = options
            .iter()
            .find(|(k, _)| *k == "size")
            .and_then(|(_, v)| size_bytes(v))
            .unwrap_or(0);
        let format = match name.rsplit_once('.') {
            Some((_, ext)) if store.file_based() => ext.to_owned(),
            _ => "raw".to_owned(),
        };
        store.volumes.insert(
            volume.to_owned(),
            Volume {
                content: if kind == Kind::Qemu {
                    "images"
                } else {
                    "rootdir"
                }
                .into(),
                size,
                format,
                ctime: unix_now(),
                vmid: Some(vmid),
                notes: None,
                protected: false,
            },
        );
    }
}

/// A disk size as PVE writes it (`32G`, `512M`, `4T`, `100K`, bytes without a unit).
fn size_bytes(text: &str) -> Option<u64> {
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    Some((value * (1u64 << shift) as f64) as u64)
}

/// `STORAGE:SIZE` on a disk key allocates a volume, as PVE does: the value becomes
/// `STORAGE:vm-VMID-disk-N,...,size=SIZEG`.
fn allocate_disk(state: &mut State, kind: Kind, vmid: u32, value: &str) -> Result<String, Failure> {
    let (volume, rest) = value
        .split_once(',')
        .map_or((value, None), |(v, r)| (v, Some(r)));
    let volume = volume
        .strip_prefix("file=")
        .or_else(|| volume.strip_prefix("volume="))
        .unwrap_or(volume);
    let Some((storage, size)) = volume.split_once(':') else {
        return Ok(value.to_owned());
    };
    let Ok(gib) = size.parse::<f64>() else {
        return Ok(value.to_owned());
    };
    let content = if kind == Kind::Qemu {
        "images"
    } else {
        "rootdir"
    };
    let store = state
        .storages
        .get_mut(storage)
        .ok_or_else(|| Failure::new(500, format!("storage '{storage}' does not exist")))?;
    if !store.content.iter().any(|c| c == content) {
        return Err(Failure::new(
            500,
            format!("storage '{storage}' does not support content-type '{content}'"),
        ));
    }
    let n = (0..)
        .find(|n| {
            !store
                .volumes
                .keys()
                .any(|v| v.contains(&format!("vm-{vmid}-disk-{n}")))
        })
        .unwrap_or(0);
    let (name, format) = if store.file_based() {
        (format!("{storage}:{vmid}/vm-{vmid}-disk-{n}.raw"), "raw")
    } else {
        (format!("{storage}:vm-{vmid}-disk-{n}"), "raw")
    };
    let bytes = (gib * (1u64 << 30) as f64) as u64;
    store.volumes.insert(
        name.clone(),
        Volume {
            content: content.into(),
            size: bytes,
            format: format.into(),
            ctime: unix_now(),
            vmid: Some(vmid),
            notes: None,
            protected: false,
        },
    );
    let size_text = if gib.fract() == 0.0 {
        format!("{}G", gib as u64)
    } else {
        format!("{gib}G")
    };
    let mut out = name;
    if let Some(rest) = rest {
        for part in rest.split(',').filter(|p| !p.starts_with("size=")) {
            out.push(',');
            out.push_str(part);
        }
    }
    out.push_str(&format!(",size={size_text}"));
    Ok(out)
}

fn create_guest(state: &mut State, ctx: &Ctx<'_>, kind: Kind) -> Answer {
    let vmid = ctx.vmid().unwrap_or(0);
    if let Some(holder) = state.guests.get(&vmid) {
        // PVE's check_vmid_unused names the kind holding the id; qemu-server says it from
        // create_and_lock_config, behind its `unable to create VM <vmid> -`, pve-container
        // before that.
        let taken = format!(
            "{} {vmid} already exists on node '{}'",
            holder.kind.what(),
            holder.node
        );
        return Err(Failure::new(
            500,
            match kind {
                Kind::Qemu => format!("unable to create VM {vmid} - {taken}"),
                Kind::Lxc => taken,
            },
        ));
    }
    if kind == Kind::Lxc {
        let template = ctx.str("ostemplate").unwrap_or_default();
        let exists = template
            .split_once(':')
            .and_then(|(s, _)| state.storages.get(s))
            .is_some_and(|s| s.volumes.contains_key(template));
        if !exists && !template.starts_with('/') {
            return Err(Failure::new(
                500,
                format!("volume '{template}' does not exist"),
            ));
        }
    }
    let mut config = BTreeMap::new();
    let mut disks = Vec::new();
    for (key, value) in &ctx.params {
        if NOT_CONFIG.contains(&key.as_str()) || (kind == Kind::Lxc && key == "ostemplate") {
            continue;
        }
        let Some(text) = value.as_str() else { continue };
        if is_disk_key(kind, key) {
            disks.push((key.clone(), text));
        } else {
            let text = normalise(state, kind, key, text);
            config.insert(key.clone(), text);
        }
    }
    // Disks are allocated in PVE's volume order: a container's rootfs first, then its mount
    // points by index (`vm-<vmid>-disk-0` is the rootfs).
    disks.sort_by_key(|(key, _)| {
        let index = key
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse::<u32>()
            .ok();
        (
            key != "rootfs",
            key.trim_end_matches(|c: char| c.is_ascii_digit())
                .to_owned(),
            index,
        )
    });
    for (key, text) in disks {
        let volume = allocate_disk(state, kind, vmid, text)?;
        config.insert(key, volume);
    }
    if kind == Kind::Lxc {
        if !config.contains_key("rootfs") {
            let storage = ctx.str("storage").unwrap_or("local").to_owned();
            let root = allocate_disk(state, kind, vmid, &format!("{storage}:4"))?;
            config.insert("rootfs".into(), root);
        }
        let template = ctx.str("ostemplate").unwrap_or_default();
        config
            .entry("ostype".into())
            .or_insert_with(|| ostype(template).into());
        config
            .entry("arch".into())
            .or_insert_with(|| arch(template).into());
        // pve-container's defaults for a new container (`unprivileged`: "for creation, the
        // default is 1").
        config
            .entry("unprivileged".into())
            .or_insert_with(|| "1".into());
        config.entry("swap".into()).or_insert_with(|| "512".into());
    } else {
        qemu_create_defaults(state, &mut config);
    }
    let start = ctx.flag("start");
    let node = ctx.node().to_owned();
    let kind_name = kind.worker("create");
    // As PVE's create_and_lock_config: the id is taken now, by a config holding only the
    // `create` lock; the task writes the configuration.
    state.guests.insert(
        vmid,
        Guest {
            vmid,
            node: node.clone(),
            kind,
            running: false,
            paused: false,
            config: BTreeMap::from([("lock".to_owned(), "create".to_owned())]),
            pending: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            parent: None,
            started_at: None,
            start_error: None,
        },
    );
    let guest_node = node.clone();
    let upid = state.spawn_task(
        &node,
        &kind_name,
        &vmid.to_string(),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            let guest = s.guests.entry(vmid).or_insert_with(|| Guest {
                vmid,
                node: guest_node,
                kind,
                running: false,
                paused: false,
                config: BTreeMap::new(),
                pending: BTreeMap::new(),
                snapshots: BTreeMap::new(),
                parent: None,
                started_at: None,
                start_error: None,
            });
            guest.config = config;
            guest.running = start;
            guest.started_at = start.then(Instant::now);
            Ok(vec![format!("created {} {vmid}", kind.as_str())])
        }),
    );
    Ok(json!(upid))
}

/// The architecture a template's name states (`..._arm64.tar.zst`), else `amd64`.
fn arch(template: &str) -> &'static str {
    let name = template.rsplit('/').next().unwrap_or(template);
    ["arm64", "armhf", "riscv64", "i386"]
        .into_iter()
        .find(|arch| {
            name.match_indices(arch).any(|(i, _)| {
                let before = name[..i].ends_with(['_', '-']);
                let after = name[i + arch.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
                before && after
            })
        })
        .unwrap_or("amd64")
}

fn ostype(template: &str) -> &'static str {
    let name = template.rsplit('/').next().unwrap_or(template);
    for os in [
        "debian",
        "ubuntu",
        "centos",
        "fedora",
        "alpine",
        "archlinux",
        "opensuse",
        "gentoo",
        "devuan",
        "nixos",
    ] {
        if name.starts_with(os) {
            return os;
        }
    }
    "unmanaged"
}

/// Calls on one guest: `rest` is the path after `/{vmid}`.
fn guest_call(
    state: &mut State,
    ctx: &Ctx<'_>,
    kind: Kind,
    vmid: u32,
    rest: &str,
) -> Option<Answer> {
    Some(match (ctx.method, rest) {
        ("GET", "/{vmid}") => Ok(
            json!([{"subdir": "config"}, {"subdir": "status"}, {"subdir": "snapshot"}, {"subdir": "pending"}]),
        ),
        ("DELETE", "/{vmid}") => destroy(state, ctx, kind, vmid),
        ("GET", "/{vmid}/config") => Ok(config(state, vmid, ctx.flag("current"))),
        ("PUT", "/{vmid}/config") => put_config(state, ctx, kind, vmid),
        // The asynchronous form: a task applies the change.
        ("POST", "/{vmid}/config") => post_config(state, ctx, kind, vmid),
        ("GET", "/{vmid}/pending") => Ok(pending(state, vmid)),
        ("GET", "/{vmid}/status/current") => Ok(status_current(state, vmid)),
        ("POST", action) if action.starts_with("/{vmid}/status/") => power(
            state,
            ctx,
            kind,
            vmid,
            action.trim_start_matches("/{vmid}/status/"),
        ),
        ("GET", "/{vmid}/snapshot") => Ok(snapshots(state, vmid)),
        ("POST", "/{vmid}/snapshot") => snapshot(state, ctx, kind, vmid),
        ("DELETE", "/{vmid}/snapshot/{snapname}") => delete_snapshot(state, ctx, kind, vmid),
        ("POST", "/{vmid}/snapshot/{snapname}/rollback") => rollback(state, ctx, kind, vmid),
        ("GET", "/{vmid}/snapshot/{snapname}/config") => {
            let name = ctx.str("snapname").unwrap_or_default();
            state.guests[&vmid]
                .snapshots
                .get(name)
                .map(|s| Value::Object(config_json(&s.config)))
                .ok_or_else(|| Failure::new(500, snapshot_missing(name)))
        }
        ("PUT", "/{vmid}/snapshot/{snapname}/config") => {
            let name = ctx.str("snapname").unwrap_or_default().to_owned();
            let description = ctx.str("description").map(str::to_owned);
            match state
                .guests
                .get_mut(&vmid)
                .and_then(|g| g.snapshots.get_mut(&name))
            {
                Some(snap) => {
                    if let Some(d) = description {
                        snap.description = d;
                    }
                    Ok(Value::Null)
                }
                None => Err(Failure::new(500, snapshot_missing(&name))),
            }
        }
        _ => return None,
    })
}

fn digest(config: &BTreeMap<String, String>) -> String {
    let text: String = config.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    let hash = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes());
    hash.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn config(state: &State, vmid: u32, current: bool) -> Value {
    let g = &state.guests[&vmid];
    let mut config = g.config.clone();
    if !current {
        // Without `current`, PVE shows pending values.
        for (k, v) in &g.pending {
            match v {
                Some(v) => {
                    config.insert(k.clone(), v.clone());
                }
                None => {
                    config.remove(k);
                }
            }
        }
    }
    let mut out = config_json(&config);
    out.insert("digest".into(), json!(digest(&g.config)));
    Value::Object(out)
}

/// A checked config change: keys to delete and to set (disks already allocated).
struct ConfigChange {
    deletes: Vec<String>,
    updates: Vec<(String, String)>,
}

/// Checks a config change as PVE does before it writes (digest, lock) and allocates its
/// new disks.
fn plan_config(
    state: &mut State,
    ctx: &Ctx<'_>,
    kind: Kind,
    vmid: u32,
) -> Result<ConfigChange, Failure> {
    let current = digest(&state.guests[&vmid].config);
    if ctx.str("digest").is_some_and(|d| d != current) {
        // qemu-server's update_vm_api and pve-container's own wordings.
        return Err(Failure::new(
            500,
            match kind {
                Kind::Qemu => "checksum mismatch (file change by other user?)",
                Kind::Lxc => {
                    "detected modified configuration - file changed by other user? Try again."
                }
            },
        ));
    }
    if let Some(locked) = state.guests[&vmid]
        .locked()
        .filter(|_| !ctx.flag("skiplock"))
    {
        return Err(Failure::new(500, locked));
    }
    let deletes: Vec<String> = ctx
        .str("delete")
        .map(|d| {
            crate::validate::formats::split_list(d)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    // pve-container refuses `unprivileged` in any config write, even unchanged
    // (`src/PVE/LXC/Config.pm`, `update_pct_config`).
    if kind == Kind::Lxc && ctx.params.contains_key("unprivileged") {
        return Err(Failure::new(
            500,
            "unable to modify read-only option: 'unprivileged'",
        ));
    }
    let mut updates = Vec::new();
    for (key, value) in &ctx.params {
        if NOT_CONFIG.contains(&key.as_str()) {
            continue;
        }
        let Some(text) = value.as_str() else { continue };
        let text = if is_disk_key(kind, key) {
            allocate_disk(state, kind, vmid, text)?
        } else {
            normalise(state, kind, key, text)
        };
        updates.push((key.clone(), text));
    }
    Ok(ConfigChange { deletes, updates })
}

/// Writes a planned change: at once, or as pending for what a running guest cannot take.
fn apply_config(state: &mut State, vmid: u32, change: ConfigChange) {
    let Some(g) = state.guests.get_mut(&vmid) else {
        return;
    };
    let running = g.running;
    for key in change.deletes {
        if running && !HOTPLUG.contains(&key.as_str()) {
            g.pending.insert(key, None);
        } else {
            g.config.remove(&key);
            g.pending.remove(&key);
        }
    }
    for (key, value) in change.updates {
        if running && !HOTPLUG.contains(&key.as_str()) {
            g.pending.insert(key, Some(value));
        } else {
            g.config.insert(key.clone(), value);
            g.pending.remove(&key);
        }
    }
}

/// `PUT .../config`: the change is written within the request, once the guest's config lock
/// is free (a held one is waited for up to the lock wait, as PVE waits 10 s).
fn put_config(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    match state.request_lock(vmid, kind, ctx.since) {
        LockState::Free => {}
        LockState::Waiting => return Err(Failure::lock_wait()),
        LockState::TimedOut(message) => return Err(Failure::new(500, message)),
    }
    let change = plan_config(state, ctx, kind, vmid)?;
    apply_config(state, vmid, change);
    Ok(Value::Null)
}

/// `POST .../config`: checked at once, written by a task that takes the config lock.
fn post_config(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    let change = plan_config(state, ctx, kind, vmid)?;
    let task = kind.worker("config");
    Ok(json!(state.spawn_guest_task(
        ctx.node(),
        &task,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            apply_config(s, vmid, change);
            Ok(vec![])
        })
    )))
}

/// A MAC address from PVE's OUI (`BC:24:11`), as PVE assigns to new NICs.
fn random_mac(state: &mut State) -> String {
    let hex = state.random_hex(3).to_ascii_uppercase();
    format!("BC:24:11:{}:{}:{}", &hex[0..2], &hex[2..4], &hex[4..6])
}

/// A random (version 4) UUID, as PVE writes into `smbios1` and `vmgenid`.
fn random_uuid(state: &mut State) -> String {
    let hex = state.random_hex(16);
    let variant = ["8", "9", "a", "b"][usize::from(hex.as_bytes()[16] % 4)];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// What qemu-server adds to a new VM's configuration: creation metadata, a default boot
/// order (first disk, first CD-ROM, first NIC), an SMBIOS UUID and a VM generation id.
fn qemu_create_defaults(state: &mut State, config: &mut BTreeMap<String, String>) {
    config.insert(
        "meta".into(),
        format!("creation-qemu={QEMU_VERSION},ctime={}", unix_now()),
    );
    if !config.contains_key("boot") {
        let indexed = |prefix: &str, key: &str| {
            key.strip_prefix(prefix)
                .and_then(|n| n.parse::<u32>().ok())
                .is_some()
        };
        let first = |cdrom: bool| {
            ["ide", "sata", "scsi", "virtio"].iter().find_map(|bus| {
                config
                    .iter()
                    .filter(|(k, _)| indexed(bus, k))
                    .find(|(_, v)| v.contains("media=cdrom") == cdrom)
                    .map(|(k, _)| k.clone())
            })
        };
        let net = config.keys().find(|k| indexed("net", k)).cloned();
        let order: Vec<String> = [first(false), first(true), net]
            .into_iter()
            .flatten()
            .collect();
        if !order.is_empty() {
            config.insert("boot".into(), format!("order={}", order.join(";")));
        }
    }
    if !config.contains_key("smbios1") {
        let uuid = random_uuid(state);
        config.insert("smbios1".into(), format!("uuid={uuid}"));
    }
    if config.get("vmgenid").is_none_or(|v| v == "1") {
        let uuid = random_uuid(state);
        config.insert("vmgenid".into(), uuid);
    }
}

/// The QEMU version a new VM's `meta` names (PVE 9.2's).
const QEMU_VERSION: &str = "10.0.2";

/// A config value as PVE writes it back: a VM's `netN` gets a MAC address if it has none
/// (written `model=MAC`); a container's gets its MAC address and `type=veth`, with `name`
/// first and the other keys sorted.
fn normalise(state: &mut State, kind: Kind, key: &str, value: &str) -> String {
    let is_net = key
        .strip_prefix("net")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !is_net {
        return value.to_owned();
    }
    if kind == Kind::Qemu {
        return match crate::api::formats::QemuNet::parse(value) {
            Ok(mut net) if net.macaddr.is_none() => {
                net.macaddr = Some(random_mac(state));
                net.to_string()
            }
            _ => value.to_owned(),
        };
    }
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    for part in value.split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return value.to_owned();
        };
        props.insert(k.to_owned(), v.to_owned());
    }
    if !props.contains_key("hwaddr") {
        let mac = random_mac(state);
        props.insert("hwaddr".into(), mac);
    }
    props.insert("type".into(), "veth".into());
    let name = props.remove("name");
    name.map(|n| format!("name={n}"))
        .into_iter()
        .chain(props.iter().map(|(k, v)| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",")
}

fn pending(state: &State, vmid: u32) -> Value {
    let g = &state.guests[&vmid];
    let keys: std::collections::BTreeSet<&String> =
        g.config.keys().chain(g.pending.keys()).collect();
    Value::Array(
        keys.into_iter()
            .map(|k| {
                let mut item = json!({"key": k});
                if let Some(o) = item.as_object_mut() {
                    if let Some(v) = g.config.get(k) {
                        o.insert("value".into(), json!(v));
                    }
                    match g.pending.get(k) {
                        Some(Some(v)) => {
                            o.insert("pending".into(), json!(v));
                        }
                        Some(None) => {
                            o.insert("delete".into(), json!(1));
                        }
                        None => {}
                    }
                }
                item
            })
            .collect(),
    )
}

fn status_current(state: &State, vmid: u32) -> Value {
    let g = &state.guests[&vmid];
    let mut v = guest_summary(g);
    if let Some(o) = v.as_object_mut() {
        o.insert("ha".into(), json!({"managed": 0}));
        if g.kind == Kind::Qemu {
            let qmp = if g.paused { "paused" } else { g.status() };
            o.insert("qmpstatus".into(), json!(qmp));
            o.insert(
                "agent".into(),
                json!(u8::from(g.config.get("agent").is_some_and(
                    |a| a.starts_with('1') || a.contains("enabled=1")
                ))),
            );
        }
        if g.kind == Kind::Qemu && g.running {
            running_qemu_status(o, g);
        }
    }
    v
}

/// What qemu-server's `vmstatus` adds for a running VM in the full status (`balloon`,
/// `ballooninfo`, `blockstat`, `nics`, `proxmox-support`, `running-machine`, ...), shaped
/// as PVE 8 sends it (the recorded answers of the test corpus; QMP's `query-balloon`,
/// `query-blockstats`, `query-proxmox-support`).
fn running_qemu_status(o: &mut serde_json::Map<String, Value>, g: &Guest) {
    let maxmem = g.memory_mib() * 1024 * 1024;
    let free = maxmem / 2;
    o.extend([
        ("running-machine".into(), json!("pc-i440fx-9.2+pve1")),
        ("running-qemu".into(), json!("9.2.0")),
        ("balloon".into(), json!(maxmem)),
        ("freemem".into(), json!(free)),
        (
            "ballooninfo".into(),
            json!({
                "actual": maxmem, "max_mem": maxmem, "free_mem": free, "total_mem": maxmem,
                "major_page_faults": 0, "minor_page_faults": 0, "mem_swapped_in": 0,
                "mem_swapped_out": 0, "last_update": 1_767_225_600,
            }),
        ),
        (
            "nics".into(),
            json!({ format!("tap{}i0", g.vmid): {"netin": 0, "netout": 0} }),
        ),
        (
            "proxmox-support".into(),
            json!({
                "backup-fleecing": true, "backup-max-workers": true, "pbs-dirty-bitmap": true,
                "pbs-dirty-bitmap-migration": true, "pbs-dirty-bitmap-savevm": true,
                "pbs-library-version": "1.5.1", "pbs-masterkey": true, "query-bitmap-info": true,
            }),
        ),
    ]);
    let drives = g.config.keys().filter(|k| {
        ["scsi", "virtio", "sata", "ide"]
            .iter()
            .any(|b| crate::decode::family_index(k, b).is_some())
    });
    let stats = drives
        .map(|drive| {
            let stat = json!({
                "rd_bytes": 0, "wr_bytes": 0, "rd_operations": 0, "wr_operations": 0,
                "flush_operations": 0, "rd_total_time_ns": 0, "wr_total_time_ns": 0,
                "flush_total_time_ns": 0, "idle_time_ns": 0, "failed_rd_operations": 0,
                "failed_wr_operations": 0, "account_failed": true, "account_invalid": true,
                "timed_stats": [],
            });
            (drive.clone(), stat)
        })
        .collect::<serde_json::Map<_, _>>();
    o.insert("blockstat".into(), Value::Object(stats));
}

fn power(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32, action: &str) -> Answer {
    let g = &state.guests[&vmid];
    let what = kind.what();
    let needs_running = matches!(
        action,
        "shutdown" | "reboot" | "suspend" | "reset" | "resume"
    );
    if needs_running && !g.running {
        return Err(Failure::new(500, format!("{what} {vmid} not running")));
    }
    // pve-container refuses to start a running container before any task; qemu-server's
    // start task fails.
    if kind == Kind::Lxc && action == "start" && g.running {
        return Err(Failure::new(500, format!("CT {vmid} already running")));
    }
    if action != "start" && action != "stop" {
        if let Some(locked) = g.locked() {
            return Err(Failure::new(500, locked));
        }
    }
    if !matches!(
        action,
        "start" | "stop" | "shutdown" | "reboot" | "suspend" | "resume" | "reset"
    ) {
        return Err(Failure::new(
            501,
            format!(
                "Method 'POST /nodes/{}/{}/{vmid}/status/{action}' not implemented",
                ctx.node(),
                kind.as_str()
            ),
        ));
    }
    let skiplock = ctx.flag("skiplock");
    let action = action.to_owned();
    let task_kind = kind.worker(&action);
    let upid = state.spawn_guest_task(
        ctx.node(),
        &task_kind,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            let g = s.guests.get_mut(&vmid).ok_or("the guest was removed")?;
            match action.as_str() {
                "start" => {
                    if g.template() {
                        return Err("you can't start a vm if it's a template".into());
                    }
                    if let Some(lock) = g.lock().filter(|l| *l != "suspended") {
                        return Err(kind.locked(lock));
                    }
                    if g.running {
                        return Err(format!("{} {vmid} already running", kind.what()));
                    }
                    if let Some(e) = g.start_error.clone() {
                        return Err(e);
                    }
                    g.apply_pending();
                    g.running = true;
                    g.paused = false;
                    g.started_at = Some(Instant::now());
                }
                "stop" => {
                    if let Some(lock) = g.lock().filter(|_| !skiplock) {
                        return Err(kind.locked(lock));
                    }
                    g.running = false;
                    g.paused = false;
                    g.started_at = None;
                }
                "shutdown" => {
                    g.running = false;
                    g.paused = false;
                    g.started_at = None;
                }
                "reboot" => {
                    g.apply_pending();
                    g.started_at = Some(Instant::now());
                }
                "suspend" => g.paused = true,
                "resume" => g.paused = false,
                _ => g.started_at = Some(Instant::now()),
            }
            Ok(Vec::new())
        }),
    );
    Ok(json!(upid))
}

fn destroy(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    let g = &state.guests[&vmid];
    let what = kind.what();
    if g.running {
        // qemu-server's and pve-container's own wordings.
        return Err(Failure::new(
            500,
            match kind {
                Kind::Qemu => format!("{what} {vmid} is running - destroy failed"),
                Kind::Lxc => format!("unable to destroy CT {vmid} - container is running"),
            },
        ));
    }
    if let Some(locked) = g.locked() {
        return Err(Failure::new(500, locked));
    }
    let task = kind.worker("destroy");
    let upid = state.spawn_guest_task(
        ctx.node(),
        &task,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            s.guests.remove(&vmid);
            for store in s.storages.values_mut() {
                store.volumes.retain(|_, v| v.vmid != Some(vmid));
            }
            Ok(vec![format!("destroyed {vmid}")])
        }),
    );
    Ok(json!(upid))
}

fn snapshots(state: &State, vmid: u32) -> Value {
    let g = &state.guests[&vmid];
    let mut out: Vec<Value> = g
        .snapshots
        .iter()
        .map(|(name, s)| {
            let mut v = json!({"name": name, "description": s.description, "snaptime": s.snaptime});
            if let Some(o) = v.as_object_mut() {
                if let Some(p) = &s.parent {
                    o.insert("parent".into(), json!(p));
                }
                if s.vmstate {
                    o.insert("vmstate".into(), json!(1));
                }
            }
            v
        })
        .collect();
    let mut current =
        json!({"name": "current", "description": "You are here!", "running": u8::from(g.running)});
    if let (Some(o), Some(p)) = (current.as_object_mut(), &g.parent) {
        o.insert("parent".into(), json!(p));
    }
    out.push(current);
    Value::Array(out)
}

fn snapshot_missing(name: &str) -> String {
    format!("snapshot '{name}' does not exist")
}

/// `POST .../snapshot`: a reserved name is refused at once; the rest (the lock, a taken
/// name) is checked by the task, as PVE's `qmsnapshot`/`vzsnapshot` worker does.
fn snapshot(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    let name = ctx.str("snapname").unwrap_or_default().to_owned();
    // qemu-server and pve-container reserve `current`; pve-container `vzdump` too.
    if name == "current" || (kind == Kind::Lxc && name == "vzdump") {
        return Err(Failure::new(
            500,
            format!("unable to use snapshot name '{name}' (reserved name)"),
        ));
    }
    let description = ctx.str("description").unwrap_or_default().to_owned();
    let vmstate = ctx.flag("vmstate");
    let task = kind.worker("snapshot");
    let upid = state.spawn_guest_task(
        ctx.node(),
        &task,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            let g = s.guests.get_mut(&vmid).ok_or("the guest was removed")?;
            if let Some(locked) = g.locked() {
                return Err(locked);
            }
            if g.snapshots.contains_key(&name) {
                return Err(format!("snapshot name '{name}' already used"));
            }
            // The new snapshot hangs below the current state's parent and becomes it.
            let parent = g.parent.replace(name.clone());
            g.snapshots.insert(
                name.clone(),
                Snapshot {
                    config: g.config.clone(),
                    description,
                    snaptime: unix_now(),
                    parent,
                    vmstate,
                },
            );
            Ok(vec![format!("snapshot '{name}' created")])
        }),
    );
    Ok(json!(upid))
}

/// `DELETE .../snapshot/{snapname}`: a task, which fails for a missing snapshot (PVE's
/// `qmdelsnapshot`/`vzdelsnapshot` worker).
fn delete_snapshot(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    let name = ctx.str("snapname").unwrap_or_default().to_owned();
    let task = kind.worker("delsnapshot");
    let upid = state.spawn_guest_task(
        ctx.node(),
        &task,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            let g = s.guests.get_mut(&vmid).ok_or("the guest was removed")?;
            let removed = g
                .snapshots
                .remove(&name)
                .ok_or_else(|| snapshot_missing(&name))?;
            // Its children, and the current state, move up to its parent.
            for snap in g.snapshots.values_mut() {
                if snap.parent.as_deref() == Some(name.as_str()) {
                    snap.parent.clone_from(&removed.parent);
                }
            }
            if g.parent.as_deref() == Some(name.as_str()) {
                g.parent = removed.parent;
            }
            Ok(vec![])
        }),
    );
    Ok(json!(upid))
}

/// `POST .../snapshot/{snapname}/rollback`: a task, which fails for a missing snapshot (PVE's
/// `qmrollback`/`vzrollback` worker); the snapshot becomes the current state's parent.
fn rollback(state: &mut State, ctx: &Ctx<'_>, kind: Kind, vmid: u32) -> Answer {
    let name = ctx.str("snapname").unwrap_or_default().to_owned();
    let start = ctx.flag("start");
    let task = kind.worker("rollback");
    let upid = state.spawn_guest_task(
        ctx.node(),
        &task,
        (vmid, kind),
        &ctx.user,
        vec![],
        Box::new(move |s: &mut State| {
            let g = s.guests.get_mut(&vmid).ok_or("the guest was removed")?;
            let snap = g
                .snapshots
                .get(&name)
                .ok_or_else(|| snapshot_missing(&name))?;
            g.config = snap.config.clone();
            g.running = start || snap.vmstate;
            g.pending.clear();
            g.parent = Some(name);
            Ok(vec![])
        }),
    );
    Ok(json!(upid))
}

// ---------------------------------------------------------------------------------- storage

fn storage_configs(state: &State) -> Value {
    Value::Array(
        state
            .storages
            .iter()
            .map(|(name, s)| {
                let mut v = json!({"storage": name, "type": s.kind, "content": s.content.join(","), "digest": "0"});
                if let Some(o) = v.as_object_mut() {
                    for (k, val) in &s.options {
                        o.insert(k.clone(), json!(val));
                    }
                }
                v
            })
            .collect(),
    )
}

fn create_storage(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    if state.storages.contains_key(&name) {
        return Err(Failure::new(
            500,
            format!("create storage failed: storage ID '{name}' already defined"),
        ));
    }
    let kind = ctx.str("type").unwrap_or("dir").to_owned();
    let content = ctx
        .str("content")
        .map(|c| c.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["images".to_owned()]);
    let options = ctx
        .params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "storage" | "type" | "content"))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    state.storages.insert(
        name.clone(),
        super::state::Storage {
            kind: kind.clone(),
            content,
            options,
            volumes: BTreeMap::new(),
            total: 100 << 30,
        },
    );
    Ok(json!({"storage": name, "type": kind}))
}

fn storage_config(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    match ctx.method {
        "GET" => {
            let s = state
                .storages
                .get(&name)
                .ok_or_else(|| storage_missing(&name))?;
            let mut v = json!({"storage": name, "type": s.kind, "content": s.content.join(","), "digest": "0"});
            if let Some(o) = v.as_object_mut() {
                for (k, val) in &s.options {
                    o.insert(k.clone(), json!(val));
                }
            }
            Ok(v)
        }
        "PUT" => {
            let s = state
                .storages
                .get_mut(&name)
                .ok_or_else(|| storage_missing(&name))?;
            if let Some(c) = ctx.str("content") {
                s.content = c.split(',').map(str::to_owned).collect();
            }
            for (k, v) in &ctx.params {
                if !matches!(k.as_str(), "storage" | "content" | "delete" | "digest") {
                    if let Some(v) = v.as_str() {
                        s.options.insert(k.clone(), v.to_owned());
                    }
                }
            }
            Ok(json!({"storage": name, "type": s.kind}))
        }
        _ => {
            state
                .storages
                .remove(&name)
                .ok_or_else(|| storage_missing(&name))?;
            Ok(Value::Null)
        }
    }
}

fn storage_status_json(name: &str, s: &super::state::Storage) -> Value {
    json!({
        "storage": name, "type": s.kind, "content": s.content.join(","), "active": 1,
        "enabled": 1, "shared": 0, "total": s.total, "used": s.used(),
        "avail": s.total.saturating_sub(s.used()),
        "used_fraction": s.used() as f64 / s.total.max(1) as f64,
    })
}

fn node_storages(state: &State, ctx: &Ctx<'_>) -> Value {
    let wanted: Option<Vec<&str>> = ctx.str("content").map(|c| c.split(',').collect());
    Value::Array(
        state
            .storages
            .iter()
            .filter(|(_, s)| {
                wanted
                    .as_ref()
                    .is_none_or(|w| w.iter().all(|c| s.content.iter().any(|have| have == c)))
            })
            .filter(|(name, _)| ctx.str("storage").is_none_or(|s| s == name.as_str()))
            .map(|(name, s)| storage_status_json(name, s))
            .collect(),
    )
}

fn storage_status(state: &State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default();
    let s = state
        .storages
        .get(name)
        .ok_or_else(|| storage_missing(name))?;
    // One storage's status is pve-storage's `storage_info` entry: without the name and the
    // used fraction the list adds (`src/PVE/API2/Storage/Status.pm`).
    let mut status = storage_status_json(name, s);
    if let Some(o) = status.as_object_mut() {
        o.remove("storage");
        o.remove("used_fraction");
    }
    Ok(status)
}

fn volume_json(volid: &str, v: &Volume) -> Value {
    let mut out = json!({"volid": volid, "content": v.content, "format": v.format, "size": v.size, "ctime": v.ctime});
    if let Some(o) = out.as_object_mut() {
        if let Some(vmid) = v.vmid {
            o.insert("vmid".into(), json!(vmid));
        }
        if let Some(notes) = &v.notes {
            o.insert("notes".into(), json!(notes));
        }
        if v.protected {
            o.insert("protected".into(), json!(1));
        }
    }
    out
}

fn content(state: &State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default();
    let s = state
        .storages
        .get(name)
        .ok_or_else(|| storage_missing(name))?;
    let content = ctx.str("content");
    let vmid = ctx.vmid();
    Ok(Value::Array(
        s.volumes
            .iter()
            .filter(|(_, v)| content.is_none_or(|c| c == v.content))
            .filter(|(_, v)| vmid.is_none_or(|id| v.vmid == Some(id)))
            .map(|(id, v)| volume_json(id, v))
            .collect(),
    ))
}

fn allocate(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    let vmid: u32 = ctx.vmid().unwrap_or(0);
    let filename = ctx.str("filename").unwrap_or_default().to_owned();
    let size = ctx.str("size").unwrap_or("1G");
    let bytes = size
        .trim_end_matches(['K', 'M', 'G', 'T'])
        .parse::<f64>()
        .unwrap_or(1.0)
        * match size.chars().last() {
            Some('K') => 1024.0,
            Some('M') => (1u64 << 20) as f64,
            Some('T') => (1u64 << 40) as f64,
            Some('G') => (1u64 << 30) as f64,
            _ => 1024.0,
        };
    let s = state
        .storages
        .get_mut(&name)
        .ok_or_else(|| storage_missing(&name))?;
    let volid = if s.file_based() {
        format!("{name}:{vmid}/{filename}")
    } else {
        format!("{name}:{filename}")
    };
    if s.volumes.contains_key(&volid) {
        return Err(Failure::new(
            500,
            format!("volume '{volid}' already exists"),
        ));
    }
    s.volumes.insert(
        volid.clone(),
        Volume {
            content: "images".into(),
            size: bytes as u64,
            format: ctx.str("format").unwrap_or("raw").into(),
            ctime: unix_now(),
            vmid: Some(vmid),
            notes: None,
            protected: false,
        },
    );
    Ok(json!(volid))
}

/// Where PVE keeps a volume: a dir storage's content directories (`template/iso`,
/// `template/cache`, `dump`, `images/<vmid>`, ...), an LVM volume group's device.
fn volume_path(s: &super::state::Storage, volid: &str) -> String {
    let name = volid.split_once(':').map_or(volid, |(_, n)| n);
    let Some(root) = s.options.get("path").filter(|_| s.file_based()) else {
        let vg = s.options.get("vgname").map_or("pve", String::as_str);
        return format!("/dev/{vg}/{name}");
    };
    let Some((first, rest)) = name.split_once('/') else {
        return format!("{root}/{name}");
    };
    let dir = match first {
        "iso" => "template/iso".to_owned(),
        "vztmpl" => "template/cache".to_owned(),
        "backup" => "dump".to_owned(),
        vmid if vmid.bytes().all(|b| b.is_ascii_digit()) => format!("images/{vmid}"),
        other => other.to_owned(),
    };
    format!("{root}/{dir}/{rest}")
}

fn volume(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    let raw = ctx.str("volume").unwrap_or_default();
    // A volume may be given with or without its storage prefix.
    let volid = if raw.contains(':') {
        raw.to_owned()
    } else {
        format!("{name}:{raw}")
    };
    let s = state
        .storages
        .get_mut(&name)
        .ok_or_else(|| storage_missing(&name))?;
    let missing = || Failure::new(500, format!("volume '{volid}' does not exist"));
    match ctx.method {
        "GET" => {
            let v = s.volumes.get(&volid).ok_or_else(missing)?;
            let path = volume_path(s, &volid);
            Ok(
                json!({"path": path, "size": v.size, "used": v.size, "format": v.format,
                      "notes": v.notes, "protected": u8::from(v.protected)}),
            )
        }
        "PUT" => {
            let v = s.volumes.get_mut(&volid).ok_or_else(missing)?;
            if let Some(notes) = ctx.str("notes") {
                v.notes = Some(notes.to_owned());
            }
            if let Some(p) = ctx.str("protected") {
                v.protected = p == "1";
            }
            Ok(Value::Null)
        }
        _ => {
            s.volumes.remove(&volid).ok_or_else(missing)?;
            let upid = state.spawn_task(
                ctx.node(),
                "imgdel",
                &name,
                &ctx.user,
                vec![],
                Box::new(|_| Ok(vec![])),
            );
            Ok(json!(upid))
        }
    }
}

fn upload(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    let Some((filename, size)) = ctx.upload.clone() else {
        return Err(Failure::new(400, "bad upload request"));
    };
    let content = ctx.str("content").unwrap_or_default().to_owned();
    let s = state
        .storages
        .get(&name)
        .ok_or_else(|| storage_missing(&name))?;
    if !s.file_based() {
        return Err(Failure::new(
            500,
            format!("can't upload to storage type '{}'", s.kind),
        ));
    }
    if !s.content.contains(&content) {
        return Err(Failure::new(
            500,
            format!("storage '{name}' does not support '{content}' content"),
        ));
    }
    let dir = if content == "vztmpl" {
        "vztmpl"
    } else {
        content.as_str()
    };
    let volid = format!("{name}:{dir}/{filename}");
    let format = filename.rsplit('.').next().unwrap_or("raw").to_owned();
    let upid = state.spawn_task(
        ctx.node(),
        "imgcopy",
        "",
        &ctx.user,
        vec![format!("starting file import from: upload of {filename}")],
        Box::new(move |s: &mut State| {
            let store = s.storages.get_mut(&name).ok_or("storage removed")?;
            store.volumes.insert(
                volid.clone(),
                Volume {
                    content,
                    size,
                    format,
                    ctime: unix_now(),
                    vmid: None,
                    notes: None,
                    protected: false,
                },
            );
            Ok(vec![
                format!("target file: {volid}"),
                format!("file size is: {size}"),
            ])
        }),
    );
    Ok(json!(upid))
}

// ---------------------------------------------------------------------------------- tasks

fn task_list(state: &State, ctx: &Ctx<'_>) -> Value {
    let node = ctx.node();
    let vmid = ctx.str("vmid");
    let start: usize = ctx.str("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit: usize = ctx.str("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
    let mut tasks: Vec<&super::state::Task> = state
        .tasks
        .iter()
        .filter(|t| t.node == node && vmid.is_none_or(|v| t.id == v))
        .filter(|t| ctx.str("typefilter").is_none_or(|f| t.kind == f))
        .filter(|t| ctx.str("userfilter").is_none_or(|u| t.user.contains(u)))
        .collect();
    tasks.reverse();
    Value::Array(
        tasks
            .into_iter()
            .skip(start)
            .take(limit)
            .map(|t| State::task_json(t, true))
            .collect(),
    )
}

fn find_task<'a>(state: &'a State, ctx: &Ctx<'_>) -> Result<&'a super::state::Task, Failure> {
    let upid = ctx.str("upid").unwrap_or_default();
    state
        .tasks
        .iter()
        .find(|t| t.upid == upid && t.node == ctx.node())
        .ok_or_else(|| Failure::new(500, format!("unable to parse worker upid '{upid}'")))
}

fn task_status(state: &State, ctx: &Ctx<'_>) -> Answer {
    find_task(state, ctx).map(|t| State::task_json(t, false))
}

fn task_log(state: &State, ctx: &Ctx<'_>) -> Answer {
    let task = find_task(state, ctx)?;
    let start: usize = ctx.str("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit: usize = ctx.str("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
    Ok(Value::Array(
        task.log
            .iter()
            .enumerate()
            .skip(start)
            .take(if limit == 0 { usize::MAX } else { limit })
            .map(|(i, line)| json!({"n": i + 1, "t": line}))
            .collect(),
    ))
}

fn task_stop(state: &mut State, ctx: &Ctx<'_>) -> Answer {
    let upid = find_task(state, ctx)?.upid.clone();
    if let Some(t) = state
        .tasks
        .iter_mut()
        .find(|t| t.upid == upid && t.exitstatus.is_none())
    {
        t.work = None;
        t.log.push("received interrupt".into());
        t.log.push("TASK ERROR: interrupted by signal".into());
        t.exitstatus = Some("interrupted by signal".into());
        t.endtime = Some(unix_now());
    }
    Ok(Value::Null)
}

/// A new ticket and CSRF token for `user`, as PVE makes them.
pub(crate) fn issue_ticket(state: &mut State, user: &str) -> (String, String) {
    let now = state.server_now();
    let ticket = format!("PVE:{user}:{now:08X}::{}", state.random_hex(24));
    let csrf = format!("{now:08X}:{}", state.random_hex(16));
    // Whole seconds, as PVE's ticket times: a lifetime under a second still lasts one.
    let expires = now + state.ticket_lifetime.as_secs().max(1);
    state.tickets.insert(
        ticket.clone(),
        Ticket {
            user: user.to_owned(),
            csrf: csrf.clone(),
            expires,
        },
    );
    (ticket, csrf)
}

/// The map of a guest's config for answers: values as PVE sends them.
pub(crate) fn config_json(config: &BTreeMap<String, String>) -> Map<String, Value> {
    config
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}
