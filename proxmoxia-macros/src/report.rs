//! What changed between vendored PVE versions: `apidoc/versions.md`, made from the schemas
//! (a test regenerates it and fails when the committed file differs).
//!
//! For each pair of consecutive versions: methods added and removed; for the methods both
//! have, parameters and answer fields (and property-string keys, as fields of their
//! parameter) added, removed and retyped, and enum values added and removed. "Retyped" means
//! the Rust-relevant kind changed (`integer` -> `string`, a plain string -> an enum, an
//! object without fields -> one with fields, ...), as the union's types have to absorb it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::apidoc::{Format, Method, Node, Schema, Tree};
use crate::fixups;
use crate::versions::Label;

/// Differences between two versions, by kind.
#[derive(Debug, Default)]
struct Diff {
    methods_added: Vec<String>,
    methods_removed: Vec<String>,
    params_added: Vec<String>,
    params_removed: Vec<String>,
    params_retyped: Vec<String>,
    fields_added: Vec<String>,
    fields_removed: Vec<String>,
    fields_retyped: Vec<String>,
    values_added: Vec<String>,
    values_removed: Vec<String>,
}

/// The report for `versions` (oldest first, each prepared by `merge::prepare`).
pub fn report(versions: &[(Label, Tree)]) -> String {
    let mut out = String::from(
        "# What changed between the vendored PVE versions\n\n\
         Generated from the schemas in this directory by `proxmoxia-macros` (`src/report.rs`);\n\
         a test regenerates it (`UPDATE_VERSIONS_REPORT=1 cargo test -p proxmoxia-macros\n\
         versions_report` rewrites it). Parameters include property-string keys\n\
         (`net[n].host-tunnel`); answer fields are JSON paths in the answer (`[]` an array's\n\
         items, `{}` a map's values). Retyped: the kind of value changed, which the one typed\n\
         API absorbs by taking the wider type (see the guide, `proxmoxia::guide::versions`).\n\n",
    );
    let diffs: Vec<(String, Diff)> = versions
        .windows(2)
        .map(|w| {
            (
                format!("{} → {}", w[0].0.text, w[1].0.text),
                diff(&w[0].1, &w[1].1),
            )
        })
        .collect();
    out.push_str("| | ");
    out.push_str(
        &diffs
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---|".repeat(diffs.len()));
    out.push('\n');
    type Row = (&'static str, fn(&Diff) -> usize);
    let rows: [Row; 10] = [
        ("methods added", |d| d.methods_added.len()),
        ("methods removed", |d| d.methods_removed.len()),
        ("parameters added", |d| d.params_added.len()),
        ("parameters removed", |d| d.params_removed.len()),
        ("parameters retyped", |d| d.params_retyped.len()),
        ("answer fields added", |d| d.fields_added.len()),
        ("answer fields removed", |d| d.fields_removed.len()),
        ("answer fields retyped", |d| d.fields_retyped.len()),
        ("enum values added", |d| d.values_added.len()),
        ("enum values removed", |d| d.values_removed.len()),
    ];
    for (title, count) in rows {
        let cells: Vec<String> = diffs.iter().map(|(_, d)| count(d).to_string()).collect();
        let _ = writeln!(out, "| {title} | {} |", cells.join(" | "));
    }
    for (name, d) in &diffs {
        let _ = writeln!(out, "\n## {name}");
        for (title, items) in [
            ("Methods added", &d.methods_added),
            ("Methods removed", &d.methods_removed),
            ("Parameters added", &d.params_added),
            ("Parameters removed", &d.params_removed),
            ("Parameters retyped", &d.params_retyped),
            ("Answer fields added", &d.fields_added),
            ("Answer fields removed", &d.fields_removed),
            ("Answer fields retyped", &d.fields_retyped),
            ("Enum values added", &d.values_added),
            ("Enum values removed", &d.values_removed),
        ] {
            let _ = writeln!(out, "\n### {title} ({})\n", items.len());
            for item in items {
                let _ = writeln!(out, "- {item}");
            }
        }
    }
    out
}

/// The section on the supplement: how many of its entries corrected each version's schema,
/// by kind. `applied` is, per version, whether each entry changed its schema.
pub fn supplement_section(
    supplement: &crate::supplement::Supplement,
    applied: &[(Label, Vec<bool>)],
) -> String {
    use crate::supplement::{Change, Source};
    let mut out = String::from(
        "\n## The supplement\n\n\
         The schemas compared above are PVE's as corrected by `supplement.json` (see apidoc/README.md,\n\
         \"The supplement\"): fields PVE sends but does not declare, answers retyped, fields\n\
         confirmed always sent (every other answer field is optional), fields PVE may leave out.\n\
         Entries that changed each version's schema:\n\n",
    );
    let _ = write!(out, "| | all entries |");
    for (label, _) in applied {
        let _ = write!(out, " {} |", label.text);
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(applied.len()));
    out.push('\n');
    let rows = [
        ("fields added", Change::Add),
        ("answers or fields retyped", Change::Retype),
        ("fields confirmed always sent", Change::Required),
        ("fields PVE may leave out", Change::Optional),
    ];
    for (title, change) in rows {
        let of_kind = |e: &&crate::supplement::Entry| e.change == change;
        let total = supplement.entries.iter().filter(of_kind).count();
        let _ = write!(out, "| {title} | {total} |");
        for (_, used) in applied {
            let n = supplement
                .entries
                .iter()
                .zip(used)
                .filter(|(e, used)| **used && of_kind(e))
                .count();
            let _ = write!(out, " {n} |");
        }
        out.push('\n');
    }
    let (code, doc, answers) =
        supplement
            .entries
            .iter()
            .fold((0, 0, 0), |(c, d, a), e| match e.source {
                Source::Code { doc: false, .. } => (c + 1, d, a),
                Source::Code { doc: true, .. } => (c, d + 1, a),
                Source::Answer { .. } => (c, d, a + 1),
            });
    let _ = writeln!(
        out,
        "\nSources: {code} lines of PVE's code, {doc} of another documented source (QEMU's guest \
         agent schema), {answers} recorded answers."
    );
    out
}

/// Every method of a tree by `VERB /path`.
fn methods(tree: &Tree) -> BTreeMap<String, &Method> {
    fn walk<'a>(nodes: &'a [Node], out: &mut BTreeMap<String, &'a Method>) {
        for node in nodes {
            for m in &node.methods {
                out.insert(format!("{} {}", m.verb.upper(), node.path), m);
            }
            walk(&node.children, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&tree.roots, &mut out);
    out
}

fn diff(old: &Tree, new: &Tree) -> Diff {
    let (a, b) = (methods(old), methods(new));
    let mut d = Diff {
        methods_added: b.keys().filter(|k| !a.contains_key(*k)).cloned().collect(),
        methods_removed: a.keys().filter(|k| !b.contains_key(*k)).cloned().collect(),
        ..Diff::default()
    };
    for (at, ma) in &a {
        let Some(mb) = b.get(at) else { continue };
        let pa: BTreeMap<&str, &Schema> = ma.params.iter().map(|(n, s)| (n.as_str(), s)).collect();
        let pb: BTreeMap<&str, &Schema> = mb.params.iter().map(|(n, s)| (n.as_str(), s)).collect();
        let names: BTreeSet<&str> = pa.keys().chain(pb.keys()).copied().collect();
        for name in names {
            let item = format!("{at}: `{name}`");
            match (pa.get(name), pb.get(name)) {
                (None, Some(_)) => d.params_added.push(item),
                (Some(_), None) => d.params_removed.push(item),
                (Some(x), Some(y)) => compare(&item, x, y, Side::Param, &mut d),
                (None, None) => {}
            }
        }
        let empty = Schema::empty();
        let ra = ma.returns.as_ref().unwrap_or(&empty);
        let rb = mb.returns.as_ref().unwrap_or(&empty);
        compare(&format!("{at}: returns"), ra, rb, Side::Answer, &mut d);
    }
    d
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Param,
    Answer,
}

/// The Rust-relevant kind of a value.
fn kind(schema: &Schema) -> String {
    let ty = fixups::infer_type(schema);
    match ty {
        "string" => match schema.format() {
            Some(Format::Object(_)) => "property string".into(),
            Some(Format::Named(f)) if f.ends_with("-list") => "list".into(),
            _ if schema.enum_values().is_some() => "enum".into(),
            _ => "string".into(),
        },
        "array" => format!(
            "array of {}",
            schema.items().map_or_else(|| "any".into(), |i| kind(&i))
        ),
        "object" if schema.properties().is_some_and(|p| !p.is_empty()) => "object".into(),
        "object" if schema.additional_schema().is_some() => "map".into(),
        "object" => "object without fields".into(),
        other => other.to_owned(),
    }
}

/// Compares one parameter or answer value across two versions, recursing into fields,
/// items, map values and property-string keys.
fn compare(item: &str, a: &Schema, b: &Schema, side: Side, d: &mut Diff) {
    let (ka, kb) = (kind(a), kind(b));
    // Arrays whose items changed are reported at the items (`x[]`).
    let both_arrays = ka.starts_with("array")
        && kb.starts_with("array")
        && a.items().is_some()
        && b.items().is_some();
    if ka != kb && !both_arrays {
        let line = format!("{item}: {ka} → {kb}");
        match side {
            Side::Param => d.params_retyped.push(line),
            Side::Answer => d.fields_retyped.push(line),
        }
    }
    let (ea, eb) = (
        a.enum_values().unwrap_or_default(),
        b.enum_values().unwrap_or_default(),
    );
    if !ea.is_empty() && !eb.is_empty() {
        let added: Vec<&String> = eb.iter().filter(|v| !ea.contains(v)).collect();
        let removed: Vec<&String> = ea.iter().filter(|v| !eb.contains(v)).collect();
        if !added.is_empty() {
            d.values_added.push(format!("{item}: {}", quoted(&added)));
        }
        if !removed.is_empty() {
            d.values_removed
                .push(format!("{item}: {}", quoted(&removed)));
        }
    }
    let fields = |s: &Schema| -> BTreeMap<String, Schema> {
        s.properties()
            .unwrap_or_default()
            .into_iter()
            .collect::<BTreeMap<_, _>>()
    };
    if ka == kb && ka == "object" {
        let (fa, fb) = (fields(a), fields(b));
        children(item, ".", &fa, &fb, side, d);
    }
    if let (Some(Format::Object(fa)), Some(Format::Object(fb))) = (a.format(), b.format()) {
        let keys = |f: &crate::json::Map| -> BTreeMap<String, Schema> {
            f.iter()
                .filter(|(_, v)| v.get("alias").is_none())
                .map(|(k, v)| (k.clone(), Schema::from_value(v)))
                .collect()
        };
        children(item, ".", &keys(fa), &keys(fb), side, d);
    }
    if let (Some(ia), Some(ib)) = (a.items(), b.items()) {
        compare(&format!("{item}[]"), &ia, &ib, side, d);
    }
    if let (Some(va), Some(vb)) = (a.additional_schema(), b.additional_schema()) {
        compare(&format!("{item}{{}}"), &va, &vb, side, d);
    }
}

fn children(
    item: &str,
    sep: &str,
    a: &BTreeMap<String, Schema>,
    b: &BTreeMap<String, Schema>,
    side: Side,
    d: &mut Diff,
) {
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let at = format!("{item}{sep}{name}");
        let (added, removed) = match side {
            Side::Param => (&mut d.params_added, &mut d.params_removed),
            Side::Answer => (&mut d.fields_added, &mut d.fields_removed),
        };
        match (a.get(name), b.get(name)) {
            (None, Some(_)) => added.push(at),
            (Some(_), None) => removed.push(at),
            (Some(x), Some(y)) => compare(&at, x, y, side, d),
            (None, None) => {}
        }
    }
}

fn quoted(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `apidoc/versions.md` is what the schemas say.
    #[test]
    fn versions_report_is_committed() {
        let built = crate::generate::vendored();
        let versions: Vec<(Label, Tree)> = built
            .files
            .iter()
            .map(|f| (f.label.clone(), crate::merge::prepare(&f.tree)))
            .collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../apidoc");
        let supplement =
            crate::supplement::Supplement::load(&dir.join(crate::load::SUPPLEMENT)).unwrap();
        let applied: Vec<(Label, Vec<bool>)> = built
            .files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(&f.path).unwrap();
                let mut json = crate::json::parse(&text).unwrap();
                (
                    f.label.clone(),
                    supplement.apply(&mut json, &f.label).unwrap(),
                )
            })
            .collect();
        crate::generate::check_committed(
            "versions.md",
            &(report(&versions) + &supplement_section(&supplement, &applied)),
            "UPDATE_VERSIONS_REPORT",
        );
    }

    #[test]
    fn differences_are_found_by_kind() {
        let parse = |t: &str| crate::apidoc::parse(&crate::json::parse(t).unwrap()).unwrap();
        let old = parse(
            r#"[{"path": "/a", "info": {"GET": {"name": "a",
                "parameters": {"properties": {"x": {"type": "integer"}, "gone": {"type": "string"},
                    "e": {"type": "string", "enum": ["a", "b"]}}},
                "returns": {"type": "object", "properties": {"f": {"type": "boolean"}}}}}},
               {"path": "/old", "info": {"GET": {"name": "old"}}}]"#,
        );
        let new = parse(
            r#"[{"path": "/a", "info": {"GET": {"name": "a",
                "parameters": {"properties": {"x": {"type": "string"}, "new": {"type": "string"},
                    "e": {"type": "string", "enum": ["a", "c"]}}},
                "returns": {"type": "object", "properties": {"f": {"type": "boolean"}, "g": {"type": "integer"}}}}}}]"#,
        );
        let d = diff(&old, &new);
        assert_eq!(d.methods_removed, ["GET /old"]);
        assert_eq!(d.params_added, ["GET /a: `new`"]);
        assert_eq!(d.params_removed, ["GET /a: `gone`"]);
        assert_eq!(d.params_retyped, ["GET /a: `x`: integer → string"]);
        assert_eq!(d.fields_added, ["GET /a: returns.g"]);
        assert_eq!(d.values_added, ["GET /a: `e`: `c`"]);
        assert_eq!(d.values_removed, ["GET /a: `e`: `b`"]);
    }
}
