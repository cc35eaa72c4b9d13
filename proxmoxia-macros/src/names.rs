//! Identifier rules, in one place: how a PVE name becomes a Rust name.
//!
//! * snake_case for modules, functions and fields: `-` and other separators become `_`,
//!   camelCase is split (`forceStop` -> `force_stop`, `CSRFPreventionToken` ->
//!   `csrf_prevention_token`);
//! * PascalCase for types and variants (`virtio-scsi-pci` -> `VirtioScsiPci`), a leading
//!   digit gets a `V` (`4.2` -> `V4_2`);
//! * Rust keywords become raw identifiers (`r#type`, `r#in`); the few that cannot be raw
//!   (`self`, `Self`, `super`, `crate`) get a `_` suffix.
//!
//! Names never get renamed silently: callers check for collisions with [`Scope`].

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "try", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield",
];
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Splits a name into lowercase words at separators and camelCase boundaries.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            // fooBar -> foo|Bar ; CSRFPrevention -> CSRF|Prevention
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `snake_case` text (not yet an identifier).
pub fn snake(name: &str) -> String {
    let joined = words(name).join("_");
    if joined.is_empty() {
        return "_unnamed".into();
    }
    if joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{joined}")
    } else {
        joined
    }
}

/// `PascalCase` text.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    let parts = words(name);
    for (i, w) in parts.iter().enumerate() {
        // Keep digit groups apart: `4.2` -> `4_2`, `v1.2` -> `V1_2`.
        let prev_ends_digit = i > 0 && parts[i - 1].ends_with(|c: char| c.is_ascii_digit());
        if prev_ends_digit && w.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('_');
        }
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        return "Empty".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{out}")
    } else {
        out
    }
}

/// The field of an indexed family `name[n]`: the plural, so it can sit next to a plain
/// `name` (`numa` and `numa[n]` -> `numa` and `numas`; `virtiofs[n]` -> `virtiofses`).
pub fn family(name: &str) -> String {
    let base = snake(name);
    if base.ends_with('s') || base.ends_with('x') {
        format!("{base}es")
    } else {
        format!("{base}s")
    }
}

/// A Rust identifier as generated code spells it (`qemu`, `r#type`, `self_`): plain data
/// for the IR, made into a token only when emitting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

impl Name {
    /// The identifier for already-cased text, raw or suffixed when it is a keyword.
    pub fn new(text: &str) -> Name {
        if NOT_RAW.contains(&text) {
            Name(format!("{text}_"))
        } else if KEYWORDS.contains(&text) {
            Name(format!("r#{text}"))
        } else {
            Name(text.to_owned())
        }
    }

    /// The snake_case identifier of a PVE name.
    pub fn snake(pve: &str) -> Name {
        Name::new(&snake(pve))
    }

    /// The name as written in source (`r#type`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without a raw prefix (`type`), as it reads in docs and messages.
    pub fn bare(&self) -> &str {
        self.0.strip_prefix("r#").unwrap_or(&self.0)
    }

    /// The token.
    pub fn ident(&self) -> Ident {
        match self.0.strip_prefix("r#") {
            Some(raw) => Ident::new_raw(raw, Span::call_site()),
            None => Ident::new(&self.0, Span::call_site()),
        }
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An identifier from already-cased text, raw or suffixed when it is a keyword.
pub fn ident(text: &str) -> Ident {
    Name::new(text).ident()
}

/// Names taken in one Rust namespace (a struct's fields, a module's types, ...). Adding a
/// name twice is an error naming both origins.
#[derive(Debug, Default)]
pub struct Scope {
    what: String,
    taken: BTreeMap<String, String>,
}

impl Scope {
    pub fn new(what: impl Into<String>) -> Scope {
        Scope {
            what: what.into(),
            taken: BTreeMap::new(),
        }
    }

    /// Claims `name` for `origin`.
    pub fn claim(&mut self, name: &str, origin: &str) -> Result<(), String> {
        if let Some(first) = self.taken.get(name) {
            return Err(format!(
                "name collision in {}: `{name}` would stand for both {first} and {origin}",
                self.what
            ));
        }
        self.taken.insert(name.to_owned(), origin.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_rules() {
        assert_eq!(snake("get-fsinfo"), "get_fsinfo");
        assert_eq!(snake("forceStop"), "force_stop");
        assert_eq!(snake("CSRFPreventionToken"), "csrf_prevention_token");
        assert_eq!(snake("move_disk"), "move_disk");
        assert_eq!(snake("net[n]"), "net_n");
        assert_eq!(snake("ip6"), "ip6");
        assert_eq!(snake("1"), "_1");
    }

    #[test]
    fn families_are_plural() {
        assert_eq!(family("net"), "nets");
        assert_eq!(family("virtiofs"), "virtiofses");
        assert_eq!(family("unused"), "unuseds");
    }

    #[test]
    fn pascal_case_rules() {
        assert_eq!(pascal("virtio-scsi-pci"), "VirtioScsiPci");
        assert_eq!(pascal("AVERAGE"), "Average");
        assert_eq!(pascal("4.2"), "V4_2");
        assert_eq!(pascal("pc-i440fx-2.12"), "PcI440fx2_12");
        assert_eq!(pascal("l26"), "L26");
        assert_eq!(pascal(""), "Empty");
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert_eq!(Name::snake("type").ident().to_string(), "r#type");
        assert_eq!(Name::snake("in").as_str(), "r#in");
        assert_eq!(Name::snake("in").bare(), "in");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident(&pascal("self")).to_string(), "Self_");
    }

    #[test]
    fn scope_reports_collisions() {
        let mut scope = Scope::new("fields of X");
        scope.claim("a_b", "`a-b`").unwrap();
        let err = scope.claim("a_b", "`a_b`").unwrap_err();
        assert!(err.contains("`a-b`") && err.contains("`a_b`"), "{err}");
    }
}
