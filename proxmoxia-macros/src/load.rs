//! Finding and reading the schema file, once per compiler process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::schema::{self, Tree};

/// Overrides the schema file the crate is built against (absolute, or relative to the
/// crate's manifest directory).
pub const ENV_OVERRIDE: &str = "PROXMOXIA_APIDOC";

/// The schema file to read: `PROXMOXIA_APIDOC` if set, else `relative` under the crate.
pub fn locate(relative: &str) -> Result<PathBuf, String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or("CARGO_MANIFEST_DIR is not set: the macro must run under cargo")?;
    let chosen = match std::env::var_os(ENV_OVERRIDE) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(relative),
    };
    let path = if chosen.is_absolute() {
        chosen
    } else {
        manifest.join(chosen)
    };
    if !path.is_file() {
        return Err(format!(
            "PVE API schema not found at {} (set {ENV_OVERRIDE} to use another file)",
            path.display()
        ));
    }
    Ok(path)
}

type Key = (PathBuf, u64, Option<SystemTime>);

/// The parsed schema. Every invocation in one crate asks for the same file: it is parsed
/// once and kept, keyed by path, size and modification time.
pub fn load(path: &Path) -> Result<Arc<Tree>, String> {
    static CACHE: Mutex<Option<HashMap<Key, Arc<Tree>>>> = Mutex::new(None);
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
