//! Answers one request to the fake: authentication, validation with the catalogue's rules,
//! then a modelled handler or an answer shaped like the schema's `returns`.

use serde_json::{Map, Value, json};

use super::handlers;
use super::paths::{self, MethodInfo};
use super::request::{Ctx, Failure, Incoming, Outcome};
use super::sample::sample;
use super::state::{Fault, State, Ticket, display_path};
use crate::catalog::Param;
use crate::validate::{At, Scope};

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// Answers a request, faults already applied (after a delay fault, or again while it
/// waits for a lock).
pub(crate) fn answer_now(state: &mut State, req: Incoming) -> Outcome {
    state.advance();
    let segments = segments(&req.path);
    answer(state, req, &segments, None).into()
}

pub(crate) fn handle(state: &mut State, req: Incoming) -> Outcome {
    state.advance();
    let segments = segments(&req.path);
    let display_path = display_path(&segments);
    state
        .requests
        .push((req.method.clone(), display_path.clone()));
    match state.take_fault(&req.method, &display_path) {
        Some(Fault::Drop) => return Outcome::Drop,
        Some(Fault::Delay(d)) => return Outcome::Delay(d),
        Some(Fault::Status(status, message)) => {
            return Outcome::Answer(Err(Failure::new(status, message)));
        }
        Some(Fault::Page(status, page)) => return Outcome::Page(status, page),
        Some(Fault::TaskError(message)) => {
            return answer(state, req, &segments, Some(message)).into();
        }
        None => {}
    }
    answer(state, req, &segments, None).into()
}

/// PVE's answer to a write without quorum (only the login works). Guest, storage and node
/// calls check quorum first (`check_cfs_quorum`: `cluster not ready - no quorum?`); the
/// user, group and token calls instead fail to take the lock of `user.cfg` on pmxcfs
/// (`cfs_lock_file`: `cfs-lock 'file-user_cfg' error: no quorum!`, after PVE's 10 s lock
/// timeout, at once here) behind the call's own prefix (`create user failed: ...`). The
/// other `/access` writes (ACLs, roles, realms, TFA, passwords) answer the check's message,
/// a simplification.
fn no_quorum(method: &str, template: &str) -> String {
    const CHECK: &str = "cluster not ready - no quorum?";
    let Some(rest) = template.strip_prefix("/access") else {
        return CHECK.to_owned();
    };
    let user_cfg = |what: &str| format!("{what}: cfs-lock 'file-user_cfg' error: no quorum!");
    match (method, rest) {
        ("POST", "/users") => user_cfg("create user failed"),
        ("PUT", "/users/{userid}") => user_cfg("update user failed"),
        ("DELETE", "/users/{userid}") => user_cfg("delete user failed"),
        ("POST", "/users/{userid}/token/{tokenid}") => user_cfg("generating token failed"),
        ("PUT", "/users/{userid}/token/{tokenid}") => user_cfg("updating token info failed"),
        ("DELETE", "/users/{userid}/token/{tokenid}") => user_cfg("deleting token failed"),
        ("POST", "/groups") => user_cfg("create group failed"),
        ("PUT", "/groups/{groupid}") => user_cfg("update group failed"),
        ("DELETE", "/groups/{groupid}") => user_cfg("delete group failed"),
        _ => CHECK.to_owned(),
    }
}

fn not_implemented(method: &str, path: &str) -> Failure {
    Failure::new(501, format!("Method '{method} {path}' not implemented"))
}

fn answer(
    state: &mut State,
    req: Incoming,
    segments: &[String],
    task_error: Option<String>,
) -> Result<Value, Failure> {
    let path = format!("/{}", segments.join("/"));
    let found = paths::resolve(paths::tree(state.schema), segments)
        .ok_or_else(|| not_implemented(&req.method, &path))?;
    let info = found
        .node
        .methods
        .get(&req.method)
        .ok_or_else(|| not_implemented(&req.method, &path))?;
    let template = found.node.template.as_str();
    let login = template == "/access/ticket" && req.method == "POST";
    let user = if login || info.world {
        String::new()
    } else {
        authenticate(state, &req, info)?
    };
    let mut params = collect(&req.params);
    for (k, v) in &found.params {
        params.insert(k.clone(), Value::String(v.clone()));
    }
    validate(
        state.schema,
        &req.method,
        template,
        &params,
        info.extra_params,
    )?;
    if let Some(node) = found.params.get("node") {
        match state.nodes.get(node) {
            None => {
                return Err(Failure::new(
                    500,
                    format!(
                        "hostname lookup '{node}' failed - failed to get address info for: {node}: Name or service not known"
                    ),
                ));
            }
            Some(false) => return Err(Failure::new(595, "No route to host")),
            Some(true) => {}
        }
    }
    if req.method != "GET" && !login && !state.quorate {
        return Err(Failure::new(500, no_quorum(&req.method, template)));
    }
    let ctx = Ctx {
        method: &req.method,
        template,
        params,
        user,
        upload: req.upload,
        info,
        node: found.node,
        since: req.since,
    };
    if let Some(message) = task_error {
        let id = ctx
            .str("vmid")
            .or(ctx.str("storage"))
            .unwrap_or("")
            .to_owned();
        let kind = task_type(template);
        let upid = state.spawn_task(
            ctx.node(),
            &kind,
            &id,
            &ctx.user,
            vec![],
            Box::new(move |_| Err(message)),
        );
        return Ok(Value::String(upid));
    }
    if login {
        return handlers::login(state, &ctx);
    }
    match handlers::route(state, &ctx) {
        Some(result) => result,
        None => Ok(generic(state, &ctx)),
    }
}

/// Form/query pairs as PVE reads them: a repeated name is an array.
fn collect(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in pairs {
        match out.get_mut(k) {
            Some(Value::Array(items)) => items.push(Value::String(v.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v.clone())]);
            }
            None => {
                out.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    out
}

/// The task type PVE uses for a path's worker (`qmstart`, `vzcreate`, ...), roughly.
pub(crate) fn task_type(template: &str) -> String {
    let last = template.rsplit('/').next().unwrap_or("task");
    let guest = if template.contains("/lxc") {
        "vz"
    } else {
        "qm"
    };
    match last {
        "start" | "stop" | "shutdown" | "reboot" | "suspend" | "resume" | "reset" => {
            format!("{guest}{last}")
        }
        "qemu" => "qmcreate".into(),
        "lxc" => "vzcreate".into(),
        "snapshot" => format!("{guest}snapshot"),
        "{vmid}" => format!("{guest}destroy"),
        other => other.replace(['-', '{', '}'], ""),
    }
}

/// Checks the parameters with the catalogue's rules, all at once, in PVE's words, as the
/// vendored version at `schema` has them.
fn validate(
    schema: usize,
    method: &str,
    template: &str,
    params: &Map<String, Value>,
    extra_params: bool,
) -> Result<(), Failure> {
    let Some(entry) = crate::catalog::methods()
        .iter()
        .find(|m| m.method.as_str() == method && m.path == template)
    else {
        return Ok(());
    };
    let at = At::version(schema);
    // The parameters of this version.
    let rules: Vec<&Param> = entry
        .params
        .iter()
        .filter(|p| p.in_version(schema))
        .collect();
    let mut errors = Map::new();
    let unknown = |errors: &mut Map<String, Value>, key: &str| {
        errors.insert(
            key.to_owned(),
            json!("property is not defined in schema and the schema does not allow additional properties"),
        );
    };
    for key in params.keys().filter(|_| !extra_params) {
        if !rules.iter().any(|r| r.names(key)) {
            unknown(&mut errors, key);
        }
    }
    for rule in rules {
        if rule.indexed {
            // Each member on its own, so that every bad one is named (PVE collects them all).
            let max = crate::validate::max_index(rule.name);
            for (key, value) in params {
                let Some(index) = crate::decode::family_index(key, rule.name) else {
                    continue;
                };
                if max.is_some_and(|max| index >= max) {
                    // PVE's schema lists `net0` to `net31` only: `net99` is unknown.
                    if !extra_params {
                        unknown(&mut errors, key);
                    }
                    continue;
                }
                if let Err(crate::Error::Validation(e)) =
                    crate::validate::value(key, value, rule.rule_at(schema), at)
                {
                    errors
                        .entry(key.clone())
                        .or_insert(Value::String(pve_message(&e)));
                }
            }
            continue;
        }
        let single = std::slice::from_ref(rule);
        if let Err(crate::Error::Validation(e)) =
            crate::validate::params(params, single, at, Scope::All)
        {
            let top = e
                .param
                .split_once('.')
                .map_or(e.param.as_str(), |(top, _)| top);
            errors
                .entry(top.to_owned())
                .or_insert(Value::String(pve_message(&e)));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::params(errors))
    }
}

/// The message PVE gives for a parameter the client's checker refused: the checker's own,
/// except that a bad key inside a property string is reported under PVE's `format error`
/// heading (`invalid format - format error\nnet0.tag: value must have ...`). An unknown key
/// or a string that does not parse is PVE's single line (`invalid format - invalid key in
/// comma-separated list property: foo`), as the checker words it.
fn pve_message(e: &crate::ValidationError) -> String {
    let parse_error = matches!(e.rule.as_str(), "property string" | "property string key");
    match e.param.split_once('.') {
        Some(_) if !parse_error => {
            format!("invalid format - format error\n{}: {}", e.param, e.message)
        }
        _ => e.message.clone(),
    }
}

fn authenticate(state: &mut State, req: &Incoming, info: &MethodInfo) -> Result<String, Failure> {
    if let Some(header) = &req.token {
        let (id, secret) = header.split_once('=').unwrap_or((header.as_str(), ""));
        // PVE's verify_token: the user must exist and be enabled, the token must exist and
        // not be expired, and the secret must match.
        let user_enabled = id
            .split_once('!')
            .and_then(|(user, _)| state.users.get(user))
            .is_some_and(|u| u.attrs.get("enable").is_none_or(|e| e != "0"));
        return match state.tokens.get(id) {
            Some(token) if user_enabled && !token.expired() && token.secret == secret => {
                if !info.allowtoken {
                    return Err(Failure::new(
                        403,
                        "Permission check failed (API token not allowed)",
                    ));
                }
                Ok(id.to_owned())
            }
            _ => Err(Failure::new(401, "authentication failure")),
        };
    }
    let now = state.server_now();
    let ticket: Option<Ticket> = req
        .cookie_ticket
        .as_ref()
        .and_then(|t| state.tickets.get(t))
        .filter(|t| t.expires > now)
        .cloned();
    let Some(ticket) = ticket else {
        return Err(Failure::new(401, "permission denied - invalid PVE ticket"));
    };
    if req.method != "GET" && req.csrf.as_deref() != Some(ticket.csrf.as_str()) {
        return Err(Failure::new(401, "Permission denied - invalid csrf token"));
    }
    Ok(ticket.user)
}

/// A path the fake does not model: GETs answer a sample of the schema's `returns`; writes
/// that answer a task id start a task that succeeds; other writes answer `null`.
fn generic(state: &mut State, ctx: &Ctx<'_>) -> Value {
    let returns = &ctx.info.returns;
    let answers_task = returns.get("type").and_then(Value::as_str) == Some("string")
        && ctx.method != "GET"
        && returns
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(|d| {
                let d = d.to_ascii_lowercase();
                d.contains("task") || d.contains("upid")
            });
    if answers_task {
        let id = ctx.str("vmid").unwrap_or("").to_owned();
        let upid = state.spawn_task(
            ctx.node(),
            &task_type(ctx.template),
            &id,
            &ctx.user,
            vec![],
            Box::new(|_| Ok(Vec::new())),
        );
        return Value::String(upid);
    }
    if let Some(index) = directory_index(ctx) {
        return index;
    }
    sample(returns)
}

/// A directory index (`GET /cluster/config`, `/nodes/{node}`, ...): PVE answers one object
/// per sub-path, named by the key of the schema's `links` (`{name}`, `{subdir}`, ...).
fn directory_index(ctx: &Ctx<'_>) -> Option<Value> {
    let returns = &ctx.info.returns;
    let items = returns.get("items")?;
    let bare = items
        .get("properties")
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    if ctx.method != "GET" || returns.get("type").and_then(Value::as_str) != Some("array") || !bare
    {
        return None;
    }
    let href = returns.get("links")?.get(0)?.get("href")?.as_str()?;
    let key = href.strip_prefix('{')?.strip_suffix('}')?;
    Some(Value::Array(
        ctx.node
            .literals
            .keys()
            .map(|child| json!({ key: child }))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_become_arrays() {
        let m = collect(&[
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
            ("a".into(), "3".into()),
        ]);
        assert_eq!(Value::Object(m), json!({"a": ["1", "3"], "b": "2"}));
    }

    #[test]
    fn task_types_follow_pve() {
        assert_eq!(
            task_type("/nodes/{node}/qemu/{vmid}/status/start"),
            "qmstart"
        );
        assert_eq!(task_type("/nodes/{node}/lxc"), "vzcreate");
        assert_eq!(task_type("/nodes/{node}/lxc/{vmid}/status/stop"), "vzstop");
    }
}
