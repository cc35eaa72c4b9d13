//! Transfers the fake models beyond uploads: `download-url` (a `download` task that puts
//! the file on the storage) and `file-restore/download` (a file from inside a backup,
//! answered as raw bytes; see [`MockPve::store_restore_file`]).

use serde_json::{Value, json};

use super::MockPve;
use super::request::{Ctx, Failure, storage_missing};
use super::state::{State, Volume, unix_now};

/// The size the fake gives a file fetched with `download-url` (as fakepve's default).
const DOWNLOADED_SIZE: u64 = 1 << 20;

impl MockPve {
    /// A file inside backup `volume` that `GET
    /// /nodes/{node}/storage/{storage}/file-restore/download` serves: `filepath` as the
    /// client sends it (PVE's parameter: the base64 of the path in the backup).
    pub fn store_restore_file(&self, volume: &str, filepath: &str, data: impl Into<bytes::Bytes>) {
        self.state()
            .restore_files
            .insert((volume.to_owned(), filepath.to_owned()), data.into());
    }
}

/// `POST /nodes/{node}/storage/{storage}/download-url`: a `download` task that stores the
/// file (`content` `iso`, `vztmpl` or `import`) when it ends.
pub(super) fn download_url(state: &mut State, ctx: &Ctx<'_>) -> Result<Value, Failure> {
    let name = ctx.str("storage").unwrap_or_default().to_owned();
    let content = ctx.str("content").unwrap_or_default().to_owned();
    let filename = ctx.str("filename").unwrap_or_default().to_owned();
    let url = ctx.str("url").unwrap_or_default().to_owned();
    let store = state
        .storages
        .get(&name)
        .ok_or_else(|| storage_missing(&name))?;
    if !store.file_based() {
        return Err(Failure::new(
            500,
            format!(
                "can't upload to storage type '{}', not a file based storage!",
                store.kind
            ),
        ));
    }
    if !store.content.contains(&content) {
        return Err(Failure::new(
            500,
            format!("storage '{name}' is not configured for content-type '{content}'"),
        ));
    }
    let volid = format!("{name}:{content}/{filename}");
    let format = filename.rsplit('.').next().unwrap_or("raw").to_owned();
    let done = format!("download of '{url}' to '{filename}' finished");
    let id = name.clone();
    let upid = state.spawn_task(
        ctx.node(),
        "download",
        &id,
        &ctx.user,
        vec![format!("downloading {url} to {filename}")],
        Box::new(move |s: &mut State| {
            let store = s.storages.get_mut(&name).ok_or("storage removed")?;
            store.volumes.insert(
                volid,
                Volume {
                    content,
                    size: DOWNLOADED_SIZE,
                    format,
                    ctime: unix_now(),
                    vmid: None,
                    notes: None,
                    protected: false,
                },
            );
            Ok(vec![done])
        }),
    );
    Ok(json!(upid))
}

/// `GET /nodes/{node}/storage/{storage}/file-restore/download`: the stored file's bytes.
pub(super) fn file_restore(state: &mut State, ctx: &Ctx<'_>) -> Result<Value, Failure> {
    let name = ctx.str("storage").unwrap_or_default();
    if !state.storages.contains_key(name) {
        return Err(storage_missing(name));
    }
    let key = (
        ctx.str("volume").unwrap_or_default().to_owned(),
        ctx.str("filepath").unwrap_or_default().to_owned(),
    );
    let data = state.restore_files.get(&key).cloned().ok_or_else(|| {
        Failure::new(
            500,
            format!("file-restore: no such file '{}' in '{}'", key.1, key.0),
        )
    })?;
    state.file_answer = Some(data);
    Ok(Value::Null)
}
