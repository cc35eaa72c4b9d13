//! The schema model: PVE's `apidoc.js` tree, read from JSON.
//!
//! Paths and methods are parsed into structs; JSON-schema fragments stay JSON values behind
//! [`Schema`], whose accessors apply the leniencies PVE's own dump needs (`optional` as `1`,
//! `"1"` or `true`; numbers written as strings).

use std::sync::Arc;

use crate::json::{Map, Value};
use crate::versions::Mask;

/// The whole API.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The top-level paths (`/access`, `/cluster`, `/nodes`, ...).
    pub roots: Vec<Node>,
}

/// One path of the API.
#[derive(Debug, Clone)]
pub struct Node {
    /// The full path template (`/nodes/{node}/qemu`).
    pub path: String,
    /// Its last segment.
    pub segment: Segment,
    /// Its methods, in GET, POST, PUT, DELETE order.
    pub methods: Vec<Method>,
    /// Sub-paths.
    pub children: Vec<Node>,
    /// The versions that have this path (see `merge`); 1 in a schema read from one file.
    pub versions: Mask,
}

/// A path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `qemu`
    Literal(String),
    /// `{vmid}`
    Param(String),
}

impl Segment {
    fn parse(text: &str) -> Segment {
        match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => Segment::Param(name.to_owned()),
            None => Segment::Literal(text.to_owned()),
        }
    }

    /// The segment's name (without braces).
    pub fn name(&self) -> &str {
        match self {
            Segment::Literal(s) | Segment::Param(s) => s,
        }
    }
}

/// An HTTP verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    pub const ALL: [Verb; 4] = [Verb::Get, Verb::Post, Verb::Put, Verb::Delete];

    pub fn upper(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    pub fn lower(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Delete => "delete",
        }
    }

    /// The runtime's `HttpMethod` variant name.
    pub fn camel(self) -> &'static str {
        match self {
            Verb::Get => "Get",
            Verb::Post => "Post",
            Verb::Put => "Put",
            Verb::Delete => "Delete",
        }
    }
}

/// One method of one path.
#[derive(Debug, Clone)]
pub struct Method {
    pub verb: Verb,
    /// apidoc's `name` (`vm_status`, `create_vm`, `index`).
    pub name: String,
    pub description: String,
    /// The `parameters.properties`, in name order.
    pub params: Vec<(String, Schema)>,
    /// The `returns` schema; `None` when the method declares none.
    pub returns: Option<Schema>,
    /// The `permissions` object, if any.
    pub permissions: Option<Value>,
    pub allowtoken: bool,
    /// The versions that have this method (see `merge`); 1 in a schema read from one file.
    pub versions: Mask,
}

/// A JSON-schema fragment of PVE's dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema(pub Arc<Map>);

/// A `format`: a named format, or a property-string description.
#[derive(Debug, Clone, PartialEq)]
pub enum Format<'a> {
    Named(&'a str),
    Object(&'a Map),
}

impl Schema {
    pub fn new(map: Map) -> Schema {
        Schema(Arc::new(map))
    }

    pub fn empty() -> Schema {
        Schema::new(Map::new())
    }

    pub fn from_value(value: &Value) -> Schema {
        match value {
            Value::Object(map) => Schema(map.clone()),
            _ => Schema::empty(),
        }
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// `type`, if given.
    pub fn ty(&self) -> Option<&str> {
        self.str("type")
    }

    pub fn description(&self) -> Option<&str> {
        self.str("description")
            .or_else(|| self.str("verbose_description"))
            .filter(|d| !d.trim().is_empty())
    }

    /// True when the field may be left out. PVE writes `1`, `"1"` or `true`.
    pub fn optional(&self) -> bool {
        truthy(self.0.get("optional"))
    }

    /// The `enum` list as strings (numbers written out).
    pub fn enum_values(&self) -> Option<Vec<String>> {
        enum_values(&self.0)
    }

    pub fn format(&self) -> Option<Format<'_>> {
        match self.0.get("format")? {
            Value::String(s) => Some(Format::Named(s.as_str())),
            Value::Object(map) => Some(Format::Object(map)),
            _ => None,
        }
    }

    /// `properties`, in name order.
    pub fn properties(&self) -> Option<Vec<(String, Schema)>> {
        let map = self.0.get("properties")?.as_object()?;
        Some(
            map.iter()
                .map(|(k, v)| (k.clone(), Schema::from_value(v)))
                .collect(),
        )
    }

    pub fn items(&self) -> Option<Schema> {
        self.0.get("items").map(Schema::from_value)
    }

    /// `additionalProperties` when it is a schema (not `0`/`1`).
    pub fn additional_schema(&self) -> Option<Schema> {
        match self.0.get("additionalProperties")? {
            Value::Object(map) if !map.is_empty() => Some(Schema(map.clone())),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
}

pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.parse::<f64>().is_ok_and(|n| n != 0.0),
        Some(Value::String(s)) => !matches!(s.trim(), "" | "0"),
        _ => false,
    }
}

/// Reads the apidoc tree: a JSON array of nodes (the `apiSchema` of `apidoc.js`).
pub fn parse(json: &Value) -> Result<Tree, String> {
    let roots = json
        .as_array()
        .ok_or("the schema must be a JSON array of path nodes (apidoc.js's apiSchema)")?;
    let roots = roots
        .iter()
        .map(parse_node)
        .collect::<Result<Vec<_>, _>>()?;
    if roots.is_empty() {
        return Err("the schema has no paths".into());
    }
    Ok(Tree { roots })
}

fn parse_node(value: &Value) -> Result<Node, String> {
    let obj = value.as_object().ok_or("a path node is not an object")?;
    let path = obj
        .get("path")
        .and_then(Value::as_str)
        .ok_or("a path node has no `path`")?
        .to_owned();
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.is_empty() {
        return Err(format!("path {path:?} has an empty segment"));
    }
    let segment = Segment::parse(last);
    let mut methods = Vec::new();
    if let Some(info) = obj.get("info").and_then(Value::as_object) {
        for verb in Verb::ALL {
            if let Some(m) = info.get(verb.upper()) {
                methods.push(
                    parse_method(verb, m).map_err(|e| format!("{} {path}: {e}", verb.upper()))?,
                );
            }
        }
    }
    let children = match obj.get("children") {
        Some(Value::Array(items)) => items
            .iter()
            .map(parse_node)
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    for child in &children {
        let parent_of_child = child.path.rsplit_once('/').map(|(p, _)| p);
        if parent_of_child != Some(path.as_str()) {
            return Err(format!("{} is listed under {path}", child.path));
        }
    }
    Ok(Node {
        path,
        segment,
        methods,
        children,
        versions: 1,
    })
}

fn parse_method(verb: Verb, value: &Value) -> Result<Method, String> {
    let obj = value.as_object().ok_or("method info is not an object")?;
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .ok_or("method has no `name`")?
        .to_owned();
    let parameters = obj.get("parameters").map(Schema::from_value);
    let params = parameters
        .as_ref()
        .and_then(Schema::properties)
        .unwrap_or_default();
    Ok(Method {
        verb,
        name,
        description: obj
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        params,
        returns: obj.get("returns").map(Schema::from_value),
        permissions: obj.get("permissions").cloned(),
        allowtoken: truthy(obj.get("allowtoken")),
        versions: 1,
    })
}

impl Node {
    /// The single `{param}` child, when this is a collection (`/nodes` -> `{node}`).
    pub fn param_child(&self) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| matches!(c.segment, Segment::Param(_)))
    }
}

/// The `enum` list of a schema's map as strings (numbers written out).
pub fn enum_values(schema: &Map) -> Option<Vec<String>> {
    let values = schema.get("enum")?.as_array()?;
    let out: Vec<String> = values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_methods_and_lenient_keys() {
        let tree = parse(&crate::json::parse(r#"[{
            "path": "/nodes", "text": "nodes", "leaf": 0,
            "info": {"GET": {"method": "GET", "name": "index", "description": "List.",
                              "parameters": {"properties": {"x": {"type": "integer", "optional": "1", "maximum": "16"}}}}},
            "children": [{"path": "/nodes/{node}", "text": "{node}", "leaf": 1, "info": {}}]
        }]"#).unwrap())
        .unwrap();
        let nodes = &tree.roots[0];
        assert_eq!(nodes.methods[0].name, "index");
        let (name, x) = &nodes.methods[0].params[0];
        assert_eq!(name, "x");
        assert!(x.optional());
        assert_eq!(x.get("maximum").and_then(|v| v.as_str()), Some("16"));
        assert_eq!(
            nodes.param_child().unwrap().segment,
            Segment::Param("node".into())
        );
    }

    #[test]
    fn malformed_schemas_are_errors() {
        assert!(parse(&crate::json::parse(r#"{}"#).unwrap()).is_err());
        assert!(parse(&crate::json::parse(r#"[{"text": "x"}]"#).unwrap()).is_err());
        assert!(
            parse(
                &crate::json::parse(r#"[{"path": "/a", "children": [{"path": "/b/c"}]}]"#).unwrap()
            )
            .is_err()
        );
    }
}
