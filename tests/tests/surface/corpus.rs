//! Answers recorded from real PVE servers (`tests/corpus/answers`, see its README), decoded
//! with the typed `Response` of their path: what the schema-built peers cannot show.
//!
//! Per answer: it decodes (or fails with a JSON path, and then must be listed with a reason
//! in `tests/corpus/known-failures.txt`), what in it the typed answer does not know (fields
//! kept in `extra`, unknown property-string keys, unlisted enum values: candidates for the
//! supplement), its value survives decode -> serialise -> decode (`round_trip`), and its
//! serialised JSON is compared with what the server sent: the respellings (`1`/`0` for
//! `true`, a number for `"2048"`, ...) and what else differs. The
//! outcomes are committed in `tests/corpus/outcomes.txt`; any change fails the test.
//! After a deliberate change: `UPDATE_CORPUS=1 cargo test -p proxmoxia-tests --test surface
//! corpus`, then review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proxmoxia_tests::roundtrip::compare_with_answer;
use serde_json::{Value, json};

use crate::typed_sweep::{Decoder, decoders};

/// One recorded answer and where it comes from.
struct Sample {
    file: String,
    method: String,
    path: String,
    pve: String,
    answer: Value,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn samples() -> Vec<Sample> {
    let dir = corpus_dir().join("answers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("readable");
            let json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let field = |key: &str| {
                json.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{}: no `{key}`", file.display()))
                    .to_owned()
            };
            // Provenance is part of every sample: a sample without it is not taken.
            let source = json.get("source").and_then(Value::as_object);
            assert!(
                source.is_some_and(|s| !s.is_empty()),
                "{}: no source",
                file.display()
            );
            for key in ["recorded_basis", "pve_basis"] {
                field(key);
            }
            Sample {
                file: file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned(),
                method: field("method"),
                path: field("path"),
                pve: field("pve"),
                answer: json.get("answer").cloned().unwrap_or(Value::Null),
            }
        })
        .collect()
}

/// What became of one sample.
fn outcome(sample: &Sample, decoder: Option<&Decoder>) -> (String, bool) {
    let Some(decoder) = decoder else {
        return (format!("no typed GET for {}", sample.path), false);
    };
    let body = serde_json::to_vec(&json!({ "data": sample.answer })).expect("JSON");
    match (decoder.read)(&body) {
        Err(failure) => (format!("FAILS {failure}"), false),
        Ok((serialised, unknown)) => {
            let mut text = "decodes; round trip equal".to_owned();
            if !unknown.is_empty() {
                text.push_str(&format!("; not typed: {}", unknown.join(", ")));
            }
            match compare_with_answer(&sample.answer, &serialised) {
                Ok(respellings) if respellings.is_empty() => text.push_str("; as sent"),
                Ok(respellings) => {
                    let names: Vec<&str> = respellings.keys().map(|r| r.name()).collect();
                    text.push_str(&format!("; respelled: {}", names.join(", ")));
                }
                Err(differences) => {
                    text.push_str(&format!("; differs at {} places:", differences.len()));
                    for d in differences.iter().take(3) {
                        text.push_str(&format!(" {};", d.trim()));
                    }
                }
            }
            (text, true)
        }
    }
}

#[test]
fn recorded_real_answers_decode_into_their_typed_responses() {
    let samples = samples();
    let decoders: BTreeMap<&str, Decoder> = decoders().into_iter().map(|d| (d.path, d)).collect();
    let known = known_failures();
    let mut lines = Vec::new();
    let mut unexplained = Vec::new();
    let (mut decoded, mut failed) = (0, 0);
    let mut paths = BTreeSet::new();
    for sample in &samples {
        assert_eq!(sample.method, "GET", "{}: only GET answers", sample.file);
        paths.insert(sample.path.clone());
        let (text, ok) = outcome(sample, decoders.get(sample.path.as_str()));
        if ok {
            decoded += 1;
        } else {
            failed += 1;
            if !known.contains_key(&sample.file) {
                unexplained.push(format!("{}: {text}", sample.file));
            }
        }
        lines.push(format!(
            "{} | {} {} | PVE {} | {text}",
            sample.file, sample.method, sample.path, sample.pve
        ));
    }
    let stale: Vec<&String> = known
        .keys()
        .filter(|file| {
            !lines
                .iter()
                .any(|l| l.starts_with(&format!("{file} |")) && l.contains("| FAILS "))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "known-failures.txt lists answers that decode (or do not exist): {stale:?}"
    );
    let header = format!(
        "# {} recorded answers over {} paths: {decoded} decode, {failed} fail (each listed with its reason in known-failures.txt)\n",
        samples.len(),
        paths.len()
    );
    let text = header + &lines.join("\n") + "\n";
    check_committed(&corpus_dir().join("outcomes.txt"), &text);
    assert!(
        unexplained.is_empty(),
        "answers that fail without a reason in tests/corpus/known-failures.txt:\n{}",
        unexplained.join("\n")
    );
}

/// `file: reason` lines of `known-failures.txt` (`#` starts a comment).
fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus_dir().join("known-failures.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(": "))
        .map(|(file, reason)| (file.trim().to_owned(), reason.trim().to_owned()))
        .collect()
}

/// Fails when `path` differs from `text`; rewrites it with `UPDATE_CORPUS=1`.
fn check_committed(path: &Path, text: &str) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == text {
        return;
    }
    if std::env::var_os("UPDATE_CORPUS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(path, text).expect("writable");
        return;
    }
    let old: BTreeSet<&str> = current.lines().collect();
    let new: BTreeSet<&str> = text.lines().collect();
    let gone: Vec<&&str> = old.difference(&new).take(20).collect();
    let added: Vec<&&str> = new.difference(&old).take(20).collect();
    panic!(
        "{} differs (first 20 each way):\nonly committed: {gone:#?}\nonly now: {added:#?}\n\
         Review, then rerun with UPDATE_CORPUS=1 and commit the file.",
        path.display()
    );
}
