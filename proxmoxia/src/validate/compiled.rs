//! An endpoint's rules made ready for validation: its parameters indexed by name, each one's
//! rule read from its own part of the generated text when first checked. The first
//! validation of an endpoint thus reads only the rules of what it is given (a `qemu`
//! config's disk formats are read when a disk is), and later ones read nothing: the index
//! and each rule are kept for the life of the process and looked up without locks.
//!
//! The index is made by a scan of the text's structure (strings, brackets), not a parse;
//! each parameter's part is then read strictly by [`ParamRule::read`]. A text or a part that
//! cannot be read refuses the requests it concerns ("unreadable rule"): it never lets a value
//! through unchecked.

use std::sync::OnceLock;

use crate::typed::rules::{self, NameIndex, ParamRule};

/// One parameter of an endpoint.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The wire name (the prefix of an indexed family).
    pub(crate) name: &'static str,
    pub(crate) indexed: bool,
    pub(crate) optional: bool,
    /// Its rule or versions differ between vendored versions (`v`, `vr`).
    pub(crate) versioned: bool,
    text: &'static str,
    rule: OnceLock<Result<ParamRule, String>>,
}

impl Entry {
    /// The parameter's rule, read on first use; why it cannot be read.
    pub(crate) fn rule(&self) -> Result<&ParamRule, &str> {
        self.rule
            .get_or_init(|| read_entry(self.text))
            .as_ref()
            .map_err(String::as_str)
    }
}

fn read_entry(text: &str) -> Result<ParamRule, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    ParamRule::read(&value)
}

/// The rules of one endpoint (or of one path template's parameters).
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Why the text cannot be read at all: every request is then refused.
    pub(crate) unreadable: Option<String>,
    /// The parameters in the text's (the schema's) order.
    pub(crate) entries: Vec<Entry>,
    /// Positions in `entries` of plain parameters, by name.
    plain: NameIndex,
    /// Positions of indexed families, by prefix.
    families: NameIndex,
    /// Positions of the parameters that must be given, in order.
    pub(crate) required: Vec<u32>,
    /// For each vendored version (by index), the rules of the parameters the versions check
    /// differently, as that version has them: made on the first request checked against it.
    by_version: [OnceLock<Vec<ParamRule>>; VERSION_SLOTS],
}

/// Versions are bits of a `u32`.
const VERSION_SLOTS: usize = 32;

impl Compiled {
    fn unreadable(why: String) -> Compiled {
        Compiled {
            unreadable: Some(why),
            entries: Vec::new(),
            plain: NameIndex::default(),
            families: NameIndex::default(),
            required: Vec::new(),
            by_version: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The rules version `index` has for the parameters the versions check differently,
    /// made by `make` on first use for that version (`None` past the 32 a mask can name).
    pub(crate) fn by_version(
        &self,
        index: usize,
        make: impl FnOnce() -> Vec<ParamRule>,
    ) -> Option<&[ParamRule]> {
        Some(self.by_version.get(index)?.get_or_init(make))
    }

    /// The plain parameter `name`, and the family `key` is a member of (`net` for `net0`):
    /// their positions. A key may be both (the old code checked every rule that matched).
    pub(crate) fn lookup(&self, key: &str) -> [Option<u32>; 2] {
        let find = |index: &NameIndex, name: &str| {
            index
                .get(name)
                .map(|at| u32::try_from(at).unwrap_or(u32::MAX))
        };
        let plain = find(&self.plain, key);
        let prefix = key.trim_end_matches(|c: char| c.is_ascii_digit());
        let family = if prefix.len() < key.len() {
            find(&self.families, prefix)
                .filter(|_| crate::decode::family_index(key, prefix).is_some())
        } else {
            None
        };
        [plain, family]
    }
}

/// The rules in `text`, made ready once per text.
pub(crate) fn compiled(text: &'static str) -> &'static Compiled {
    rules::cached(text, compile)
}

fn compile(text: &'static str) -> Compiled {
    match index(text) {
        Ok(compiled) => compiled,
        Err(why) => Compiled::unreadable(why),
    }
}

fn index(text: &'static str) -> Result<Compiled, String> {
    let mut entries = Vec::new();
    for item in items(text)? {
        let mut name = None;
        let (mut indexed, mut optional, mut versioned) = (false, false, false);
        for (key, value) in members(item)? {
            match key {
                "n" => name = Some(plain_string(value)?),
                "i" => indexed = value == "1",
                "v" | "vr" => versioned = true,
                "r" => {
                    optional = members(value)?
                        .iter()
                        .any(|(key, value)| *key == "o" && *value == "1");
                }
                _ => {} // read strictly with the rule
            }
        }
        entries.push(Entry {
            name: name.ok_or_else(|| format!("a parameter without a name: {item}"))?,
            indexed,
            optional,
            versioned,
            text: item,
            rule: OnceLock::new(),
        });
    }
    let positions = |indexed: bool| {
        let mut index = NameIndex::default();
        for (at, entry) in entries.iter().enumerate() {
            if entry.indexed == indexed {
                index.insert(entry.name, at);
            }
        }
        index
    };
    let (plain, families) = (positions(false), positions(true));
    let required = (0..entries.len())
        .filter(|i| !entries[*i].indexed && !entries[*i].optional)
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    Ok(Compiled {
        unreadable: None,
        entries,
        plain,
        families,
        required,
        by_version: std::array::from_fn(|_| OnceLock::new()),
    })
}

// ------------------------------------------------------------------------------------------
// The scan: where each JSON value of the text begins and ends. The generator writes compact
// JSON; white space is taken anyway.

/// The end (exclusive) of the JSON value that starts at `at` (no white space before it).
fn value_end(b: &[u8], at: usize) -> Result<usize, String> {
    match b.get(at) {
        Some(b'"') => string_end(b, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err("an unclosed bracket".into())
        }
        Some(_) => {
            let end = b[at..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())
                .map_or(b.len(), |n| at + n);
            if end == at {
                Err(format!("no value at byte {at}"))
            } else {
                Ok(end)
            }
        }
        None => Err("the text ends early".into()),
    }
}

/// The end (exclusive) of the string whose opening quote is at `at`.
fn string_end(b: &[u8], at: usize) -> Result<usize, String> {
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err("an unterminated string".into())
}

fn skip_space(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The values of a JSON container `text` (`[...]` or `{...}`, white space around it
/// allowed): each value's text, and for an object each key's text (quotes included).
fn container(text: &str, open: u8, close: u8) -> Result<Vec<(&str, &str)>, String> {
    let b = text.as_bytes();
    let mut at = skip_space(b, 0);
    if b.get(at) != Some(&open) {
        return Err(format!("expected {:?}", open as char));
    }
    at = skip_space(b, at + 1);
    let mut out = Vec::new();
    if b.get(at) == Some(&close) {
        return if skip_space(b, at + 1) == b.len() {
            Ok(out)
        } else {
            Err("text after the end".into())
        };
    }
    loop {
        let mut key = "";
        if open == b'{' {
            let end = string_end(b, at).map_err(|e| format!("a key: {e}"))?;
            if b.get(at) != Some(&b'"') {
                return Err("a key must be a string".into());
            }
            key = &text[at..end];
            at = skip_space(b, end);
            if b.get(at) != Some(&b':') {
                return Err("expected ':'".into());
            }
            at = skip_space(b, at + 1);
        }
        let end = value_end(b, at)?;
        out.push((key, &text[at..end]));
        at = skip_space(b, end);
        match b.get(at) {
            Some(b',') => at = skip_space(b, at + 1),
            Some(c) if *c == close => {
                return if skip_space(b, at + 1) == b.len() {
                    Ok(out)
                } else {
                    Err("text after the end".into())
                };
            }
            _ => return Err(format!("expected ',' or {:?}", close as char)),
        }
    }
}

/// The items of the JSON array `text`.
fn items(text: &'static str) -> Result<Vec<&'static str>, String> {
    container(text, b'[', b']')
        .map(|items| items.into_iter().map(|(_, v)| v).collect())
        .map_err(|e| format!("the rules are not a JSON list: {e}"))
}

/// The members of the JSON object `text`: keys without their quotes (a key with escapes is
/// an error: the generator writes none), values as text.
fn members(text: &str) -> Result<Vec<(&str, &str)>, String> {
    container(text, b'{', b'}')
        .map_err(|e| format!("not a JSON object: {e} in {text}"))?
        .into_iter()
        .map(|(k, v)| Ok((plain_string(k)?, v)))
        .collect()
}

/// A JSON string without escapes, without its quotes.
fn plain_string(text: &str) -> Result<&str, String> {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.contains('\\'))
        .ok_or_else(|| format!("expected a string without escapes, got {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_names_each_parameter_and_reads_rules_lazily() {
        static TEXT: &str = r#" [{"n":"b","r":{"o":1,"t":"s","p":"[a-z]+"}},
            {"i":1,"n":"net","r":{"o":1,"t":"s"},"v":6},{"n":"a","r":{"t":"i","e":["1","2"]}}] "#;
        let c = compiled(TEXT);
        assert!(c.unreadable.is_none());
        let names: Vec<_> = c.entries.iter().map(|e| e.name).collect();
        assert_eq!(names, ["b", "net", "a"]);
        assert_eq!(c.required, [2]);
        assert_eq!(c.lookup("a"), [Some(2), None]);
        assert_eq!(c.lookup("net3"), [None, Some(1)]);
        assert_eq!(c.lookup("net03"), [None, None]);
        assert_eq!(c.lookup("x"), [None, None]);
        assert!(c.entries[1].versioned && !c.entries[0].versioned);
        assert!(c.entries.iter().all(|e| e.rule.get().is_none()));
        assert_eq!(c.entries[2].rule().map(|r| r.rule.enum_values.len()), Ok(2));
        assert!(std::ptr::eq(compiled(TEXT), c));
    }

    #[test]
    fn what_cannot_be_read_is_kept_as_such() {
        for text in [
            "",
            "nope",
            "[",
            r#"[{"n":"a""#,
            r#"[{"r":{"t":"s"}}]"#,
            r#"[{"n":"a\"b","r":{}}]"#,
            r#"[{"n":"a","r":{"t":"s"}}] x"#,
        ] {
            let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
            assert!(compile(text).unreadable.is_some(), "{text}");
        }
        let c = compile(r#"[{"n":"a","r":{"t":"s","zz":1}},{"n":"b","r":{"t":"s","p":"a("}}]"#);
        assert!(c.entries[0].rule().unwrap_err().contains("unknown key"));
        assert!(
            c.entries[1]
                .rule()
                .unwrap_err()
                .contains("does not compile")
        );
    }

    /// Fail closed: every generated text is indexed, and every parameter's own part read
    /// strictly (patterns compiled with the runtime's engine), as validation reads them.
    #[test]
    fn every_generated_rule_is_indexed_and_read() {
        let mut failures = Vec::new();
        let mut read = 0;
        for entry in crate::api::ENDPOINTS {
            for text in [entry.rules, entry.info.path_rules] {
                let c = compiled(text);
                if let Some(why) = &c.unreadable {
                    failures.push(format!("{} {}: {why}", entry.info.method, entry.info.path));
                }
                for e in &c.entries {
                    match e.rule() {
                        Ok(rule) if rule.name == e.name && rule.indexed == e.indexed => read += 1,
                        Ok(_) => failures.push(format!("{}: the index disagrees", e.name)),
                        Err(why) => failures.push(format!("{}: {why}", e.name)),
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(read > 2000, "only {read} parameter rules");
    }
}
