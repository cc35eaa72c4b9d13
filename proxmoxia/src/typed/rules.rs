//! The schema's rules as static data, generated per parameter and per property-string key.
//!
//! The generator writes these tables; [`crate::validate`] checks values against them and
//! [`super::propstring`] parses and prints property strings with them, so all the logic is
//! written once here and the generated code is data.

/// The JSON type a value must have on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `1`/`0` and PVE's other spellings.
    Bool,
    /// An integer.
    Int,
    /// A number.
    Num,
    /// A string.
    Str,
    /// Anything.
    Any,
}

/// What a string value must look like beyond length and pattern.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// Nothing more.
    None,
    /// A named format of PVE (`pve-vmid`, `mac-addr`, `ipv4`, ...).
    Named(&'static str),
    /// A list (`pve-configid-list`): items separated by `,`, `;` or spaces, each of the named
    /// item format (`pve-configid`).
    List(&'static str),
    /// A property string (`virtio=...,bridge=vmbr0`).
    Prop(&'static PropFormat),
}

/// The rule of one value.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Its type.
    pub ty: Ty,
    /// May be left out.
    pub optional: bool,
    /// Allowed values, if listed.
    pub enum_values: &'static [&'static str],
    /// Smallest number.
    pub minimum: Option<f64>,
    /// Largest number.
    pub maximum: Option<f64>,
    /// Shortest string, in characters.
    pub min_length: Option<u32>,
    /// Longest string, in characters.
    pub max_length: Option<u32>,
    /// A regular expression the whole string must match (PVE anchors it).
    pub pattern: Option<&'static str>,
    /// The format.
    pub format: Format,
    /// Another parameter (or key) that must be given with this one.
    pub requires: Option<&'static str>,
}

impl Rule {
    /// A value of type `ty`, required unless `optional`.
    pub const fn new(ty: Ty, optional: bool) -> Rule {
        Rule {
            ty,
            optional,
            enum_values: &[],
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: Format::None,
            requires: None,
        }
    }
    /// With allowed values.
    pub const fn values(mut self, values: &'static [&'static str]) -> Rule {
        self.enum_values = values;
        self
    }
    /// With a minimum.
    pub const fn min(mut self, minimum: f64) -> Rule {
        self.minimum = Some(minimum);
        self
    }
    /// With a maximum.
    pub const fn max(mut self, maximum: f64) -> Rule {
        self.maximum = Some(maximum);
        self
    }
    /// With a minimum length.
    pub const fn min_len(mut self, len: u32) -> Rule {
        self.min_length = Some(len);
        self
    }
    /// With a maximum length.
    pub const fn max_len(mut self, len: u32) -> Rule {
        self.max_length = Some(len);
        self
    }
    /// With a pattern.
    pub const fn pattern(mut self, pattern: &'static str) -> Rule {
        self.pattern = Some(pattern);
        self
    }
    /// With a named format.
    pub const fn named(mut self, format: &'static str) -> Rule {
        self.format = Format::Named(format);
        self
    }
    /// As a list of a named item format.
    pub const fn list(mut self, item_format: &'static str) -> Rule {
        self.format = Format::List(item_format);
        self
    }
    /// As a property string.
    pub const fn prop(mut self, format: &'static PropFormat) -> Rule {
        self.format = Format::Prop(format);
        self
    }
    /// Needing `other` too.
    pub const fn requires(mut self, other: &'static str) -> Rule {
        self.requires = Some(other);
        self
    }
}

/// One parameter of an endpoint and its rule.
#[derive(Debug, Clone, Copy)]
pub struct ParamRule {
    /// The wire name (the prefix, for an indexed family: `net` for `net0`, `net1`, ...).
    pub name: &'static str,
    /// An indexed family.
    pub indexed: bool,
    /// The rule of each value.
    pub rule: Rule,
}

/// One key of a property string.
#[derive(Debug, Clone, Copy)]
pub struct PropKey {
    /// The key.
    pub key: &'static str,
    /// The key's value rule.
    pub rule: Rule,
    /// This key is another name of `alias` (`file` for a disk's `volume`).
    pub alias: Option<&'static str>,
    /// Writing `this=value` sets `key_alias` to this key's name and `alias` to `value`
    /// (`virtio=BC:24:..` sets `model=virtio`, `macaddr=BC:24:..`).
    pub key_alias: Option<&'static str>,
}

impl PropKey {
    /// A key with its rule.
    pub const fn new(key: &'static str, rule: Rule) -> PropKey {
        PropKey {
            key,
            rule,
            alias: None,
            key_alias: None,
        }
    }
    /// An alias of `target`, optionally setting `key_alias` to this key's name.
    pub const fn alias(
        key: &'static str,
        target: &'static str,
        key_alias: Option<&'static str>,
    ) -> PropKey {
        PropKey {
            key,
            rule: Rule::new(Ty::Str, true),
            alias: Some(target),
            key_alias,
        }
    }
}

/// A property-string format: its keys, and the key a bare value stands for.
#[derive(Debug)]
pub struct PropFormat {
    /// The Rust type's name, for messages.
    pub name: &'static str,
    /// The key of a value written without `key=`.
    pub default_key: Option<&'static str>,
    /// The keys, aliases included, in schema order.
    pub keys: &'static [PropKey],
}

impl PropFormat {
    /// The key entry named `key`.
    pub fn key(&self, key: &str) -> Option<&'static PropKey> {
        self.keys.iter().find(|k| k.key == key)
    }
}
