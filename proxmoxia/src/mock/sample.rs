//! Answers shaped like a method's `returns` schema, for paths the fake does not model.

use serde_json::{Map, Value, json};

/// A value of `schema`'s shape: every listed property filled with a plausible value of its
/// type and format, arrays with one item.
pub(crate) fn sample(schema: &Value) -> Value {
    value(schema, 0)
}

fn value(schema: &Value, depth: usize) -> Value {
    if depth > 8 || !schema.is_object() {
        return Value::Null;
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            // The rules the generator applies to untyped schemas (see the fix-up table).
            if schema.get("properties").is_some() {
                "object"
            } else if schema.get("items").is_some() {
                "array"
            } else if schema.get("enum").is_some() {
                "string"
            } else {
                "any"
            }
        });
    match ty {
        "object" => match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                let mut out = Map::new();
                for (key, prop) in props {
                    let name = key.strip_suffix("[n]").map(|k| format!("{k}0"));
                    out.insert(name.unwrap_or_else(|| key.clone()), value(prop, depth + 1));
                }
                Value::Object(out)
            }
            None => json!({}),
        },
        "array" => match schema.get("items") {
            Some(items) => Value::Array(vec![value(items, depth + 1)]),
            None => json!([]),
        },
        "string" => Value::String(string(schema)),
        "integer" => json!(number(schema).map_or(1, |n| n as i64)),
        "number" => json!(number(schema).unwrap_or(1.0)),
        "boolean" => json!(0),
        "null" => Value::Null,
        _ => Value::Null,
    }
}

fn number(schema: &Value) -> Option<f64> {
    let read = |key: &str| match schema.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    read("minimum")
        .map(|min| min.max(1.0).min(read("maximum").unwrap_or(f64::MAX)))
        .or_else(|| read("maximum").map(|max| max.min(1.0)))
}

fn string(schema: &Value) -> String {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return match first {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    }
    let sample = match schema.get("format") {
        Some(Value::String(format)) => match format.trim_end_matches("-opt") {
            "pve-node" => "pve1",
            "pve-vmid" => "100",
            "pve-storage-id" => "local",
            "pve-configid" => "net0",
            "pve-userid" => "root@pam",
            "pve-tokenid" => "root@pam!token",
            "pve-realm" => "pam",
            "pve-poolid" => "pool1",
            "pve-groupid" => "admins",
            "pve-roleid" => "PVEAdmin",
            "pve-iface" => "vmbr0",
            "pve-bridge-id" => "vmbr0",
            "pve-volume-id" | "pve-volume-id-or-qm-path" => "local:iso/example.iso",
            "ip" | "ipv4" | "address" | "pve-storage-server" => "192.0.2.10",
            "ipv6" => "fd00::10",
            "CIDR" | "CIDRv4" | "IPorCIDR" | "IPorCIDRorAlias" => "192.0.2.0/24",
            "CIDRv6" => "fd00::/64",
            "ipv4mask" => "255.255.255.0",
            "mac-addr" => "BC:24:11:00:00:01",
            "dns-name" => "pve1.example.org",
            "email" | "email-or-username" => "root@example.org",
            "disk-size" => "32G",
            "pve-storage-content" => "iso",
            "pve-storage-path" => "/var/lib/vz",
            "pve-startup-order" => "order=1",
            "pve-tag" => "tag1",
            f if f.ends_with("-list") => "",
            _ => "example",
        },
        // A property string: no key is required to read one.
        Some(Value::Object(_)) => "",
        _ => "example",
    };
    sample.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_schema() {
        let schema = json!({"type": "array", "items": {"type": "object", "properties": {
            "node": {"type": "string", "format": "pve-node"},
            "status": {"type": "string", "enum": ["online", "offline"]},
            "maxcpu": {"type": "integer", "minimum": 1, "optional": 1},
            "cpu": {"type": "number"},
            "net[n]": {"type": "string"},
            "up": {"type": "boolean"}}}});
        let v = sample(&schema);
        assert_eq!(v[0]["node"], "pve1");
        assert_eq!(v[0]["status"], "online");
        assert_eq!(v[0]["maxcpu"], 1);
        assert_eq!(v[0]["net0"], "example");
        assert_eq!(sample(&json!({"type": "null"})), Value::Null);
        assert_eq!(sample(&json!({})), Value::Null);
    }
}
