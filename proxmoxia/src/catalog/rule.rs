//! The rule of one value: its type, and what PVE checks beyond it (an enumeration, a range,
//! a length, a pattern, a named format or a property string, another parameter it needs);
//! and property-string formats: the keys of a `key=value,...` string, their rules, aliases
//! and the key a bare value stands for (one module: a rule may be a property string whose
//! keys have rules). Reading and printing property strings is `typed::propstring`'s.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use smallvec::SmallVec;

/// The JSON type a value must have on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// A named format of PVE (`pve-vmid`, `mac-addr`, `ipv4`, ...): see
    /// [`Format::check_named`].
    Named(&'static str),
    /// A list (`pve-configid-list`): items separated by `,`, `;` or spaces, each of the named
    /// item format (`pve-configid`).
    List(&'static str),
    /// A property string (`virtio=...,bridge=vmbr0`).
    Prop(&'static PropFormat),
}

/// The rule of one value, as PVE's schema states it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Its type.
    pub ty: Ty,
    /// May be left out.
    pub optional: bool,
    /// Allowed values, if listed (every vendored version's).
    pub enum_values: &'static [&'static str],
    /// Values of [`enum_values`](Rule::enum_values) not every vendored version allows, with
    /// the versions that do (a mask over [`versions`](super::versions)).
    pub enum_versions: &'static [(&'static str, u32)],
    /// Smallest number.
    pub minimum: Option<f64>,
    /// Largest number.
    pub maximum: Option<f64>,
    /// Shortest string, in characters.
    pub min_length: Option<u32>,
    /// Longest string, in characters.
    pub max_length: Option<u32>,
    /// A regular expression the whole string must match.
    pub pattern: Option<&'static Pattern>,
    /// The format.
    pub format: Format,
    /// Another parameter (or key) that must be given with this one.
    pub requires: Option<&'static str>,
}

/// Rules are built by the generator in constant tables, one setter at a time.
impl Rule {
    /// A value of type `ty`, required unless `optional`, with nothing else to check.
    pub const fn new(ty: Ty, optional: bool) -> Rule {
        Rule {
            ty,
            optional,
            enum_values: &[],
            enum_versions: &[],
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: Format::None,
            requires: None,
        }
    }

    /// With these allowed values.
    #[doc(hidden)]
    pub const fn with_enum(mut self, values: &'static [&'static str]) -> Rule {
        self.enum_values = values;
        self
    }

    /// With the versions of the values not every version allows.
    #[doc(hidden)]
    pub const fn with_enum_versions(mut self, versions: &'static [(&'static str, u32)]) -> Rule {
        self.enum_versions = versions;
        self
    }

    /// With a smallest number.
    #[doc(hidden)]
    pub const fn with_min(mut self, minimum: f64) -> Rule {
        self.minimum = Some(minimum);
        self
    }

    /// With a largest number.
    #[doc(hidden)]
    pub const fn with_max(mut self, maximum: f64) -> Rule {
        self.maximum = Some(maximum);
        self
    }

    /// With a shortest length.
    #[doc(hidden)]
    pub const fn with_min_length(mut self, min: u32) -> Rule {
        self.min_length = Some(min);
        self
    }

    /// With a longest length.
    #[doc(hidden)]
    pub const fn with_max_length(mut self, max: u32) -> Rule {
        self.max_length = Some(max);
        self
    }

    /// With a pattern.
    #[doc(hidden)]
    pub const fn with_pattern(mut self, pattern: &'static Pattern) -> Rule {
        self.pattern = Some(pattern);
        self
    }

    /// With a named format.
    #[doc(hidden)]
    pub const fn with_format(mut self, name: &'static str) -> Rule {
        self.format = Format::Named(name);
        self
    }

    /// A list of items of a named format.
    #[doc(hidden)]
    pub const fn with_list(mut self, item: &'static str) -> Rule {
        self.format = Format::List(item);
        self
    }

    /// A property string.
    #[doc(hidden)]
    pub const fn with_prop(mut self, format: &'static PropFormat) -> Rule {
        self.format = Format::Prop(format);
        self
    }

    /// Needing another parameter.
    #[doc(hidden)]
    pub const fn with_requires(mut self, other: &'static str) -> Rule {
        self.requires = Some(other);
        self
    }

    /// The versions that allow enum value `value`, where not every version does.
    pub fn enum_value_versions(&self, value: &str) -> Option<u32> {
        self.enum_versions
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, versions)| *versions)
    }

    /// Whether it checks anything beyond the type of a value that is given.
    pub fn checks_value(&self) -> bool {
        !self.enum_values.is_empty()
            || self.minimum.is_some()
            || self.maximum.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.pattern.is_some()
            || !matches!(self.format, Format::None)
    }
}

/// A schema pattern (in the Rust regex dialect); the whole value must match, as in PVE. Plain
/// data, so that the catalogue's entries can be `const` (Rust 1.88, the MSRV, refuses a
/// `const` that reaches a lazily filled cell); compiled on first use into one process-wide
/// table keyed by the pattern's text.
#[derive(Clone, Copy)]
pub struct Pattern {
    source: &'static str,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// A pattern compiled, or why it does not compile.
type Compiled = Arc<Result<regex_lite::Regex, String>>;

impl Pattern {
    /// Values longer than this never match (PVE's own limits stop them before).
    const MAX_MATCHED: usize = 64 * 1024;

    /// The pattern `source`, compiled when first matched.
    pub const fn new(source: &'static str) -> Pattern {
        Pattern { source }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &'static str {
        self.source
    }

    /// The compiled pattern, or why it does not compile (never, for the generated ones: a
    /// test compiles them all).
    fn compiled(&self) -> Compiled {
        static COMPILED: LazyLock<RwLock<HashMap<&'static str, Compiled>>> =
            LazyLock::new(Default::default);
        let known = COMPILED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(self.source)
            .cloned();
        known.unwrap_or_else(|| {
            let compiled = Arc::new(
                regex_lite::Regex::new(&format!("^(?s:{})$", self.source))
                    .map_err(|e| format!("pattern {:?} does not compile: {e}", self.source)),
            );
            COMPILED
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(self.source)
                .or_insert(compiled)
                .clone()
        })
    }

    /// Whether all of `text` matches; `Err` (why) when the pattern does not compile.
    pub fn full_match(&self, text: &str) -> Result<bool, String> {
        if text.len() > Self::MAX_MATCHED {
            return Ok(false);
        }
        match &*self.compiled() {
            Ok(regex) => Ok(regex.is_match(text)),
            Err(why) => Err(why.clone()),
        }
    }
}

/// A property-string format: its keys, and the key a bare value stands for.
#[derive(Debug)]
pub struct PropFormat {
    /// The Rust type's name (`QemuNet`), for messages.
    pub name: &'static str,
    /// The key of a value written without `key=`.
    pub default_key: Option<&'static str>,
    /// The keys, aliases included, sorted by name (as PVE's schema lists them).
    pub keys: &'static [PropKey],
}

/// One key of a property string.
#[derive(Debug, Clone, Copy)]
pub struct PropKey {
    /// The key.
    pub key: &'static str,
    /// The key's value rule (any optional string, for an alias).
    pub rule: &'static Rule,
    /// This key is another name of `alias` (`file` for a disk's `volume`).
    pub alias: Option<&'static str>,
    /// Writing `this=value` sets `key_alias` to this key's name and `alias` to `value`
    /// (`virtio=BC:24:..` sets `model=virtio`, `macaddr=BC:24:..`).
    pub key_alias: Option<&'static str>,
    /// The vendored versions that have the key, where not every version does.
    pub versions: Option<u32>,
}

/// The rule of an alias entry: the value is its target's, checked there.
const ALIAS_RULE: &Rule = &Rule::new(Ty::Str, true);

impl PropKey {
    /// The key `key` with the value rule `rule`.
    pub const fn new(key: &'static str, rule: &'static Rule) -> PropKey {
        PropKey {
            key,
            rule,
            alias: None,
            key_alias: None,
            versions: None,
        }
    }

    /// `key`, another name of `target`; with `key_alias`, writing `key=v` also sets
    /// `key_alias` to `key`.
    pub const fn alias(
        key: &'static str,
        target: &'static str,
        key_alias: Option<&'static str>,
    ) -> PropKey {
        PropKey {
            key,
            rule: ALIAS_RULE,
            alias: Some(target),
            key_alias,
            versions: None,
        }
    }

    /// Only in these versions.
    #[doc(hidden)]
    pub const fn with_versions(mut self, versions: u32) -> PropKey {
        self.versions = Some(versions);
        self
    }
}

impl PropFormat {
    /// A format of `keys` (sorted by name).
    pub const fn new(
        name: &'static str,
        default_key: Option<&'static str>,
        keys: &'static [PropKey],
    ) -> PropFormat {
        PropFormat {
            name,
            default_key,
            keys,
        }
    }

    /// The key entry named `key`.
    pub fn key(&self, key: &str) -> Option<&'static PropKey> {
        let keys = self.keys;
        self.key_index(key).map(|at| &keys[at])
    }

    /// The position in [`keys`](PropFormat::keys) of the entry named `key`.
    pub fn key_index(&self, key: &str) -> Option<usize> {
        self.keys.binary_search_by(|k| name_order(k.key, key)).ok()
    }

    /// Whether some key is not in every vendored version.
    pub fn has_versioned_keys(&self) -> bool {
        self.keys.iter().any(|k| k.versions.is_some())
    }

    /// Positions in [`keys`](PropFormat::keys) of the distinct keys that alias entries set
    /// (`model` for a NIC's `virtio=MAC`), in the order of their first entry.
    pub(crate) fn key_alias_positions(&self) -> SmallVec<[usize; 4]> {
        let mut out: SmallVec<[usize; 4]> = SmallVec::new();
        for key in self.keys.iter().filter(|k| k.alias.is_some()) {
            // Most alias entries set the same key (a NIC's dozen models set `model`): looked
            // up once.
            let Some(key_alias) = key.key_alias else {
                continue;
            };
            if out.iter().any(|at| self.keys[*at].key == key_alias) {
                continue;
            }
            if let Some(at) = self.key_index(key_alias) {
                out.push(at);
            }
        }
        out
    }
}

/// The order of names in the tables (`str`'s), compared byte by byte in line: names are a
/// few bytes, where a call to `memcmp` per step of a search costs more than the comparison.
pub(crate) fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().cmp(b.bytes())
}
