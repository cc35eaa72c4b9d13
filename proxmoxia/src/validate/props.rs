//! Checking a property string (`virtio=BC:24:11:00:00:01,bridge=vmbr0`) against its format:
//! read as [`crate::values::propstring`] reads it (its errors are PVE's), then each key's
//! value checked in the format's order (PVE's).

use super::{At, Name, check_text, fail};
use crate::catalog::PropFormat;
use crate::error::Result;
use crate::values::propstring;

/// Checks `text` as a property string of `format` (as the version `at` has its keys);
/// errors name `param.key`.
pub(super) fn check(param: &str, text: &str, format: &PropFormat, at: At) -> Result<()> {
    let read = propstring::read(text, format).map_err(|e| {
        let message = format!("invalid format - {}", e.message);
        match e.key {
            Some(key) => fail(Name::key(param, &key), "property string", message),
            None => fail(param, "property string", message),
        }
    })?;
    // A key the format does not list, or that this version lacks: PVE names the first in
    // sorted order.
    let lacking = format
        .keys
        .iter()
        .zip(&read.known)
        .filter(|(key, value)| value.is_some() && !at.has(key.versions))
        .map(|(key, _)| key.key);
    if let Some(key) = read
        .unknown
        .iter()
        .map(|(key, _)| *key)
        .chain(lacking)
        .min()
    {
        return Err(fail(
            Name::key(param, key),
            "property string key",
            format!("invalid format - invalid key in comma-separated list property: {key}"),
        ));
    }
    for (key, value) in format.keys.iter().zip(&read.known) {
        if key.alias.is_some() {
            continue;
        }
        let name = Name::key(param, key.key);
        let Some(value) = value else {
            if !key.rule.optional {
                return Err(fail(
                    name,
                    "required",
                    "property is missing and it is not optional",
                ));
            }
            continue;
        };
        check_text(name, value, key.rule, at)?;
        if let Some(other) = key.rule.requires {
            if format
                .key_index(other)
                .is_none_or(|other| read.known[other].is_none())
            {
                return Err(fail(
                    Name::key(param, other),
                    "requires",
                    format!("missing property required by '{name}'"),
                ));
            }
        }
    }
    Ok(())
}
