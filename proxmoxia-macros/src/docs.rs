//! Rustdoc text from schema text: escaped so rustdoc neither warns nor runs it as a test.

use crate::json::Value;

use crate::apidoc::{Method, Schema};

/// Escapes free text (PVE descriptions) as Markdown that renders as written: no code blocks
/// from indentation (they would become doctests), no links or HTML from `[..]`/`<..>`, URLs
/// made into autolinks.
pub fn escape(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.trim().lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.trim_start();
        let mut rest = line;
        while !rest.is_empty() {
            if let Some(url_len) = url_at(rest) {
                out.push('<');
                out.push_str(&rest[..url_len]);
                out.push('>');
                rest = &rest[url_len..];
                continue;
            }
            let c = rest.chars().next().unwrap_or(' ');
            match c {
                '[' | ']' | '`' | '*' | '_' | '\\' | '#' | '|' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                _ => out.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Length of a URL starting at the beginning of `text`.
fn url_at(text: &str) -> Option<usize> {
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    let len = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ')' | ']' | ','))
        .unwrap_or(text.len());
    // A sentence-ending period is not part of the URL.
    let trimmed = text[..len].trim_end_matches('.');
    (trimmed.len() > "https://".len()).then_some(trimmed.len())
}

/// Text as an inline code span.
pub fn code(text: &str) -> String {
    let ticks = if text.contains('`') { "``" } else { "`" };
    format!("{ticks}{text}{ticks}")
}

/// The doc of one endpoint method: description, call, permissions, token use.
pub fn method_doc(method: &Method, path: &str) -> String {
    let mut doc = String::new();
    let description = method.description.trim();
    if description.is_empty() {
        doc.push_str(&format!("{} {}", method.verb.upper(), code(path)));
    } else {
        doc.push_str(&escape(description));
    }
    doc.push_str(&format!(
        "\n\n`{} {}` (PVE name `{}`)",
        method.verb.upper(),
        path,
        method.name
    ));
    if let Some(perms) = &method.permissions {
        doc.push_str("\n\n**Permissions:** ");
        doc.push_str(&permissions(perms));
    }
    doc.push_str(if method.allowtoken {
        "\n\nAPI tokens may call this."
    } else {
        "\n\nAPI tokens may **not** call this: log in with a ticket."
    });
    doc
}

/// PVE's `permissions` object as a sentence.
pub fn permissions(perms: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(desc) = perms.get("description").and_then(Value::as_str) {
        parts.push(escape(desc));
    }
    match perms.get("user").and_then(Value::as_str) {
        Some("all") => parts.push("any logged-in user.".into()),
        Some("world") => parts.push("anyone, without logging in.".into()),
        Some(other) => parts.push(format!("user {}.", code(other))),
        None => {}
    }
    if let Some(check) = perms.get("check") {
        parts.push(format!("Check: {}", code(&check_expr(check))));
    }
    if parts.is_empty() {
        "none stated.".into()
    } else {
        parts.join(" ")
    }
}

/// A `check` array as a readable expression: `perm(/vms/{vmid}, [VM.Audit])`.
fn check_expr(check: &Value) -> String {
    let Some(items) = check.as_array() else {
        return check.to_string();
    };
    let head = items.first().and_then(Value::as_str).unwrap_or_default();
    let args = &items[1.min(items.len())..];
    match head {
        "and" | "or" => args
            .iter()
            .map(|a| format!("({})", check_expr(a)))
            .collect::<Vec<_>>()
            .join(&format!(" {head} ")),
        _ => {
            let rendered: Vec<String> = args.iter().map(render_arg).collect();
            format!("{head}({})", rendered.join(", "))
        }
    }
}

fn render_arg(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render_arg).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// A schema's type as PVE's API viewer writes it: its `typetext`, else its enum values
/// (`<a | b>`), else its type with the range it allows (`<integer> (1 - 8192)`).
pub fn type_text(schema: &Schema) -> String {
    if let Some(text) = schema.str("typetext") {
        return text.to_owned();
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<&str> = values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        return format!("<{}>", values.join(" | "));
    }
    let ty = schema.ty().unwrap_or("string");
    let number = |key: &str| {
        schema
            .get(key)
            .map(|v| v.to_string().trim_matches('"').to_owned())
    };
    match (number("minimum"), number("maximum")) {
        (None, None) => format!("<{ty}>"),
        (min, max) => format!(
            "<{ty}> ({} - {})",
            min.unwrap_or_else(|| "-N".into()),
            max.unwrap_or_else(|| "N".into())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_markdown_and_code_blocks() {
        let text =
            "Use net[n] with <string>.\n    indented code\nSee https://pve.proxmox.com/wiki/Foo.";
        let out = escape(text);
        assert_eq!(
            out,
            "Use net\\[n\\] with &lt;string&gt;.\nindented code\nSee <https://pve.proxmox.com/wiki/Foo>."
        );
    }

    #[test]
    fn permissions_render_checks() {
        let p = crate::json::parse(r#"{"check": ["or", ["perm", "/vms/{vmid}", ["VM.Audit"]], ["perm", "/", ["Sys.Audit"], "any", 1]]}"#).unwrap();
        assert_eq!(
            permissions(&p),
            "Check: `(perm(/vms/{vmid}, [VM.Audit])) or (perm(/, [Sys.Audit], any, 1))`"
        );
        assert_eq!(
            permissions(&crate::json::parse(r#"{"user": "all"}"#).unwrap()),
            "any logged-in user."
        );
    }
}
