//! What PVE's schema says of a method beyond its rules: descriptions, types as the API viewer
//! writes them, defaults, permissions, the answer's links. Read from the vendored schemas the
//! API is generated from (embedded with the `mock` feature), each parsed on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use proxmoxia::__private::EndpointEntry;
use serde_json::Value;

/// The schema text of each vendored version, oldest first.
fn schemas() -> &'static [(&'static str, &'static str)] {
    proxmoxia::api::__mock::SCHEMAS
}

/// `"GET /nodes/{node}/qemu"` → the method's schema, for the vendored version at `index`.
fn methods(index: usize) -> Option<&'static HashMap<String, Value>> {
    static PARSED: OnceLock<Vec<OnceLock<HashMap<String, Value>>>> = OnceLock::new();
    let slots = PARSED.get_or_init(|| schemas().iter().map(|_| OnceLock::new()).collect());
    let slot = slots.get(index)?;
    Some(slot.get_or_init(|| {
        let mut map = HashMap::new();
        let text = schemas().get(index).map_or("[]", |(_, text)| text);
        if let Ok(tree) = serde_json::from_str::<Value>(text) {
            collect(&tree, &mut map);
        }
        map
    }))
}

fn collect(nodes: &Value, map: &mut HashMap<String, Value>) {
    for node in nodes.as_array().into_iter().flatten() {
        let path = node.get("path").and_then(Value::as_str).unwrap_or_default();
        if let Some(info) = node.get("info").and_then(Value::as_object) {
            for (method, schema) in info {
                map.insert(format!("{method} {path}"), schema.clone());
            }
        }
        if let Some(children) = node.get("children") {
            collect(children, map);
        }
    }
}

/// The newest vendored version that has the method, and its schema there.
pub fn method(entry: &EndpointEntry) -> Option<(&'static str, &'static Value)> {
    let labels = entry.info.labels;
    (0..labels.len()).rev().find_map(|i| {
        if entry.info.versions & (1 << i) == 0 {
            return None;
        }
        let key = format!("{} {}", entry.info.method, entry.info.path);
        Some((labels[i], methods(i)?.get(&key)?))
    })
}

/// The vendored versions in a mask, as `8.4.17, 9.2`.
pub fn versions(mask: u32, labels: &[&str]) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, l)| (*l).to_owned())
        .collect()
}

/// The key whose values name the children of a list answer (`vmid` for `/nodes/{node}/qemu`):
/// the schema's child link, else `fallback`.
pub fn link_key(get: Option<&EndpointEntry>, fallback: &str) -> String {
    get.and_then(method)
        .and_then(|(_, m)| m.pointer("/returns/links/0/href"))
        .and_then(Value::as_str)
        .and_then(|href| href.strip_prefix('{')?.strip_suffix('}'))
        .unwrap_or(fallback)
        .to_owned()
}

/// A parameter's type as the API viewer writes it (`<integer> (1 - 8192)`, `<a | b>`).
pub fn type_text(schema: &Value) -> String {
    if let Some(text) = schema.get("typetext").and_then(Value::as_str) {
        return text.to_owned();
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        return format!("<{}>", values.join(" | "));
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    let number = |k: &str| {
        schema
            .get(k)
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
