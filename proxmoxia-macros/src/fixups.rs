//! Where the schema needs help: its known defects and what the generator does about them,
//! all in this one table-driven module rather than as special cases elsewhere.

use crate::schema::Schema;

/// Fields whose values are secrets. Their Rust type is `proxmoxia::Secret`, which `Debug`
/// never shows. `(field, path)`: `None` matches the field on every path.
pub const SECRET_FIELDS: &[(&str, Option<&str>)] = &[
    ("password", None),
    ("new-password", None),
    ("confirmation-password", None),
    ("ticket", None),
    ("vncticket", None),
    ("tfa-challenge", None),
    ("CSRFPreventionToken", None),
    ("otp", None),
    ("secret", None),
    ("value", Some("/access/users/{userid}/token/{tokenid}")),
];

/// True when `field` at `path` holds a secret.
pub fn is_secret(field: &str, path: &str) -> bool {
    SECRET_FIELDS
        .iter()
        .any(|(name, at)| *name == field && at.is_none_or(|p| p == path))
}

/// The effective type of a schema. PVE's schema has defects (fields without `type`); they are
/// read by these rules, the first that matches:
/// * no `type`, has `properties`: an object (16 `returns` in PVE 9.2: vncproxy, termproxy,
///   spiceproxy, mtunnel, sdn, ...);
/// * no `type`, has `items`: an array (`error` of GET /cluster/mapping/usb);
/// * no `type`, has `enum`: a string enum (`type` of GET /cluster/ha/status/current);
/// * nothing at all (`{}`), `type: any`, or an unknown type: any JSON value,
///   `serde_json::Value` (GET /access/domains/{realm}, GET /cluster/ha/groups/{group});
/// * `type: array` without `items`: an array of JSON values (GET /cluster/sdn/ipams/{ipam}/status).
pub fn infer_type(schema: &Schema) -> &str {
    match schema.ty() {
        Some(ty) => ty,
        None if schema.get("properties").is_some() => "object",
        None if schema.get("items").is_some() => "array",
        None if schema.get("enum").is_some() => "string",
        None => "any",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_by_name_and_path() {
        assert!(is_secret("password", "/access/users"));
        assert!(is_secret("value", "/access/users/{userid}/token/{tokenid}"));
        assert!(!is_secret("value", "/nodes/{node}/qemu/{vmid}/pending"));
    }

    #[test]
    fn untyped_schemas_get_a_type() {
        let s = |v| Schema::from_value(&v);
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"properties": {}}"#).unwrap())),
            "object"
        );
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"items": {}}"#).unwrap())),
            "array"
        );
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"enum": ["a"]}"#).unwrap())),
            "string"
        );
        assert_eq!(infer_type(&s(crate::json::parse(r#"{}"#).unwrap())), "any");
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"type": "integer"}"#).unwrap())),
            "integer"
        );
    }
}
