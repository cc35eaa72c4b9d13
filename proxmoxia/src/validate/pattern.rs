//! Schema patterns, compiled once each. The generator has already turned PVE's Perl
//! spellings into the Rust regex dialect; the whole value must match, as in PVE.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex_lite::Regex;

/// Values longer than this are not matched (PVE's own limits stop them before).
const MAX_MATCHED: usize = 64 * 1024;

/// True when `text` matches all of `pattern`. A pattern that does not compile accepts
/// everything: the server stays the judge.
pub fn full_match(pattern: &str, text: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    if text.len() > MAX_MATCHED {
        return false;
    }
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let regex = cache.entry(pattern.to_owned()).or_insert_with(|| {
        let compiled = Regex::new(&format!("^(?s:{pattern})$"));
        if let Err(e) = &compiled {
            tracing::debug!(pattern, error = %e, "schema pattern not checked: it does not compile");
        }
        compiled.ok()
    });
    regex.as_ref().is_none_or(|r| r.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::full_match;

    #[test]
    fn the_whole_value_must_match() {
        assert!(full_match("[a-z]+", "abc"));
        assert!(!full_match("[a-z]+", "abc1"));
        assert!(full_match("(?:a|b)c", "bc"));
        assert!(full_match("a(", "anything"), "a broken pattern accepts");
    }
}
