//! `usage PATH [-v]`: how to call a path's methods, with PVE's own texts when verbose.

use std::fmt::Write;

use proxmoxia::catalog::{Method, Param};

use crate::args::{Usage, Verb};
use crate::fail::Fail;
use crate::{doc, tree};

pub fn run(usage: &Usage) -> Result<(), Fail> {
    let resolved = tree::resolve(&usage.path).map_err(Fail::usage)?;
    let node = resolved.node;
    let entries: Vec<&Method> = node
        .methods
        .iter()
        .copied()
        .filter(|e| usage.command.is_none_or(|v| v.method() == e.method))
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
        describe(&mut out, entry, usage.verbose);
    }
    crate::output::print(&out)
}

/// The method's parameters (path parameters left out: they are in the path), required ones
/// first, each by name.
fn parameters(entry: &Method) -> Vec<&'static Param> {
    let mut list: Vec<&Param> = entry.body_params().collect();
    list.sort_by_key(|p| (p.rule.optional, p.display_name()));
    list
}

fn describe(out: &mut String, entry: &Method, verbose: bool) {
    let verb = Verb::of(entry.method).name();
    let params = parameters(entry);
    let mut line = format!("USAGE: proxmoxia {verb} {}", entry.path);
    for p in params.iter().filter(|p| !p.rule.optional) {
        let _ = write!(line, " --{} {}", p.display_name(), p.type_text);
    }
    if params.iter().any(|p| p.rule.optional) {
        line.push_str(" [OPTIONS]");
    }
    let _ = writeln!(out, "{line}");
    if !verbose {
        return;
    }
    let description = entry.description.trim();
    if !description.is_empty() {
        let _ = writeln!(out, "\n{}", indent(description, 2));
    }
    if !params.is_empty() {
        out.push('\n');
    }
    for p in &params {
        let mut head = format!("  --{} {}", p.display_name(), p.type_text);
        if let Some(default) = p.default {
            let _ = write!(head, " (default={default})");
        }
        if let Some(mask) = p.versions {
            let _ = write!(head, " [PVE {}]", doc::versions(mask).join(", "));
        }
        let _ = writeln!(out, "{head}");
        let description = p.description.trim();
        if !description.is_empty() {
            let _ = writeln!(out, "{}", indent(description, 8));
        }
    }
    let permissions = &entry.permissions;
    out.push('\n');
    if let Some(text) = permissions
        .description
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let _ = writeln!(out, "  Permissions: {text}");
    }
    if let Some(check) = permissions.check {
        let _ = writeln!(out, "  Check: {check}");
    }
    if let Some(user) = permissions.user.map(str::trim).filter(|u| !u.is_empty()) {
        let who = match user {
            "world" => "anyone, without logging in",
            "all" => "any logged-in user (subject to the checks)",
            other => other,
        };
        let _ = writeln!(out, "  Allowed: {who}");
    }
    let tokens = if entry.allow_token {
        "allowed"
    } else {
        "not allowed"
    };
    let _ = writeln!(out, "  API tokens: {tokens}");
    if !entry.returns.is_empty() {
        let _ = writeln!(out, "  Returns: {}", entry.returns);
    }
    // The texts are the newest version's that has the method.
    let labels = proxmoxia::catalog::versions();
    let newest = (0..labels.len())
        .rev()
        .find(|i| entry.versions & (1 << i) != 0)
        .map_or("", |i| labels[i]);
    let _ = writeln!(
        out,
        "  PVE versions: {} (described as in {newest})",
        doc::versions(entry.versions).join(", ")
    );
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
