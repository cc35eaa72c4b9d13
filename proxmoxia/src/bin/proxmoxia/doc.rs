//! What PVE's schema says of a method beyond its rules: the vendored versions by name and the
//! key naming a list answer's children, as the catalogue keeps them; the answer's full schema
//! (pvesh's `text` output is laid out by it), read from the vendored schemas the embedded fake
//! carries, each parsed on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use proxmoxia::catalog::Method;
use serde_json::Value;

/// The schema of `method`'s answer in the newest vendored version that has the method.
pub fn returns(method: &Method) -> Option<&'static Value> {
    let schemas = proxmoxia::api::__mock::SCHEMAS;
    (0..schemas.len()).rev().find_map(|i| {
        if method.versions & (1 << i) == 0 {
            return None;
        }
        let key = format!("{} {}", method.method, method.path);
        answers(i)?.get(&key)
    })
}

/// `"GET /nodes/{node}/qemu"` → its answer's schema, for the vendored version at `index`.
fn answers(index: usize) -> Option<&'static HashMap<String, Value>> {
    static PARSED: OnceLock<Vec<OnceLock<HashMap<String, Value>>>> = OnceLock::new();
    let schemas = proxmoxia::api::__mock::SCHEMAS;
    let slots = PARSED.get_or_init(|| schemas.iter().map(|_| OnceLock::new()).collect());
    Some(slots.get(index)?.get_or_init(|| {
        let mut map = HashMap::new();
        let text = schemas.get(index).map_or("[]", |(_, text)| text);
        if let Ok(tree) = serde_json::from_str::<Value>(text) {
            collect(&tree, &mut map);
        }
        map
    }))
}

fn collect(nodes: &Value, map: &mut HashMap<String, Value>) {
    for node in nodes.as_array().into_iter().flatten() {
        let path = node.get("path").and_then(Value::as_str).unwrap_or_default();
        for (method, schema) in node
            .get("info")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(returns) = schema.get("returns") {
                map.insert(format!("{method} {path}"), returns.clone());
            }
        }
        if let Some(children) = node.get("children") {
            collect(children, map);
        }
    }
}

/// The vendored versions in a mask, as `8.4.17, 9.2`.
pub fn versions(mask: u32) -> Vec<String> {
    proxmoxia::catalog::versions()
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, l)| (*l).to_owned())
        .collect()
}

/// The key whose values name the children of a list answer (`vmid` for `/nodes/{node}/qemu`):
/// the schema's child link, else `fallback`.
pub fn link_key(get: Option<&Method>, fallback: &str) -> String {
    get.and_then(|m| m.child_link)
        .unwrap_or(fallback)
        .to_owned()
}
