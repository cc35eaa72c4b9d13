//! Finding and reading the schema files, corrected by the supplement, once per compiler
//! process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::apidoc::{self, Tree};
use crate::supplement::Supplement;
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

/// A file's identity for the cache: path, size and modification time.
type Stamp = (PathBuf, u64, Option<SystemTime>);

fn stamp(path: &Path) -> Result<Stamp, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path.to_path_buf(), meta.len(), meta.modified().ok()))
}

/// A schema file read and corrected by the supplement.
#[derive(Debug)]
pub struct Loaded {
    pub tree: Arc<Tree>,
    /// The corrected schema as apidoc JSON, for the embedded fake (which then answers what
    /// the typed API reads).
    pub json: Arc<str>,
}

type Key = (Stamp, Option<Stamp>, String);

/// The parsed schemas, keyed by the files and the version they are read as.
static CACHE: Mutex<Option<HashMap<Key, Arc<Loaded>>>> = Mutex::new(None);

/// Drops the parsed schemas (after the last invocation that needs them).
pub fn forget() {
    *CACHE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// The supplement beside the vendored schemas the macro names (`apidoc/supplement.json`
/// for `apidoc/pve-9.2.json`), if there is one. It also corrects a schema chosen with
/// `PROXMOXIA_APIDOC`: its entries describe PVE, not one file.
pub fn supplement_beside(first_schema: &str) -> Option<PathBuf> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from)?;
    let path = manifest.join(Path::new(first_schema).with_file_name(SUPPLEMENT));
    path.is_file().then_some(path)
}

/// The supplement's file name.
pub const SUPPLEMENT: &str = "supplement.json";

/// The schema at `path` as version `label`, corrected by the supplement at `supplement`.
/// Every invocation in one crate asks for the same files: each is read once and kept until
/// [`forget`].
pub fn load(path: &Path, label: &Label, supplement: Option<&Path>) -> Result<Arc<Loaded>, String> {
    let key = (
        stamp(path)?,
        supplement.map(stamp).transpose()?,
        label.text.clone(),
    );
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(loaded) = cache.get(&key) {
        return Ok(loaded.clone());
    }
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(text).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    let mut json = crate::json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let supplement = match supplement {
        Some(file) => Supplement::load(file)?,
        None => Supplement::default(),
    };
    supplement
        .apply(&mut json, label)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let tree = Arc::new(apidoc::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?);
    let loaded = Arc::new(Loaded {
        tree,
        json: json.to_string().into(),
    });
    cache.retain(|k, _| k.0.0 != key.0.0);
    cache.insert(key, loaded.clone());
    Ok(loaded)
}
