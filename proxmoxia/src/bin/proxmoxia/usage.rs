//! `usage PATH [-v]`: how to call a path's methods, with PVE's own texts when verbose.

use std::fmt::Write;

use proxmoxia::__private::EndpointEntry;
use serde_json::Value;

use crate::args::{Usage, Verb};
use crate::fail::Fail;
use crate::params::{rule_for, rules};
use crate::{doc, tree};

pub fn run(usage: &Usage) -> Result<(), Fail> {
    let resolved = tree::resolve(&usage.path).map_err(Fail::usage)?;
    let node = resolved.node;
    let entries: Vec<&EndpointEntry> = node
        .methods
        .iter()
        .copied()
        .filter(|e| usage.command.is_none_or(|v| v.method() == e.info.method))
        .collect();
    if entries.is_empty() {
        return Err(Fail::usage(format!(
            "{} has no {}method (try `proxmoxia ls {}`)",
            node.template,
            usage
                .command
                .map(|v| format!("{} ", v.method()))
                .unwrap_or_default(),
            node.template
        )));
    }
    let mut out = String::new();
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 && usage.verbose {
            out.push('\n');
        }
        describe(&mut out, entry, usage.verbose)?;
    }
    crate::output::print(&out)
}

/// The method's parameters from PVE's schema (path parameters left out: they are in the path),
/// required ones first.
fn parameters<'a>(entry: &EndpointEntry, schema: &'a Value) -> Vec<(&'a str, &'a Value)> {
    let path_params: Vec<&str> = entry
        .info
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let mut list: Vec<(&str, &Value)> = schema
        .pointer("/parameters/properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, _)| !path_params.contains(&name.as_str()))
        .map(|(name, p)| (name.as_str(), p))
        .collect();
    list.sort_by_key(|(name, p)| (is_optional(p), *name));
    list
}

fn is_optional(p: &Value) -> bool {
    matches!(p.get("optional"), Some(Value::Number(n)) if n.as_i64() == Some(1))
        || p.get("optional") == Some(&Value::Bool(true))
}

fn describe(out: &mut String, entry: &EndpointEntry, verbose: bool) -> Result<(), Fail> {
    let verb = Verb::of(entry.info.method).name();
    let Some((label, schema)) = doc::method(entry) else {
        let _ = writeln!(out, "USAGE: proxmoxia {verb} {}", entry.info.path);
        return Ok(());
    };
    let params = parameters(entry, schema);
    let mut line = format!("USAGE: proxmoxia {verb} {}", entry.info.path);
    for (name, p) in params.iter().filter(|(_, p)| !is_optional(p)) {
        let _ = write!(line, " --{name} {}", doc::type_text(p));
    }
    if params.iter().any(|(_, p)| is_optional(p)) {
        line.push_str(" [OPTIONS]");
    }
    let _ = writeln!(out, "{line}");
    if !verbose {
        return Ok(());
    }
    let (rules, _) = rules(entry)?;
    let labels = entry.info.labels;
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let description = text(schema.get("description"));
    if !description.is_empty() {
        let _ = writeln!(out, "\n{}", indent(&description, 2));
    }
    if !params.is_empty() {
        out.push('\n');
    }
    for (name, p) in &params {
        let mut head = format!("  --{name} {}", doc::type_text(p));
        if let Some(default) = p.get("default") {
            let default = default
                .as_str()
                .map_or_else(|| default.to_string(), str::to_owned);
            let _ = write!(head, " (default={default})");
        }
        if let Some(mask) = rule_for(&rules, name.trim_end_matches("[n]")).and_then(|r| r.versions)
        {
            let _ = write!(head, " [PVE {}]", doc::versions(mask, labels).join(", "));
        }
        let _ = writeln!(out, "{head}");
        let description = text(p.get("description"));
        if !description.is_empty() {
            let _ = writeln!(out, "{}", indent(&description, 8));
        }
    }
    let permissions = schema.get("permissions");
    let perm_text = text(permissions.and_then(|p| p.get("description")));
    let check = permissions.and_then(|p| p.get("check"));
    let user = text(permissions.and_then(|p| p.get("user")));
    out.push('\n');
    if !perm_text.is_empty() {
        let _ = writeln!(out, "  Permissions: {perm_text}");
    }
    if let Some(check) = check {
        let _ = writeln!(out, "  Check: {check}");
    }
    if !user.is_empty() {
        let who = match user.as_str() {
            "world" => "anyone, without logging in",
            "all" => "any logged-in user (subject to the checks)",
            other => other,
        };
        let _ = writeln!(out, "  Allowed: {who}");
    }
    let tokens =
        matches!(schema.get("allowtoken"), Some(Value::Number(n)) if n.as_i64() == Some(1));
    let _ = writeln!(
        out,
        "  API tokens: {}",
        if tokens { "allowed" } else { "not allowed" }
    );
    if let Some(returns) = schema.get("returns") {
        let _ = writeln!(out, "  Returns: {}", doc::type_text(returns));
    }
    let _ = writeln!(
        out,
        "  PVE versions: {} (described as in {label})",
        doc::versions(entry.info.versions, labels).join(", ")
    );
    Ok(())
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
