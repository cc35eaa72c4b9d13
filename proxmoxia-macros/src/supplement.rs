//! The schema supplement (`apidoc/supplement.json`): what real PVE sends where its schema
//! says otherwise, each correction with its provenance. Applied to every vendored schema
//! before the versions are merged, so the typed answers, the docs, `public-api.txt` and the
//! embedded fake all see the corrected schema.
//!
//! PVE's `returns` schemas document answers; nothing enforces them (the handlers return Perl
//! hashes). So an entry may add a field PVE sends but does not declare (`add`), replace a
//! wrong or missing type (`retype`), say why a field may be left out (`optional`), or confirm
//! from PVE's code that a field is set in every answer (`required`). Then one rule: an answer
//! field the schema calls required stays required only with a `required` entry; every
//! other answer field is optional, because an omitted "required" field would fail the
//! whole answer.

use std::path::Path;
use std::sync::Arc;

use crate::json::{self, Map, Value};
use crate::versions::Label;

/// Marks a schema changed or added by an entry: the provenance, for the docs.
pub const SOURCE: &str = "x-supplement";
/// Marks an answer field an entry confirmed as always sent.
pub const ALWAYS: &str = "x-always";
/// Marks an answer field the schema calls required that is optional here: the reason.
pub const LEFT_OUT: &str = "x-may-be-left-out";
/// `x-supplement-change` of a schema an entry touched: `add` or `retype`.
pub const CHANGE: &str = "x-supplement-change";

/// The supplement: its entries, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supplement {
    pub entries: Vec<Entry>,
}

/// One correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: String,
    pub method: String,
    /// The field's place in the `returns` schema (empty: the answer itself).
    pub field: Vec<Step>,
    /// The field as written (`[].template`), for messages.
    pub field_text: String,
    pub change: Change,
    /// The schema to add or to replace the old one with.
    pub schema: Option<Map>,
    /// Only these vendored versions; `None`: all.
    pub versions: Option<Versions>,
    pub reason: Option<String>,
    pub source: Source,
}

/// One step of a field's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A property of an object.
    Property(String),
    /// The items of an array (`[]`).
    Items,
    /// The values of a map (`{}`, `additionalProperties`).
    Values,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Retype,
    Optional,
    Required,
}

/// `8.4`, or `8.4+` (that version and later ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub line: String,
    pub and_later: bool,
}

impl Versions {
    fn matches(&self, label: &Label) -> bool {
        let Some(line) = Label::parse(&self.line) else {
            return false;
        };
        let minor = Label::parse(&label.minor());
        match minor {
            // A schema of unknown version (a custom file): every entry applies.
            None => true,
            Some(minor) if self.and_later => minor >= line,
            Some(minor) => minor == line,
        }
    }
}

/// Where a correction comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A line of PVE's code (or of another documented source, such as QEMU's agent schema).
    Code {
        repo: String,
        commit: String,
        file: String,
        line: u64,
        doc: bool,
    },
    /// An answer recorded from a real server: a repository's file, or a page.
    Answer { at: String, pve: Option<String> },
}

impl Source {
    /// The provenance in a few words, for the docs.
    pub fn describe(&self) -> String {
        match self {
            Source::Code {
                repo, file, line, ..
            } => {
                let name = repo.rsplit('/').next().unwrap_or(repo);
                format!("{name} `{file}` line {line}")
            }
            Source::Answer { at, pve } => match pve {
                Some(pve) => format!("an answer recorded from PVE {pve} ({at})"),
                None => format!("an answer recorded from a real server ({at})"),
            },
        }
    }
}

impl Supplement {
    /// Reads `path`; a missing file is an empty supplement (the generator's own tests).
    pub fn load(path: &Path) -> Result<Supplement, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Supplement::default());
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Supplement::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads the supplement's JSON text; an error names the entry at fault.
    pub fn parse(text: &str) -> Result<Supplement, String> {
        let json = json::parse(text)?;
        let entries = json
            .get("entries")
            .and_then(Value::as_array)
            .ok_or("the supplement must be an object with an `entries` array")?;
        let entries = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Entry::parse(e).map_err(|message| {
                    let at = e.get("path").and_then(Value::as_str).unwrap_or("?");
                    let field = e.get("field").and_then(Value::as_str).unwrap_or("?");
                    format!("entry {i} ({at} {field:?}): {message}")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Supplement { entries })
    }

    /// Applies the entries for version `label` to one apidoc tree (its JSON), then the rule
    /// for required answer fields. Returns, per entry, whether it changed this tree (an
    /// entry that changes no vendored tree is stale: a test says so).
    pub fn apply(&self, tree: &mut Value, label: &Label) -> Result<Vec<bool>, String> {
        // Not a tree: nothing to correct (reading it says what is wrong).
        let Value::Array(roots) = tree else {
            return Ok(vec![false; self.entries.len()]);
        };
        let mut applied = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let applies = entry.versions.as_ref().is_none_or(|v| v.matches(label));
            let changed = applies
                && match find_returns(roots, &entry.path, &entry.method) {
                    Some(returns) => entry.apply(returns)?,
                    None => false,
                };
            applied.push(changed);
        }
        for root in roots.iter_mut() {
            each_node(root, &mut |node| {
                if let Some(Value::Object(info)) = object_mut(node).and_then(|n| n.get_mut("info"))
                {
                    for method in Arc::make_mut(info).values_mut() {
                        if let Some(returns) = object_mut(method).and_then(|m| m.get_mut("returns"))
                        {
                            required_by_evidence_only(returns);
                        }
                    }
                }
            });
        }
        Ok(applied)
    }
}

impl Entry {
    fn parse(value: &Value) -> Result<Entry, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        let path = text("path").ok_or("no `path`")?;
        if !path.starts_with('/') {
            return Err("`path` must start with `/`".into());
        }
        let method = text("method").ok_or("no `method`")?;
        if !["GET", "POST", "PUT", "DELETE"].contains(&method.as_str()) {
            return Err(format!("unknown method {method:?}"));
        }
        let field_text = text("field").ok_or("no `field`")?;
        let field = parse_field(&field_text)?;
        let change = match text("change").as_deref() {
            Some("add") => Change::Add,
            Some("retype") => Change::Retype,
            Some("optional") => Change::Optional,
            Some("required") => Change::Required,
            other => return Err(format!("unknown change {other:?}")),
        };
        let schema = match value.get("schema") {
            Some(Value::Object(map)) => Some(map.as_ref().clone()),
            Some(_) => return Err("`schema` must be an object".into()),
            None => None,
        };
        match change {
            Change::Add | Change::Retype if schema.is_none() => {
                return Err("`add` and `retype` need a `schema`".into());
            }
            Change::Optional | Change::Required if schema.is_some() => {
                return Err("only `add` and `retype` take a `schema`".into());
            }
            _ => {}
        }
        if change == Change::Add && !matches!(field.last(), Some(Step::Property(_))) {
            return Err("`add` needs a property name as the field's last step".into());
        }
        let reason = text("reason").filter(|r| !r.trim().is_empty());
        if matches!(change, Change::Optional | Change::Retype) && reason.is_none() {
            return Err("`optional` and `retype` need a `reason`".into());
        }
        let versions = match text("versions") {
            Some(v) => {
                let (line, and_later) = match v.strip_suffix('+') {
                    Some(line) => (line.to_owned(), true),
                    None => (v.clone(), false),
                };
                Label::parse(&line)
                    .ok_or(format!("`versions` {v:?} is not like `8.4` or `9.1+`"))?;
                Some(Versions { line, and_later })
            }
            None => None,
        };
        let source = Source::parse(value.get("source").ok_or("no `source`")?)?;
        Ok(Entry {
            path,
            method,
            field,
            field_text,
            change,
            schema,
            versions,
            reason,
            source,
        })
    }

    /// Applies the entry to a method's `returns`; `false` when it has nothing to change in
    /// this version's schema (the field is declared already, or absent).
    fn apply(&self, returns: &mut Value) -> Result<bool, String> {
        let (last, parents) = match self.change {
            Change::Add => match self.field.split_last() {
                Some((Step::Property(name), parents)) => (Some(name), parents),
                _ => return Ok(false),
            },
            _ => (None, self.field.as_slice()),
        };
        let Some(target) = walk(returns, parents) else {
            return Ok(false);
        };
        let Some(map) = object_mut(target) else {
            return Ok(false);
        };
        let provenance = Value::String(self.source.describe());
        match (self.change, last) {
            (Change::Add, Some(name)) => {
                let props = map
                    .entry("properties".to_owned())
                    .or_insert_with(|| Value::object(Map::new()));
                let Some(props) = object_mut(props) else {
                    return Err("the parent's `properties` is not an object".into());
                };
                if props.contains_key(name) {
                    return Ok(false);
                }
                let mut added = self.schema.clone().unwrap_or_default();
                added.insert("optional".into(), Value::Number("1".into()));
                added.insert(SOURCE.into(), provenance);
                added.insert(CHANGE.into(), Value::String("add".into()));
                props.insert(name.clone(), Value::object(added));
            }
            (Change::Retype, _) => {
                let mut replaced = self.schema.clone().unwrap_or_default();
                for kept in ["optional", "description"] {
                    if let (Some(old), false) = (map.get(kept), replaced.contains_key(kept)) {
                        replaced.insert(kept.into(), old.clone());
                    }
                }
                replaced.insert(SOURCE.into(), provenance);
                replaced.insert(CHANGE.into(), Value::String("retype".into()));
                *map = replaced;
            }
            (Change::Optional, _) => {
                map.insert("optional".into(), Value::Number("1".into()));
                let reason = self.reason.clone().unwrap_or_default();
                map.insert(
                    LEFT_OUT.into(),
                    Value::String(format!("{reason} ({})", self.source.describe())),
                );
            }
            (Change::Required, _) => {
                if crate::apidoc::truthy(map.get("optional")) {
                    return Err("`required` names a field the schema already calls optional".into());
                }
                map.insert(ALWAYS.into(), provenance);
            }
            (Change::Add, None) => return Ok(false),
        }
        Ok(true)
    }
}

impl Source {
    fn parse(value: &Value) -> Result<Source, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        match text("kind").as_deref() {
            Some(kind @ ("code" | "doc")) => {
                let commit = text("commit").ok_or("a code source needs its `commit`")?;
                if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("a code source's `commit` is 40 hex digits".into());
                }
                let line = match value.get("line") {
                    Some(Value::Number(n)) => n.parse::<u64>().ok(),
                    _ => None,
                }
                .filter(|l| *l > 0)
                .ok_or("a code source needs its `line`")?;
                Ok(Source::Code {
                    repo: text("repo").ok_or("a code source needs its `repo`")?,
                    commit,
                    file: text("file").ok_or("a code source needs its `file`")?,
                    line,
                    doc: kind == "doc",
                })
            }
            Some("answer") => {
                let at = match (text("repo"), text("path"), text("page")) {
                    (Some(repo), Some(path), _) => format!("{repo} `{path}`"),
                    (_, _, Some(page)) => page,
                    _ => return Err("an answer source needs `repo` and `path`, or `page`".into()),
                };
                Ok(Source::Answer {
                    at,
                    pve: text("pve"),
                })
            }
            other => Err(format!("unknown source kind {other:?}")),
        }
    }
}

/// `[].template`, `cpuinfo.sockets`, `result[].ip-addresses[].prefix`, `{}.x`, `""`.
fn parse_field(text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    if text.is_empty() {
        return Ok(steps);
    }
    for part in text.split('.') {
        let mut name = part;
        let mut suffix = Vec::new();
        loop {
            if let Some(rest) = name.strip_suffix("[]") {
                suffix.push(Step::Items);
                name = rest;
            } else if let Some(rest) = name.strip_suffix("{}") {
                suffix.push(Step::Values);
                name = rest;
            } else {
                break;
            }
        }
        if name.is_empty() && suffix.is_empty() {
            return Err(format!("field {text:?} has an empty step"));
        }
        if name.contains(['[', ']', '{', '}']) {
            return Err(format!("field {text:?}: `{name}` is not a property name"));
        }
        if !name.is_empty() {
            steps.push(Step::Property(name.to_owned()));
        }
        steps.extend(suffix.into_iter().rev());
    }
    Ok(steps)
}

fn object_mut(value: &mut Value) -> Option<&mut Map> {
    match value {
        Value::Object(map) => Some(Arc::make_mut(map)),
        _ => None,
    }
}

/// The schema at `steps` below `schema`.
fn walk<'a>(schema: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(schema);
    };
    let map = object_mut(schema)?;
    let next = match first {
        Step::Property(name) => object_mut(map.get_mut("properties")?)?.get_mut(name)?,
        Step::Items => map.get_mut("items")?,
        Step::Values => map.get_mut("additionalProperties")?,
    };
    walk(next, rest)
}

/// Calls `f` on `node` and every node below it.
fn each_node(node: &mut Value, f: &mut impl FnMut(&mut Value)) {
    f(node);
    if let Some(Value::Array(children)) = object_mut(node).and_then(|n| n.get_mut("children")) {
        for child in children {
            each_node(child, f);
        }
    }
}

/// The `returns` of `method` at `path`, if the tree has it.
fn find_returns<'a>(roots: &'a mut [Value], path: &str, method: &str) -> Option<&'a mut Value> {
    for root in roots {
        let own = root.get("path").and_then(Value::as_str)?.to_owned();
        if own == path {
            let info = object_mut(object_mut(root)?.get_mut("info")?)?;
            return object_mut(info.get_mut(method)?)?.get_mut("returns");
        }
        if path.starts_with(&format!("{own}/")) {
            let children = match object_mut(root)?.get_mut("children")? {
                Value::Array(children) => children,
                _ => return None,
            };
            return find_returns(children, path, method);
        }
    }
    None
}

/// The rule: an answer field stays required only where an entry confirmed that PVE always
/// sends it; every other property of every object in the answer is optional.
fn required_by_evidence_only(schema: &mut Value) {
    let Some(map) = object_mut(schema) else {
        return;
    };
    if let Some(props) = map.get_mut("properties").and_then(object_mut) {
        for prop in props.values_mut() {
            if let Some(field) = object_mut(prop) {
                let required = !crate::apidoc::truthy(field.get("optional"));
                if required && !field.contains_key(ALWAYS) {
                    field.insert("optional".into(), Value::Number("1".into()));
                    field
                        .entry(LEFT_OUT.to_owned())
                        .or_insert_with(|| Value::String(String::new()));
                }
            }
            required_by_evidence_only(prop);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = map.get_mut(key) {
            required_by_evidence_only(inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Value {
        json::parse(
            r#"[{"path": "/nodes", "info": {"GET": {"name": "index", "returns": {"type": "array",
              "items": {"type": "object", "properties": {
                "node": {"type": "string"},
                "cpu": {"type": "number", "optional": 1}}}}}},
              "children": [{"path": "/nodes/{node}", "children": [
                {"path": "/nodes/{node}/status", "info": {"GET": {"name": "status",
                  "returns": {"type": "object", "properties": {
                    "cpuinfo": {"type": "object", "properties": {"cores": {"type": "integer"}}}}}}}}]}]}]"#,
        )
        .unwrap()
    }

    const CODE: &str = r#"{"kind": "code", "repo": "proxmox/pve-manager",
        "commit": "14a22df3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "file": "PVE/API2/Nodes.pm", "line": 42}"#;

    fn supplement(entries: &str) -> Supplement {
        Supplement::parse(&format!(
            r#"{{"entries": [{}]}}"#,
            entries.replace("SRC", CODE)
        ))
        .unwrap()
    }

    fn field<'a>(tree: &'a Value, pointer: &[&str]) -> &'a Value {
        pointer.iter().fold(tree, |v, k| match k.parse::<usize>() {
            Ok(i) => &v.as_array().unwrap()[i],
            Err(_) => v.get(k).unwrap(),
        })
    }

    #[test]
    fn fields_are_places_in_the_answer() {
        assert_eq!(parse_field("").unwrap(), vec![]);
        assert_eq!(
            parse_field("[].template").unwrap(),
            vec![Step::Items, Step::Property("template".into())]
        );
        assert_eq!(
            parse_field("result[].ip-addresses[].prefix").unwrap(),
            vec![
                Step::Property("result".into()),
                Step::Items,
                Step::Property("ip-addresses".into()),
                Step::Items,
                Step::Property("prefix".into())
            ]
        );
        assert_eq!(
            parse_field("{}.read").unwrap(),
            vec![Step::Values, Step::Property("read".into())]
        );
        assert!(parse_field("a..b").is_err());
        assert!(parse_field("a[0]").is_err());
    }

    #[test]
    fn entries_are_added_confirmed_and_the_rest_made_optional() {
        let s = supplement(
            r#"{"path": "/nodes/{node}/status", "method": "GET", "field": "uptime", "change": "add",
                "schema": {"type": "integer"}, "source": SRC},
               {"path": "/nodes", "method": "GET", "field": "[].node", "change": "required", "source": SRC},
               {"path": "/nodes", "method": "GET", "field": "[].cpu", "change": "add",
                "schema": {"type": "integer"}, "source": SRC}"#,
        );
        let mut t = tree();
        let applied = s.apply(&mut t, &Label::parse("9.2").unwrap()).unwrap();
        // `cpu` is declared already: nothing to add.
        assert_eq!(applied, vec![true, true, false]);
        let status = field(
            &t,
            &[
                "0", "children", "0", "children", "0", "info", "GET", "returns",
            ],
        );
        assert_eq!(
            status
                .get("properties")
                .unwrap()
                .get("uptime")
                .unwrap()
                .to_string(),
            r#"{"optional":1,"type":"integer","x-supplement":"pve-manager `PVE/API2/Nodes.pm` line 42","x-supplement-change":"add"}"#
        );
        // Not confirmed: optional, nested too.
        let cores = field(status, &["properties", "cpuinfo", "properties", "cores"]);
        assert_eq!(
            cores.to_string(),
            r#"{"optional":1,"type":"integer","x-may-be-left-out":""}"#
        );
        let nodes = field(&t, &["0", "info", "GET", "returns", "items", "properties"]);
        assert_eq!(
            nodes.get("node").unwrap().to_string(),
            r#"{"type":"string","x-always":"pve-manager `PVE/API2/Nodes.pm` line 42"}"#
        );
    }

    #[test]
    fn entries_apply_to_their_versions_only() {
        let s = supplement(
            r#"{"path": "/nodes/{node}/status", "method": "GET", "field": "uptime", "change": "add",
                "schema": {"type": "integer"}, "versions": "9.1+", "source": SRC}"#,
        );
        for (label, applied) in [("8.4.17", false), ("9.1.11", true), ("9.2", true)] {
            let mut t = tree();
            assert_eq!(
                s.apply(&mut t, &Label::parse(label).unwrap()).unwrap(),
                vec![applied],
                "{label}"
            );
        }
    }

    #[test]
    fn a_retype_keeps_whether_the_field_is_optional() {
        let s = supplement(
            r#"{"path": "/nodes", "method": "GET", "field": "[].cpu", "change": "retype",
                "schema": {"type": "string"}, "reason": "text", "source": SRC}"#,
        );
        let mut t = tree();
        s.apply(&mut t, &Label::parse("9.2").unwrap()).unwrap();
        let cpu = field(
            &t,
            &["0", "info", "GET", "returns", "items", "properties", "cpu"],
        );
        assert_eq!(
            cpu.to_string(),
            r#"{"optional":1,"type":"string","x-supplement":"pve-manager `PVE/API2/Nodes.pm` line 42","x-supplement-change":"retype"}"#
        );
    }

    /// An entry that changes no vendored schema is stale (PVE's schema caught up, or the
    /// path is gone) or wrong (a typo in its path or field): either way, review it.
    #[test]
    fn every_entry_corrects_a_vendored_schema() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../apidoc");
        let file = dir.join(crate::load::SUPPLEMENT);
        let supplement = Supplement::load(&file).unwrap();
        let mut used = vec![false; supplement.entries.len()];
        for name in ["pve-8.4.17.json", "pve-9.1.11.json", "pve-9.2.json"] {
            let path = dir.join(name);
            let label = crate::load::label(&path, false).unwrap();
            let mut tree = json::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for (u, applied) in used
                .iter_mut()
                .zip(supplement.apply(&mut tree, &label).unwrap())
            {
                *u |= applied;
            }
        }
        let stale: Vec<String> = supplement
            .entries
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| {
                format!(
                    "{} {} {:?} ({:?})",
                    e.method, e.path, e.field_text, e.change
                )
            })
            .collect();
        assert!(
            stale.is_empty(),
            "entries that change no vendored schema:\n{}",
            stale.join("\n")
        );
    }

    #[test]
    fn bad_entries_are_refused_by_name() {
        let bad = |entry: &str| {
            Supplement::parse(&format!(
                r#"{{"entries": [{}]}}"#,
                entry.replace("SRC", CODE)
            ))
            .unwrap_err()
        };
        assert_eq!(
            bad(
                r#"{"path": "/nodes", "method": "GET", "field": "x", "change": "optional", "source": SRC}"#
            ),
            r#"entry 0 (/nodes "x"): `optional` and `retype` need a `reason`"#
        );
        assert_eq!(
            bad(
                r#"{"path": "/nodes", "method": "GET", "field": "x", "change": "add", "source": SRC}"#
            ),
            r#"entry 0 (/nodes "x"): `add` and `retype` need a `schema`"#
        );
        assert_eq!(
            bad(
                r#"{"path": "/nodes", "method": "GET", "field": "x", "change": "required",
                 "source": {"kind": "code", "repo": "r", "commit": "abc", "file": "f", "line": 1}}"#
            ),
            r#"entry 0 (/nodes "x"): a code source's `commit` is 40 hex digits"#
        );
        assert_eq!(
            bad(
                r#"{"path": "/nodes", "method": "GET", "field": "x", "change": "required",
                 "versions": "nine", "source": SRC}"#
            ),
            r#"entry 0 (/nodes "x"): `versions` "nine" is not like `8.4` or `9.1+`"#
        );
    }
}
