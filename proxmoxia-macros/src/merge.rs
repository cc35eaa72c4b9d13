//! Several PVE versions' schemas -> one schema of their union.
//!
//! Paths, methods, parameters, answer fields, enum values and property-string keys are
//! merged by name; each remembers the versions that have it: [`Node::versions`],
//! [`Method::versions`], and inside JSON schemas the keys [`VERSIONS`] (a parameter, an
//! answer field or a property-string key that not every version of its parent has) and
//! [`ENUM_VERSIONS`] (enum values that not every version lists). Where versions type an
//! item differently, one schema serves all of them (see [`merge_schema`]).
//!
//! Before merging, each version's named property-string formats (`pve-qm-ipconfig`, known
//! only by their `typetext`) are spelled out as format objects, so that versions which
//! write a format by name and versions which spell it out merge like any other.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::apidoc::{self, Format, Method, Node, Schema, Tree, Verb};
use crate::fixups;
use crate::json::{Map, Value};
use crate::versions::Mask;

/// Versions (a [`Mask`], as a JSON number) of an item that not every version of its
/// parent has.
pub const VERSIONS: &str = "x-versions";
/// `{"value": mask}` for enum values that not every version lists.
pub const ENUM_VERSIONS: &str = "x-enum-versions";
/// The name of a named property-string format spelled out before merging (for docs).
pub const FORMAT_NAME: &str = "x-format-name";
/// On a parameter whose versions check it differently (a range, an enum, a property
/// string's keys): `[{"v": mask, "schema": {...}}, ...]`, each version's own schema, so a
/// client that knows the cluster's version checks it exactly.
pub const BY_VERSION: &str = "x-by-version";

/// Prose: never a difference between versions.
const DOC_KEYS: &[&str] = &[
    "description",
    "verbose_description",
    "format_description",
    "typetext",
    "title",
    "print_width",
];

/// The union of `trees` (oldest first: bit `i` of a mask is `trees[i]`).
pub fn merge(trees: &[&Tree]) -> Tree {
    let prepared: Vec<Tree> = trees.iter().map(|t| prepare(t)).collect();
    let mut roots: BTreeMap<String, Vec<(Mask, &Node)>> = BTreeMap::new();
    for (i, tree) in prepared.iter().enumerate() {
        for node in &tree.roots {
            roots
                .entry(node.path.clone())
                .or_default()
                .push((1 << i, node));
        }
    }
    Tree {
        roots: roots.values().map(|items| merge_node(items)).collect(),
    }
}

fn merge_node(items: &[(Mask, &Node)]) -> Node {
    let newest = items[items.len() - 1].1;
    let versions = items.iter().fold(0, |m, (bit, _)| m | bit);
    let mut methods = Vec::new();
    for verb in Verb::ALL {
        let having: Vec<(Mask, &Method)> = items
            .iter()
            .filter_map(|(bit, n)| Some((*bit, n.methods.iter().find(|m| m.verb == verb)?)))
            .collect();
        if !having.is_empty() {
            methods.push(merge_method(&having));
        }
    }
    let mut children: BTreeMap<String, Vec<(Mask, &Node)>> = BTreeMap::new();
    for (bit, node) in items {
        for child in &node.children {
            children
                .entry(child.path.clone())
                .or_default()
                .push((*bit, child));
        }
    }
    Node {
        path: newest.path.clone(),
        segment: newest.segment.clone(),
        versions,
        methods,
        children: children.values().map(|c| merge_node(c)).collect(),
    }
}

fn merge_method(items: &[(Mask, &Method)]) -> Method {
    let newest = items[items.len() - 1].1;
    let versions = items.iter().fold(0, |m, (bit, _)| m | bit);
    let mut names = BTreeSet::new();
    for (_, m) in items {
        names.extend(m.params.iter().map(|(n, _)| n.as_str()));
    }
    let params = names
        .into_iter()
        .map(|name| {
            let having: Vec<(Mask, &Map)> = items
                .iter()
                .filter_map(|(bit, m)| {
                    let (_, s) = m.params.iter().find(|(n, _)| n == name)?;
                    Some((*bit, &*s.0))
                })
                .collect();
            let mut merged = merge_schema(&having, Mode::Param);
            mark_versions(&mut merged, mask_of(&having), versions);
            let alternatives = by_version(&having);
            if alternatives.len() > 1 {
                merged.insert(BY_VERSION.into(), Value::Array(alternatives));
            }
            (name.to_owned(), Schema::new(merged))
        })
        .collect();
    let returns: Vec<(Mask, &Map)> = items
        .iter()
        .filter_map(|(bit, m)| Some((*bit, &*m.returns.as_ref()?.0)))
        .collect();
    Method {
        verb: newest.verb,
        name: newest.name.clone(),
        description: newest.description.clone(),
        params,
        returns: (!returns.is_empty()).then(|| Schema::new(merge_schema(&returns, Mode::Answer))),
        permissions: newest.permissions.clone(),
        allowtoken: newest.allowtoken,
        versions,
    }
}

/// The distinct schemas of `items` (prose aside), each with the versions that have it.
fn by_version(items: &[(Mask, &Map)]) -> Vec<Value> {
    // (the first schema of the group, for comparing; the versions; the newest schema)
    let mut groups: Vec<(&Map, Mask, &Map)> = Vec::new();
    for (bit, m) in items {
        match groups.iter_mut().find(|(first, _, _)| same_shape(first, m)) {
            Some(group) => {
                group.1 |= bit;
                group.2 = m;
            }
            None => groups.push((m, *bit, m)),
        }
    }
    groups
        .into_iter()
        .map(|(_, mask, schema)| {
            let mut entry = Map::new();
            entry.insert("v".into(), Value::Number(mask.to_string()));
            entry.insert("schema".into(), Value::object(schema.clone()));
            Value::object(entry)
        })
        .collect()
}

fn mask_of(items: &[(Mask, &Map)]) -> Mask {
    items.iter().fold(0, |m, (bit, _)| m | bit)
}

/// An item present in `have` of its parent's `parent` versions: optional, and annotated
/// when that is not all of them.
fn mark_versions(schema: &mut Map, have: Mask, parent: Mask) {
    if have != parent {
        schema.insert("optional".into(), Value::Number("1".into()));
        schema.insert(VERSIONS.into(), Value::Number(have.to_string()));
    }
}

/// Whether a schema is read as a request parameter or as part of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Param,
    Answer,
}

/// What a schema describes, for merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No type given (`{}`, or `type: any`): says nothing.
    Unknown,
    /// `type: null`: no value.
    Null,
    /// An object without `properties` or an `additionalProperties` schema.
    FreeObject,
    Struct,
    Map,
    Array,
    Bool,
    Int,
    Num,
    Str,
}

fn kind(schema: &Map) -> Kind {
    match fixups::infer_type_of(schema) {
        "null" => Kind::Null,
        "boolean" => Kind::Bool,
        "integer" => Kind::Int,
        "number" => Kind::Num,
        "string" => Kind::Str,
        "array" => Kind::Array,
        "object"
            if schema
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty()) =>
        {
            Kind::Struct
        }
        "object" if matches!(schema.get("additionalProperties"), Some(Value::Object(m)) if !m.is_empty()) => {
            Kind::Map
        }
        "object" => Kind::FreeObject,
        _ => Kind::Unknown,
    }
}

/// Whether two schemas are the same but for prose (compared in place: schemas are large).
fn same_shape(a: &Map, b: &Map) -> bool {
    let mut left = a.iter().filter(|(k, _)| !DOC_KEYS.contains(&k.as_str()));
    let mut right = b.iter().filter(|(k, _)| !DOC_KEYS.contains(&k.as_str()));
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some((ka, va)), Some((kb, vb))) if ka == kb && same_shape_value(va, vb) => {}
            _ => return false,
        }
    }
}

fn same_shape_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => std::sync::Arc::ptr_eq(x, y) || same_shape(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape_value(p, q))
        }
        (x, y) => x == y,
    }
}

/// One schema for all `items` (each one version's, oldest first), the widest of them:
/// * a version that says nothing (no type, a free-form object, `null` for an answer) gives
///   way to one that says more (in an answer, `null` or nothing makes the value optional);
/// * objects take every version's fields (a field some version lacks is optional); maps
///   and arrays merge their values;
/// * scalars widen `boolean` < `integer` < `number` < `string`; enums take every version's
///   values (a parameter's enum becomes a plain string if a version has none); property
///   strings take every version's keys; numeric and length limits keep the widest bounds
///   and only where every version has one; differing patterns are alternatives;
/// * kinds that do not widen into each other (an object and a string) become any JSON.
///
/// Optional if any version says so. Prose is the newest version's.
fn merge_schema(items: &[(Mask, &Map)], mode: Mode) -> Map {
    let Some(&(_, newest)) = items.last() else {
        return Map::new();
    };
    if items.iter().all(|(_, m)| same_shape(m, newest)) {
        return newest.clone();
    }
    // In an answer, a version that sends `null`, or says nothing of the value, may leave it
    // out: the value is optional, so that version's answers decode.
    let optional = items.iter().any(|(_, m)| apidoc::truthy(m.get("optional")))
        || (mode == Mode::Answer
            && items
                .iter()
                .any(|(_, m)| matches!(kind(m), Kind::Null | Kind::Unknown)));
    let kinds: Vec<Kind> = items.iter().map(|(_, m)| kind(m)).collect();
    let says_more = |k: Kind| !matches!(k, Kind::Unknown | Kind::Null);
    let mut kept: Vec<(Mask, &Map)> = items
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| says_more(**k))
        .map(|(item, _)| *item)
        .collect();
    if kept
        .iter()
        .any(|(_, m)| matches!(kind(m), Kind::Struct | Kind::Map))
    {
        kept.retain(|(_, m)| kind(m) != Kind::FreeObject);
    }
    let mut out = match kept.last() {
        None => newest.clone(),
        Some(_) => {
            let kept_kinds: BTreeSet<u8> = kept.iter().map(|(_, m)| kind(m) as u8).collect();
            if kept_kinds.len() == 1 {
                merge_same_kind(&kept, kind(kept[0].1), mode, mask_of(items))
            } else if kept.iter().all(|(_, m)| is_scalar(kind(m))) {
                widen_scalars(&kept)
            } else {
                any_json(newest)
            }
        }
    };
    if optional {
        out.insert("optional".into(), Value::Number("1".into()));
    }
    out
}

fn is_scalar(k: Kind) -> bool {
    matches!(k, Kind::Bool | Kind::Int | Kind::Num | Kind::Str)
}

/// Any JSON value, with the newest version's description.
fn any_json(newest: &Map) -> Map {
    let mut out = Map::new();
    for key in DOC_KEYS {
        if let Some(v) = newest.get(*key) {
            out.insert((*key).to_owned(), v.clone());
        }
    }
    out
}

/// Scalars of different types: the widest type, without the narrower ones' limits.
fn widen_scalars(items: &[(Mask, &Map)]) -> Map {
    let newest = items[items.len() - 1].1;
    let kinds: BTreeSet<u8> = items.iter().map(|(_, m)| kind(m) as u8).collect();
    let ty = if kinds.contains(&(Kind::Str as u8)) {
        "string"
    } else if kinds.contains(&(Kind::Num as u8)) {
        "number"
    } else {
        "integer"
    };
    let mut out = any_json(newest);
    out.insert("type".into(), Value::String(ty.into()));
    out
}

/// `items` of one kind; `all` the versions of the whole merge (some may have said nothing:
/// a field those lack is marked too).
fn merge_same_kind(items: &[(Mask, &Map)], kind: Kind, mode: Mode, all: Mask) -> Map {
    let newest = items[items.len() - 1].1;
    let mut out = newest.clone();
    // Keys merged below are rebuilt from every version.
    for key in [
        "optional",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "requires",
        "format",
    ] {
        out.remove(key);
    }
    match kind {
        Kind::Struct => {
            let merged = merge_fields(items, "properties", mode, all);
            out.insert("properties".into(), Value::object(merged));
        }
        Kind::Map => {
            let values: Vec<(Mask, &Map)> = items
                .iter()
                .filter_map(|(bit, m)| Some((*bit, m.get("additionalProperties")?.as_object()?)))
                .collect();
            out.insert(
                "additionalProperties".into(),
                Value::object(merge_schema(&values, mode)),
            );
        }
        Kind::Array => {
            let empty = Map::new();
            let values: Vec<(Mask, &Map)> = items
                .iter()
                .map(|(bit, m)| {
                    (
                        *bit,
                        m.get("items").and_then(Value::as_object).unwrap_or(&empty),
                    )
                })
                .collect();
            out.insert("items".into(), Value::object(merge_schema(&values, mode)));
        }
        Kind::Str => {
            merge_string_format(&mut out, items, mode, all);
            merge_enum(&mut out, items, mode);
        }
        Kind::Int => {
            merge_named_format(&mut out, items);
            merge_enum(&mut out, items, mode);
        }
        _ => merge_named_format(&mut out, items),
    }
    merge_limits(&mut out, items);
    out
}

/// A named format every version gives alike.
fn merge_named_format(out: &mut Map, items: &[(Mask, &Map)]) {
    let first = items[0].1.get("format").and_then(Value::as_str);
    if let Some(first) = first {
        if items
            .iter()
            .all(|(_, m)| m.get("format").and_then(Value::as_str) == Some(first))
        {
            out.insert("format".into(), Value::String(first.to_owned()));
        }
    }
}

/// The fields of objects (`properties`) or the keys of property-string formats (`format`):
/// every version's, each merged, those some of the `all` versions lack marked.
fn merge_fields(items: &[(Mask, &Map)], key: &str, mode: Mode, all: Mask) -> Map {
    let mut names = BTreeSet::new();
    for (_, m) in items {
        if let Some(fields) = m.get(key).and_then(Value::as_object) {
            names.extend(fields.keys().cloned());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let having: Vec<(Mask, &Map)> = items
                .iter()
                .filter_map(|(bit, m)| {
                    Some((*bit, m.get(key)?.as_object()?.get(&name)?.as_object()?))
                })
                .collect();
            let mut merged = merge_schema(&having, mode);
            mark_versions(&mut merged, mask_of(&having), all);
            (name, Value::object(merged))
        })
        .collect()
}

/// Strings: property strings, lists and named formats, widest of all versions.
fn merge_string_format(out: &mut Map, items: &[(Mask, &Map)], mode: Mode, all: Mask) {
    let formats: Vec<Option<&Value>> = items.iter().map(|(_, m)| m.get("format")).collect();
    let props: Vec<(Mask, &Map)> = items
        .iter()
        .filter_map(|(bit, m)| match m.get("format") {
            Some(Value::Object(_)) => Some((*bit, *m)),
            _ => None,
        })
        .collect();
    let lists: Vec<&str> = formats
        .iter()
        .filter_map(|f| f.and_then(Value::as_str))
        .filter(|f| f.ends_with("-list"))
        .collect();
    if !props.is_empty() {
        // A property string where another version has plain text: the structure serves both.
        let keys = merge_fields(&props, "format", mode, all);
        out.insert("format".into(), Value::object(keys));
    } else if !lists.is_empty() {
        let first = lists[0];
        let same = lists.len() == items.len() && lists.iter().all(|f| *f == first);
        // Lists whose item formats differ check no item format.
        let format = if same { first } else { "string-list" };
        out.insert("format".into(), Value::String(format.into()));
    } else {
        merge_named_format(out, items);
    }
}

/// Every version's enum values (newest order first). A parameter's enum becomes free when
/// a version has none; an answer's stays open.
fn merge_enum(out: &mut Map, items: &[(Mask, &Map)], mode: Mode) {
    let with_enum: Vec<(Mask, Vec<String>)> = items
        .iter()
        .filter_map(|(bit, m)| Some((*bit, apidoc::enum_values(m)?)))
        .collect();
    let every_version_has_one = with_enum.len() == items.len();
    if !with_enum.is_empty() && (every_version_has_one || mode == Mode::Answer) {
        // The newest version's order, then values only older versions list.
        let mut values: Vec<String> = Vec::new();
        for (_, vs) in with_enum.iter().rev() {
            for v in vs {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
        }
        let all = with_enum.iter().fold(0, |m, (bit, _)| m | bit);
        let mut value_versions = Map::new();
        for v in &values {
            let have = with_enum
                .iter()
                .filter(|(_, vs)| vs.contains(v))
                .fold(0, |m, (bit, _)| m | bit);
            if have != all {
                value_versions.insert(v.clone(), Value::Number(have.to_string()));
            }
        }
        out.insert(
            "enum".into(),
            Value::Array(values.into_iter().map(Value::String).collect()),
        );
        if !value_versions.is_empty() {
            out.insert(ENUM_VERSIONS.into(), Value::object(value_versions));
        }
    }
}

/// Limits only where every version has one, at the widest; patterns as alternatives.
fn merge_limits(out: &mut Map, items: &[(Mask, &Map)]) {
    let numbers = |key: &str| -> Option<Vec<f64>> {
        items
            .iter()
            .map(|(_, m)| match m.get(key)? {
                Value::Number(n) => n.parse().ok(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect()
    };
    for (key, lowest) in [
        ("minimum", true),
        ("maximum", false),
        ("minLength", true),
        ("maxLength", false),
    ] {
        if let Some(values) = numbers(key) {
            let widest = values
                .into_iter()
                .reduce(|a, b| if lowest { a.min(b) } else { a.max(b) });
            if let Some(n) = widest {
                let text = if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", n as i64)
                } else {
                    n.to_string()
                };
                out.insert(key.into(), Value::Number(text));
            }
        }
    }
    let patterns: Option<Vec<&str>> = items
        .iter()
        .map(|(_, m)| m.get("pattern").and_then(Value::as_str))
        .collect();
    if let Some(mut patterns) = patterns {
        patterns.dedup();
        let unique: BTreeSet<&str> = patterns.iter().copied().collect();
        let pattern = if unique.len() == 1 {
            patterns[0].to_owned()
        } else {
            unique
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|")
        };
        out.insert("pattern".into(), Value::String(pattern));
    }
    let requires: Option<BTreeSet<&str>> = items
        .iter()
        .map(|(_, m)| m.get("requires").and_then(Value::as_str))
        .collect();
    if let Some(requires) = requires.filter(|r| r.len() == 1) {
        if let Some(other) = requires.first() {
            out.insert("requires".into(), Value::String((*other).to_owned()));
        }
    }
}

/// The union of several sites' property-string formats (each already merged over versions):
/// every key, each widened as versions are. A key not every site has is optional; version
/// marks stay where the sites agree on them.
pub fn union_formats(formats: &[&Map]) -> Map {
    let mut names = BTreeSet::new();
    for format in formats {
        names.extend(format.keys().cloned());
    }
    names
        .into_iter()
        .map(|name| {
            let having: Vec<&Map> = formats
                .iter()
                .filter_map(|f| f.get(&name)?.as_object())
                .collect();
            let first = having[0];
            let mut merged = if having.iter().all(|m| same_shape(m, first)) {
                having[having.len() - 1].clone()
            } else {
                let items: Vec<(Mask, &Map)> = having
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (1 << (i % 32), *m))
                    .collect();
                let mut merged = merge_schema(&items, Mode::Param);
                // Masks here would be of sites, not versions.
                merged.remove(ENUM_VERSIONS);
                let marks: Option<Vec<Mask>> = having.iter().map(|m| versions_of(m)).collect();
                match marks {
                    Some(marks) => {
                        let m = marks.into_iter().fold(0, |a, b| a | b);
                        merged.insert(VERSIONS.into(), Value::Number(m.to_string()));
                    }
                    None => {
                        merged.remove(VERSIONS);
                    }
                }
                merged
            };
            if having.len() < formats.len() {
                merged.insert("optional".into(), Value::Number("1".into()));
            }
            (name, Value::object(merged))
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Preparing one version.

/// A copy of `tree` whose named property-string formats are spelled out, and whose maps
/// written as a `{placeholder}` property are maps.
pub(crate) fn prepare(tree: &Tree) -> Tree {
    let named = NamedFormats::of(tree);
    let mut out = tree.clone();
    fn walk(nodes: &mut [Node], named: &NamedFormats) {
        for node in nodes {
            for method in &mut node.methods {
                for (_, schema) in &mut method.params {
                    named.spell_out(Arc::make_mut(&mut schema.0));
                }
                if let Some(returns) = &mut method.returns {
                    named.spell_out(Arc::make_mut(&mut returns.0));
                }
            }
            walk(&mut node.children, named);
        }
    }
    walk(&mut out.roots, &named);
    out
}

/// What one version's schema says of its named formats.
struct NamedFormats {
    /// The typetext of each named format, from the parameters that give one: answers name
    /// formats (`backup-fleecing`) without it.
    typetexts: BTreeMap<String, String>,
    /// The format objects of [`fixups::NAMED_FORMAT_SOURCES`], from the first parameter of
    /// that name with an object format (`pve-qm-ide` is `ide[n]`'s).
    sourced: BTreeMap<String, Map>,
}

impl NamedFormats {
    fn of(tree: &Tree) -> NamedFormats {
        let mut found = NamedFormats {
            typetexts: BTreeMap::new(),
            sourced: BTreeMap::new(),
        };
        fn walk(nodes: &[Node], out: &mut NamedFormats) {
            for node in nodes {
                for m in &node.methods {
                    for (param, schema) in &m.params {
                        match schema.format() {
                            Some(Format::Named(f)) => {
                                if let Some(t) = schema.str("typetext") {
                                    out.typetexts
                                        .entry(f.to_owned())
                                        .or_insert_with(|| t.to_owned());
                                }
                            }
                            Some(Format::Object(object)) => {
                                for (format, source) in fixups::NAMED_FORMAT_SOURCES {
                                    if source == param {
                                        out.sourced
                                            .entry((*format).to_owned())
                                            .or_insert_with(|| object.clone());
                                    }
                                }
                            }
                            None => {}
                        }
                    }
                }
                walk(&node.children, out);
            }
        }
        walk(&tree.roots, &mut found);
        found
    }

    /// The format object of the named format `name` as `schema` uses it, if it is a
    /// property string.
    fn object(&self, name: &str, schema: &Map) -> Option<Map> {
        if let Some(object) = self.sourced.get(name) {
            return Some(object.clone());
        }
        let typetext = schema
            .get("typetext")
            .and_then(Value::as_str)
            .or_else(|| self.typetexts.get(name).map(String::as_str))?;
        fixups::typetext_format(name, typetext)
    }

    /// Spells out named property-string formats in `schema` and everything inside it, and
    /// turns maps written as a `{placeholder}` property into maps.
    fn spell_out(&self, schema: &mut Map) {
        if let Some(value) = fixups::placeholder_map(schema) {
            schema.remove("properties");
            schema.insert("additionalProperties".into(), value);
        }
        if let Some(Value::String(name)) = schema.get("format") {
            let name = name.clone();
            if let Some(object) = self.object(&name, schema) {
                schema.insert("format".into(), Value::object(object));
                schema.insert(FORMAT_NAME.into(), Value::String(name));
            }
        }
        for key in ["properties", "format"] {
            if let Some(Value::Object(fields)) = schema.get_mut(key) {
                for field in Arc::make_mut(fields).values_mut() {
                    if let Value::Object(field) = field {
                        self.spell_out(Arc::make_mut(field));
                    }
                }
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(Value::Object(inner)) = schema.get_mut(key) {
                self.spell_out(Arc::make_mut(inner));
            }
        }
    }
}

impl Schema {
    /// The versions of this item, where not every version of its parent has it.
    pub fn versions(&self) -> Option<Mask> {
        versions_of(&self.0)
    }

    /// Each version's own schema of a parameter the versions check differently.
    pub fn by_version(&self) -> Vec<(Mask, Schema)> {
        self.get(BY_VERSION)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let mask = match item.get("v")? {
                            Value::Number(n) => n.parse().ok()?,
                            _ => return None,
                        };
                        Some((mask, Schema::from_value(item.get("schema")?)))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The versions of each enum value not every version lists.
    pub fn enum_versions(&self) -> BTreeMap<String, Mask> {
        self.get(ENUM_VERSIONS)
            .and_then(Value::as_object)
            .map(|values| {
                values
                    .iter()
                    .filter_map(|(v, m)| match m {
                        Value::Number(n) => Some((v.clone(), n.parse().ok()?)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// [`Schema::versions`] of a schema's map.
fn versions_of(schema: &Map) -> Option<Mask> {
    match schema.get(VERSIONS)? {
        Value::Number(n) => n.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn m(text: &str) -> Map {
        match json::parse(text).unwrap() {
            Value::Object(m) => Arc::unwrap_or_clone(m),
            _ => panic!("an object"),
        }
    }

    fn merged(versions: &[&str], mode: Mode) -> String {
        let maps: Vec<Map> = versions.iter().map(|t| m(t)).collect();
        let items: Vec<(Mask, &Map)> = maps.iter().enumerate().map(|(i, m)| (1 << i, m)).collect();
        Value::object(merge_schema(&items, mode)).to_string()
    }

    #[test]
    fn equal_schemas_take_the_newest_prose() {
        assert_eq!(
            merged(
                &[
                    r#"{"type": "integer", "description": "old"}"#,
                    r#"{"type": "integer", "description": "new"}"#
                ],
                Mode::Param
            ),
            r#"{"description":"new","type":"integer"}"#
        );
    }

    #[test]
    fn a_version_that_says_nothing_gives_way() {
        // agent/exec `command`: items without a type in 8.4, strings in 9.2.
        assert_eq!(
            merged(
                &[
                    r#"{"type": "array", "items": {}}"#,
                    r#"{"type": "array", "items": {"type": "string"}}"#
                ],
                Mode::Param
            ),
            r#"{"items":{"type":"string"},"type":"array"}"#
        );
        // An answer of `null` in one version: the other's, optional (its fields, which
        // that version lacks, too).
        assert_eq!(
            merged(
                &[
                    r#"{"type": "null"}"#,
                    r#"{"type": "object", "properties": {"a": {"type": "string"}}}"#
                ],
                Mode::Answer
            ),
            r#"{"optional":1,"properties":{"a":{"optional":1,"type":"string","x-versions":2}},"type":"object"}"#
        );
    }

    #[test]
    fn objects_take_every_field_and_mark_the_missing() {
        let out = merged(
            &[
                r#"{"type": "object", "properties": {"a": {"type": "string"}, "gone": {"type": "integer"}}}"#,
                r#"{"type": "object", "properties": {"a": {"type": "string"}, "new": {"type": "boolean"}}}"#,
            ],
            Mode::Answer,
        );
        assert_eq!(
            out,
            r#"{"properties":{"a":{"type":"string"},"gone":{"optional":1,"type":"integer","x-versions":1},"new":{"optional":1,"type":"boolean","x-versions":2}},"type":"object"}"#
        );
    }

    #[test]
    fn scalars_widen() {
        assert_eq!(
            merged(
                &[r#"{"type": "boolean"}"#, r#"{"type": "integer"}"#],
                Mode::Answer
            ),
            r#"{"type":"integer"}"#
        );
        assert_eq!(
            merged(
                &[r#"{"type": "string"}"#, r#"{"type": "boolean"}"#],
                Mode::Answer
            ),
            r#"{"type":"string"}"#
        );
        assert_eq!(
            merged(
                &[
                    r#"{"type": "boolean"}"#,
                    r#"{"type": "object", "properties": {"a": {}}}"#
                ],
                Mode::Answer
            ),
            r#"{}"#
        );
    }

    #[test]
    fn enums_take_every_value() {
        let out = merged(
            &[
                r#"{"type": "string", "enum": ["a", "old"]}"#,
                r#"{"type": "string", "enum": ["new", "a"]}"#,
            ],
            Mode::Param,
        );
        assert_eq!(
            out,
            r#"{"enum":["new","a","old"],"type":"string","x-enum-versions":{"new":2,"old":1}}"#
        );
        // A parameter free in one version is free.
        assert_eq!(
            merged(
                &[
                    r#"{"type": "string"}"#,
                    r#"{"type": "string", "enum": ["a"]}"#
                ],
                Mode::Param
            ),
            r#"{"type":"string"}"#
        );
        // An answer stays an (open) enum; a version listing no values says nothing of them.
        assert_eq!(
            merged(
                &[
                    r#"{"type": "string"}"#,
                    r#"{"type": "string", "enum": ["a"]}"#
                ],
                Mode::Answer
            ),
            r#"{"enum":["a"],"type":"string"}"#
        );
    }

    #[test]
    fn limits_keep_the_widest_bounds() {
        assert_eq!(
            merged(
                &[
                    r#"{"type": "integer", "minimum": 1, "maximum": 10}"#,
                    r#"{"type": "integer", "minimum": 0, "maximum": 100}"#
                ],
                Mode::Param
            ),
            r#"{"maximum":100,"minimum":0,"type":"integer"}"#
        );
        assert_eq!(
            merged(
                &[
                    r#"{"type": "integer", "maximum": 10}"#,
                    r#"{"type": "integer"}"#
                ],
                Mode::Param
            ),
            r#"{"type":"integer"}"#
        );
        assert_eq!(
            merged(
                &[
                    r#"{"type": "string", "pattern": "a+"}"#,
                    r#"{"type": "string", "pattern": "b+"}"#
                ],
                Mode::Param
            ),
            r#"{"pattern":"(?:a+)|(?:b+)","type":"string"}"#
        );
    }

    #[test]
    fn property_strings_take_every_key() {
        let out = merged(
            &[
                r#"{"type": "string", "format": {"model": {"type": "string"}}}"#,
                r#"{"type": "string", "format": {"model": {"type": "string"}, "host-tunnel": {"type": "boolean", "optional": 1}}}"#,
            ],
            Mode::Param,
        );
        assert_eq!(
            out,
            r#"{"format":{"host-tunnel":{"optional":1,"type":"boolean","x-versions":2},"model":{"type":"string"}},"type":"string"}"#
        );
        // Lists of different item formats check no item format.
        assert_eq!(
            merged(
                &[
                    r#"{"type": "string", "format": "pve-ha-group-node-list"}"#,
                    r#"{"type": "string", "format": "pve-ha-node-list"}"#
                ],
                Mode::Param
            ),
            r#"{"format":"string-list","type":"string"}"#
        );
    }

    #[test]
    fn trees_merge_paths_methods_and_parameters() {
        let old = crate::apidoc::parse(&json::parse(r#"[
            {"path": "/a", "info": {"GET": {"name": "a", "parameters": {"properties": {"x": {"type": "integer"}, "gone": {"type": "string"}}}}}},
            {"path": "/old", "info": {"GET": {"name": "old"}}}
        ]"#).unwrap()).unwrap();
        let new = crate::apidoc::parse(&json::parse(r#"[
            {"path": "/a", "info": {"GET": {"name": "a", "parameters": {"properties": {"x": {"type": "integer"}, "new": {"type": "string"}}}},
                                    "POST": {"name": "a2"}}}
        ]"#).unwrap()).unwrap();
        let tree = merge(&[&old, &new]);
        let a = &tree.roots[0];
        assert_eq!((a.path.as_str(), a.versions), ("/a", 0b11));
        assert_eq!(a.methods[0].versions, 0b11);
        assert_eq!(a.methods[1].versions, 0b10);
        let params: Vec<(&str, Option<Mask>, bool)> = a.methods[0]
            .params
            .iter()
            .map(|(n, s)| (n.as_str(), s.versions(), s.optional()))
            .collect();
        assert_eq!(
            params,
            [
                ("gone", Some(1), true),
                ("new", Some(2), true),
                ("x", None, false)
            ]
        );
        assert_eq!(
            (tree.roots[1].path.as_str(), tree.roots[1].versions),
            ("/old", 1)
        );
    }

    #[test]
    fn named_property_formats_are_spelled_out() {
        let tree = crate::apidoc::parse(&json::parse(r#"[
            {"path": "/a", "info": {"POST": {"name": "a", "parameters": {"properties": {
                "x": {"type": "string", "format": "pve-startup-order", "typetext": "[[order=]\\d+] [,up=\\d+]"}}},
                "returns": {"type": "object", "properties": {"y": {"type": "string", "format": "pve-startup-order"}}}}}}
        ]"#).unwrap()).unwrap();
        let tree = merge(&[&tree]);
        let m = &tree.roots[0].methods[0];
        assert!(matches!(m.params[0].1.format(), Some(Format::Object(_))));
        assert_eq!(m.params[0].1.str(FORMAT_NAME), Some("pve-startup-order"));
        let y = &m.returns.as_ref().unwrap().properties().unwrap()[0].1;
        assert!(matches!(y.format(), Some(Format::Object(_))), "answers too");
    }
}
