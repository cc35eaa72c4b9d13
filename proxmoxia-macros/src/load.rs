//! Finding and reading the schema file, once per compiler process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::schema::{self, Tree};
use crate::versions::Label;

/// Overrides the schema file the crate is built against (absolute, or relative to the
/// crate's manifest directory).
pub const ENV_OVERRIDE: &str = "PROXMOXIA_APIDOC";

/// A schema file found, and its index in the macro's arguments (`None` for the variable's).
pub type Located = (PathBuf, Option<usize>);

/// The schema files to read: the one `PROXMOXIA_APIDOC` names if it is set, else `relative`
/// (under the crate). An error names the argument at fault by its index.
pub fn locate_all(relative: &[String]) -> Result<Vec<Located>, (Option<usize>, String)> {
    match std::env::var_os(ENV_OVERRIDE) {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            let found = locate(&path).map_err(|e| (None, e))?;
            Ok(vec![(found, None)])
        }
        _ => relative
            .iter()
            .enumerate()
            .map(|(i, r)| Ok((locate(Path::new(r)).map_err(|e| (Some(i), e))?, Some(i))))
            .collect(),
    }
}

/// `chosen`, absolute or under the crate's manifest directory, if it is a file.
fn locate(chosen: &Path) -> Result<PathBuf, String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or("CARGO_MANIFEST_DIR is not set: the macro must run under cargo")?;
    let path = if chosen.is_absolute() {
        chosen.to_path_buf()
    } else {
        manifest.join(chosen)
    };
    if !path.is_file() {
        return Err(format!(
            "PVE API schema not found at {} ({ENV_OVERRIDE} selects another file)",
            path.display()
        ));
    }
    Ok(path)
}

/// The version a schema file is of, from its name: `pve-8.4.17.json` is 8.4.17. A build
/// of one schema may name it otherwise (its stem is the label).
pub fn label(path: &Path, only: bool) -> Result<Label, String> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if let Some(label) = stem.strip_prefix("pve-").and_then(Label::parse) {
        return Ok(label);
    }
    if only {
        return Ok(Label::custom(stem));
    }
    Err(format!(
        "{}: with several schemas each must be named pve-<version>.json (pve-9.2.json)",
        path.display()
    ))
}

type Key = (PathBuf, u64, Option<SystemTime>);

/// The parsed schemas, keyed by path, size and modification time.
static CACHE: Mutex<Option<HashMap<Key, Arc<Tree>>>> = Mutex::new(None);

/// Drops the parsed schemas (after the last invocation that needs them).
pub fn forget() {
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The parsed schema. Every invocation in one crate asks for the same file: it is parsed
/// once and kept until [`forget`].
pub fn load(path: &Path) -> Result<Arc<Tree>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(tree) = cache.get(&key) {
        return Ok(tree.clone());
    }
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(text).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    let json = crate::json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let tree = Arc::new(schema::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?);
    cache.retain(|k, _| k.0 != key.0);
    cache.insert(key, tree.clone());
    Ok(tree)
}
