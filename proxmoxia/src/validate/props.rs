//! Checking a property string (`virtio=BC:24:11:00:00:01,bridge=vmbr0`) against its format
//! in one pass over its text: values are slices of it (a quoted value with escapes is the
//! only one copied), kept in a table of the format's keys on the stack. PVE's reading is
//! followed to the letter ([`crate::typed::propstring::parse`] is the reader of answers):
//! the same errors, in the same order.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;
use smallvec::SmallVec;

use super::{Name, check_text, fail};
use crate::error::Result;
use crate::typed::propstring::{
    BothChecks, KeySlots, Parts, PropertyString, from_text, print_keys, quotes_close, split_key,
    unquote,
};
use crate::typed::rules::PropFormat;

fn invalid(name: impl std::fmt::Display, message: impl std::fmt::Display) -> crate::Error {
    fail(
        name,
        "property string",
        format!("invalid format - {message}"),
    )
}

/// Checks `text` as a property string of `format`; errors name `param.key`.
pub(crate) fn check<'t>(param: &str, text: &'t str, format: &'t PropFormat) -> Result<()> {
    if !quotes_close(text) {
        return Err(invalid(param, "unterminated quoted value"));
    }
    // The largest PVE format, a `scsi` disk, has about 50 keys: on the stack.
    let mut values: SmallVec<[Option<Cow<'t, str>>; 64]> =
        SmallVec::from_elem(None, format.keys.len());
    let mut unknown: Unknown<'t> = Unknown::default();
    for part in Parts(text) {
        let (key, raw) = match split_key(part) {
            Some((key, value)) if !key.is_empty() && !key.starts_with('"') => (key, value),
            _ => match format.default_key.as_deref() {
                Some(key) => (key, part),
                None => {
                    return Err(invalid(
                        param,
                        format!(
                            "value without key, but schema does not define a default key ({part:?})"
                        ),
                    ));
                }
            },
        };
        let value = unquote(raw).map_err(|message| invalid(param, message))?;
        let mut set = |k: &'t str, v: Cow<'t, str>| -> Result<()> {
            let fresh = match format.key_index(k) {
                Some(at) => values[at].replace(v).is_none(),
                None => unknown.insert(k),
            };
            if fresh {
                Ok(())
            } else {
                Err(invalid(
                    Name::key(param, k),
                    "duplicate key in comma-separated list property",
                ))
            }
        };
        match format.key(key) {
            Some(entry) if entry.alias.is_some() => {
                let target = entry.alias.as_deref().unwrap_or_default();
                if let Some(key_alias) = entry.key_alias.as_deref() {
                    set(key_alias, Cow::Borrowed(key))?;
                }
                set(target, value)?;
            }
            _ => set(key, value)?,
        }
    }
    if let Some(key) = unknown.first() {
        return Err(unknown_key(param, key));
    }
    known_keys(
        param,
        format,
        |at| values[at].is_some(),
        |name, at| {
            check_text(
                name,
                values[at].as_deref().unwrap_or_default(),
                &format.keys[at].rule,
            )
        },
    )
}

/// The error of a key the format does not know (PVE names the first in sorted order).
fn unknown_key(param: &str, key: &str) -> crate::Error {
    fail(
        Name::key(param, key),
        "property string key",
        format!("invalid format - invalid key in comma-separated list property: {key}"),
    )
}

/// The checks of a property string's known keys, in the format's order (PVE's): the value of
/// each given key (`check_value`), the key it requires, and the keys that must be given.
/// `given` says whether a key is set; keys are named by their position in the format.
fn known_keys(
    param: &str,
    format: &PropFormat,
    given: impl Fn(usize) -> bool,
    mut check_value: impl FnMut(Name<'_>, usize) -> Result<()>,
) -> Result<()> {
    for (at, key) in format.keys.iter().enumerate() {
        if key.alias.is_some() {
            continue;
        }
        let name = Name::key(param, &key.key);
        if given(at) {
            check_value(name, at)?;
            if let Some(other) = key.rule.requires.as_deref() {
                if !format.key_index(other).is_some_and(&given) {
                    return Err(fail(
                        Name::key(param, other),
                        "requires",
                        format!("missing property required by '{name}'"),
                    ));
                }
            }
        } else if !key.rule.optional {
            return Err(fail(
                name,
                "required",
                "property is missing and it is not optional",
            ));
        }
    }
    Ok(())
}

/// Checks a typed property string of parameter `param` from its typed `keys` (`extra`: the
/// keys the schema does not list, none of them a known key): what [`check`] finds in its
/// text, in the same order, without reading the text.
pub(crate) fn check_keys(
    param: &str,
    keys: &KeySlots,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    // The first unknown key in sorted order, as PVE names it (`extra` is sorted).
    if let Some(key) = extra.keys().next() {
        return Err(unknown_key(param, key));
    }
    let format = keys.format();
    known_keys(
        param,
        format,
        |at| keys.get(at).is_some(),
        |name, at| {
            keys.get(at).map_or(Ok(()), |v| {
                super::check_value(name, v, &format.keys[at].rule)
            })
        },
    )
}

/// The text of a property string to send as parameter `name`, checked against its format
/// from its typed keys (the outcome noted in `checked`), so that validation need not read the
/// text again. Text PVE sent that could not be read, and keys set twice (a known key among
/// the extra ones), are left to the check of the text.
pub(crate) fn encode_checked<T: PropertyString>(
    value: &T,
    name: &str,
    checked: &mut crate::typed::encode::Prechecked,
) -> Value {
    use crate::typed::encode::Precheck;
    let format = T::format();
    if let Some(unparsed) = value.unparsed() {
        checked.note(name, Precheck::Read);
        return Value::String(unparsed.raw.clone());
    }
    let keys = KeySlots::of(value, format);
    let extra = value.extra();
    let outcome = if extra.keys().any(|key| format.key_index(key).is_some()) {
        Precheck::Read
    } else {
        match check_keys(name, &keys, extra) {
            Ok(()) => Precheck::Good,
            Err(e) => Precheck::Failed(e),
        }
    };
    checked.note(name, outcome);
    Value::String(print_keys(&keys, extra))
}

/// `text` read as a `T` (`None` if it does not read), checked as parameter `param` from its
/// typed keys (as sending does) and by reading its printed text (as validation of text does).
#[doc(hidden)]
pub fn check_both<T: PropertyString>(param: &str, text: &str) -> Option<BothChecks> {
    use crate::typed::encode::{Precheck, Prechecked};
    let value = from_text::<T>(text).ok()?;
    let mut checked = Prechecked::default();
    let printed = encode_checked(&value, param, &mut checked);
    let typed = match checked.take(param) {
        Precheck::Good => Some(Ok(())),
        Precheck::Failed(e) => Some(Err(e.to_string())),
        Precheck::Read => None,
    };
    let read = check(param, printed.as_str()?, T::format()).map_err(|e| e.to_string());
    Some((typed, read))
}

/// Keys the format does not know, seen so far: for duplicates, and the first in order for
/// the error (PVE names the first in sorted order).
#[derive(Default)]
struct Unknown<'a>(SmallVec<[&'a str; 8]>);

impl<'a> Unknown<'a> {
    /// Adds `key`; false if it was there.
    fn insert(&mut self, key: &'a str) -> bool {
        if self.0.contains(&key) {
            return false;
        }
        self.0.push(key);
        true
    }

    fn first(&self) -> Option<&'a str> {
        self.0.iter().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typed::propstring;
    use crate::typed::rules;

    fn net() -> &'static PropFormat {
        rules::prop_format(
            r#"{"name":"Net","dk":"model","k":[{"k":"bridge","r":{"t":"s","o":1,"p":"[-_.\\w\\d]+"}},{"k":"firewall","r":{"t":"b","o":1}},{"k":"macaddr","r":{"t":"s","o":1,"f":"mac-addr"}},{"k":"model","r":{"t":"s","e":["virtio","e1000"]}},{"k":"virtio","a":"macaddr","ka":"model"},{"k":"e1000","a":"macaddr","ka":"model"},{"k":"tag","r":{"t":"i","o":1,"min":1,"max":4094}},{"k":"trunks","r":{"t":"s","o":1,"req":"tag"}}]}"#,
        )
    }

    /// The error of the one-pass check, as (param, rule, message).
    fn verdict(text: &str) -> Option<(String, String, String)> {
        match check("net0", text, net()) {
            Ok(()) => None,
            Err(crate::Error::Validation(e)) => Some((e.param, e.rule, e.message)),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn one_pass_agrees_with_the_reader() {
        for text in [
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
            "virtio,bridge=vmbr0",
            "model=virtio,bridge=\"vm,br0\"",
            r#"model=virtio,bridge="a\"b""#,
            "bridge=\"x",
            "model=a,model=b",
            "virtio=A,e1000=B",
            "\"a",
            "virtio,zz=1,aa=2",
            "virtio,zz=1,zz=2",
            "bridge=vmbr0",
            "virtio,tag=5000",
            "virtio,trunks=1;2",
            ",,virtio,,",
            "model=\"virtio\"",
            "model=\"vir\"tio\"",
            "model=\"virtio\\",
        ] {
            let got = verdict(text);
            // The reader's errors, as validation reported them before: parse errors first.
            match propstring::parse(text, net()) {
                Err(e) => {
                    let (param, rule, message) = got.clone().unwrap_or_default();
                    let want = match &e.key {
                        Some(key) => format!("net0.{key}"),
                        None => "net0".to_owned(),
                    };
                    assert_eq!(
                        (param.as_str(), rule.as_str()),
                        (want.as_str(), "property string"),
                        "{text}"
                    );
                    assert_eq!(message, format!("invalid format - {}", e.message), "{text}");
                }
                Ok(pairs) => {
                    if let Some(key) = pairs.unknown.keys().next() {
                        let got = got.unwrap_or_default();
                        assert_eq!(got.0, format!("net0.{key}"), "{text}");
                        assert_eq!(got.1, "property string key", "{text}");
                    }
                }
            }
        }
        assert_eq!(
            verdict("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1"),
            None
        );
        let tag = verdict("virtio,tag=5000").unwrap_or_default();
        assert_eq!((tag.0.as_str(), tag.1.as_str()), ("net0.tag", "maximum"));
        let req = verdict("virtio,trunks=1;2").unwrap_or_default();
        assert_eq!((req.0.as_str(), req.1.as_str()), ("net0.tag", "requires"));
        let missing = verdict("bridge=vmbr0").unwrap_or_default();
        assert_eq!(
            (missing.0.as_str(), missing.1.as_str()),
            ("net0.model", "required")
        );
        let mac = verdict("virtio=BD:24:11:00:00:01").unwrap_or_default();
        assert_eq!(mac.0, "net0.macaddr");
    }
}
