//! The schema at run time: which paths exist, and what each method answers.
//!
//! The same vendored `apidoc` files the typed API is generated from
//! ([`crate::catalog::schemas`], which `mock` turns on), each read once.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// One method of one path.
#[derive(Debug)]
pub(crate) struct MethodInfo {
    pub(crate) returns: Value,
    /// `permissions.user == "world"`: no login needed.
    pub(crate) world: bool,
    pub(crate) allowtoken: bool,
    /// Parameters the schema does not list are accepted: PVE refuses them only where the
    /// method says `additionalProperties: 0` (most do).
    pub(crate) extra_params: bool,
}

/// A node of the path tree.
#[derive(Debug, Default)]
pub(crate) struct PathNode {
    pub(crate) template: String,
    pub(crate) literals: BTreeMap<String, PathNode>,
    /// The `{param}` child: its name and node.
    pub(crate) param: Option<(String, Box<PathNode>)>,
    pub(crate) methods: BTreeMap<String, MethodInfo>,
}

/// A request path resolved against the schema.
#[derive(Debug)]
pub(crate) struct Match<'a> {
    pub(crate) node: &'a PathNode,
    pub(crate) params: BTreeMap<String, String>,
}

/// The parsed schema of the vendored version at `index` (read once, when first played).
pub(crate) fn tree(index: usize) -> &'static PathNode {
    static TREES: OnceLock<Vec<OnceLock<PathNode>>> = OnceLock::new();
    let trees = TREES.get_or_init(|| {
        crate::catalog::schemas()
            .iter()
            .map(|_| OnceLock::new())
            .collect()
    });
    static EMPTY: OnceLock<PathNode> = OnceLock::new();
    let Some(slot) = trees.get(index) else {
        return EMPTY.get_or_init(PathNode::default);
    };
    slot.get_or_init(|| {
        let text = crate::catalog::schemas()
            .get(index)
            .map_or("null", |(_, json)| json);
        let json: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let mut root = PathNode {
            template: String::new(),
            ..PathNode::default()
        };
        for node in json.as_array().into_iter().flatten() {
            insert(&mut root, node);
        }
        root
    })
}

fn insert(parent: &mut PathNode, node: &Value) {
    let Some(path) = node.get("path").and_then(Value::as_str) else {
        return;
    };
    let segment = path.rsplit('/').next().unwrap_or_default();
    let child = if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let slot = parent
            .param
            .get_or_insert_with(|| (name.to_owned(), Box::new(PathNode::default())));
        &mut *slot.1
    } else {
        parent.literals.entry(segment.to_owned()).or_default()
    };
    child.template = path.to_owned();
    if let Some(info) = node.get("info").and_then(Value::as_object) {
        for (method, m) in info {
            let perms = m.get("permissions");
            child.methods.insert(
                method.clone(),
                MethodInfo {
                    returns: m.get("returns").cloned().unwrap_or(Value::Null),
                    world: perms.and_then(|p| p.get("user")).and_then(Value::as_str)
                        == Some("world"),
                    allowtoken: m.get("allowtoken").and_then(Value::as_u64) != Some(0),
                    extra_params: m
                        .get("parameters")
                        .and_then(|p| p.get("additionalProperties"))
                        .is_none_or(|a| a.as_u64() != Some(0) && a.as_bool() != Some(false)),
                },
            );
        }
    }
    for c in node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        insert(child, c);
    }
}

/// Parameters that may hold `/` and so take the rest of the path (a volume id
/// `local:iso/x.iso` written without escaping).
const GREEDY: &[&str] = &["volume", "cidr"];

/// Resolves decoded path segments against the tree.
pub(crate) fn resolve<'a>(root: &'a PathNode, segments: &[String]) -> Option<Match<'a>> {
    fn walk<'a>(
        node: &'a PathNode,
        segments: &[String],
        params: &mut BTreeMap<String, String>,
    ) -> Option<&'a PathNode> {
        let Some((first, rest)) = segments.split_first() else {
            return Some(node);
        };
        if let Some(child) = node.literals.get(first) {
            if let Some(found) = walk(child, rest, params) {
                return Some(found);
            }
        }
        let (name, child) = node.param.as_ref()?;
        if first.is_empty() {
            return None;
        }
        if GREEDY.contains(&name.as_str()) && child.literals.is_empty() && child.param.is_none() {
            params.insert(name.clone(), segments.join("/"));
            return Some(child);
        }
        params.insert(name.clone(), first.clone());
        walk(child, rest, params)
    }
    let mut params = BTreeMap::new();
    let node = walk(root, segments, &mut params)?;
    (!node.template.is_empty()).then_some(Match { node, params })
}
