//! The vendored PVE schemas themselves (`schemas` feature), for what the catalogue leaves
//! out: the shapes of the answers.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::Method;

/// The vendored PVE schemas, oldest first, as `(version, JSON text)`: the `apidoc` files
/// (PVE's API viewer's `apidoc.js` tree) as the typed API reads them, corrected by its
/// supplement. The version at index `i` is [`versions()`](super::versions)`[i]`.
///
/// ```
/// let (version, text) = proxmoxia::catalog::schemas()[0];
/// assert_eq!(version, proxmoxia::catalog::versions()[0]);
/// let tree: serde_json::Value = serde_json::from_str(text).unwrap();
/// assert!(tree.as_array().unwrap().iter().any(|node| node["path"] == "/nodes"));
/// ```
pub fn schemas() -> &'static [(&'static str, &'static str)] {
    crate::api::__schemas::SCHEMAS
}

impl Method {
    /// The schema of the method's answer (PVE's `returns`), as the newest vendored version
    /// that has the method states it; `None` when that version states none. Each version's
    /// schema is parsed when first asked for.
    ///
    /// ```
    /// use proxmoxia::catalog;
    /// use proxmoxia::typed::HttpMethod;
    ///
    /// let vms = catalog::method(HttpMethod::Get, "/nodes/{node}/qemu").unwrap();
    /// let answer = vms.answer_schema().unwrap();
    /// assert_eq!(answer["type"], "array");
    /// assert_eq!(answer["items"]["properties"]["vmid"]["type"], "integer");
    /// ```
    pub fn answer_schema(&self) -> Option<&'static Value> {
        let key = format!("{} {}", self.method.as_str(), self.path);
        (0..schemas().len())
            .rev()
            .filter(|i| self.versions & (1 << i) != 0)
            .find_map(|i| answers(i)?.get(&key))
    }
}

/// `"GET /nodes/{node}/qemu"` → its answer's schema, in the vendored version at `index`.
fn answers(index: usize) -> Option<&'static HashMap<String, Value>> {
    static PARSED: OnceLock<Vec<OnceLock<HashMap<String, Value>>>> = OnceLock::new();
    let slots = PARSED.get_or_init(|| schemas().iter().map(|_| OnceLock::new()).collect());
    let (_, text) = schemas().get(index)?;
    Some(slots.get(index)?.get_or_init(|| {
        let mut map = HashMap::new();
        if let Ok(tree) = serde_json::from_str::<Value>(text) {
            collect(&tree, &mut map);
        }
        map
    }))
}

fn collect(nodes: &Value, map: &mut HashMap<String, Value>) {
    for node in nodes.as_array().into_iter().flatten() {
        let path = node.get("path").and_then(Value::as_str).unwrap_or_default();
        let methods = node.get("info").and_then(Value::as_object);
        for (method, schema) in methods.into_iter().flatten() {
            if let Some(returns) = schema.get("returns") {
                map.insert(format!("{method} {path}"), returns.clone());
            }
        }
        if let Some(children) = node.get("children") {
            collect(children, map);
        }
    }
}
