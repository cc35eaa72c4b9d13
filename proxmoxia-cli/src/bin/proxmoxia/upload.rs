//! `upload NODE STORAGE FILE --content KIND`: the file streamed to the storage with a
//! progress bar, then the copy task PVE answers followed like any other task.

use std::path::{Path, PathBuf};

use proxmoxia::typed::HttpMethod;
use proxmoxia::{TaskOutcome, UploadContent};
use serde_json::{Value, json};

use crate::args::{Connection, Content, Output, Upload};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::{output, transfer, wait};

const TEMPLATE: &str = "/nodes/{node}/storage/{storage}/upload";

pub async fn run(conn: &Connection, up: Upload) -> Result<(), Fail> {
    let name = match &up.filename {
        Some(name) => name.clone(),
        None => up
            .file
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                Fail::usage(format!(
                    "{} has no UTF-8 file name: give one with --filename",
                    up.file.display()
                ))
            })?,
    };
    check(&up, &name)?;
    let size = file_size(&up.file)?;
    // The library names the upload after the file it streams: another name is a link to it.
    let source = match &up.filename {
        Some(_) => Source::renamed(&up.file, &name)?,
        None => Source::Plain(up.file.clone()),
    };

    let mut c = connect::connect(conn, Mode::Interactive).await?;
    let bar = transfer::bar(format!("uploading {name}"), Some(size));
    let content = match up.content {
        Content::Iso => UploadContent::Iso,
        Content::Vztmpl => UploadContent::Vztmpl,
        Content::Import => UploadContent::Import,
    };
    let result = c
        .run(|client| {
            let bar = bar.clone();
            let mut upload = client
                .upload(&up.node, &up.storage, content)
                .progress(move |p| transfer::show(&bar, p));
            if let (Some(algorithm), Some(sum)) = (&up.checksum_algorithm, &up.checksum) {
                upload = upload.checksum(algorithm, sum);
            }
            let path = source.path().to_owned();
            async move { upload.from_path(path).await }
        })
        .await;
    drop(source);
    let task = match result {
        Ok(task) => task,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    transfer::finish(
        &bar,
        &format!("uploaded {name} to {} on {}", up.storage, up.node),
        size,
    );
    let upid = task.upid();
    let format = output::choose(up.output);
    match up.output {
        _ if up.quiet => {}
        // The UPID alone on its line, in a pipe too.
        None => output::print(&format!("{upid}\n"))?,
        Some(format) => output::show(&json!(upid.to_string()), &output::Shape::plain(format))?,
    }
    if up.no_wait {
        return Ok(());
    }
    match wait::follow(&task).await? {
        TaskOutcome::Warnings(n) if matches!(format, Output::Table | Output::Text) => {
            eprintln!("task finished with {n} warning(s)");
        }
        _ => {}
    }
    Ok(())
}

/// The parameters against PVE's rules for the upload, before anything is read or sent.
fn check(up: &Upload, name: &str) -> Result<(), Fail> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(Fail::usage(format!(
            "--filename {name:?}: a file name, without a directory"
        )));
    }
    let entry = proxmoxia::catalog::method(HttpMethod::Post, TEMPLATE)
        .ok_or_else(|| Fail::new(format!("no rules for POST {TEMPLATE}")))?;
    let mut given = json!({
        "node": up.node,
        "storage": up.storage,
        "content": up.content.name(),
        "filename": name,
    });
    if let (Some(map), Some(algorithm), Some(sum)) =
        (given.as_object_mut(), &up.checksum_algorithm, &up.checksum)
    {
        map.insert(
            "checksum-algorithm".into(),
            Value::String(algorithm.clone()),
        );
        map.insert("checksum".into(), Value::String(sum.clone()));
    }
    if let Some(given) = given.as_object() {
        entry.check(given)?;
    }
    Ok(())
}

fn file_size(file: &Path) -> Result<u64, Fail> {
    let meta = std::fs::metadata(file)
        .map_err(|e| Fail::new(format!("cannot read {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(Fail::new(format!("{} is not a file", file.display())));
    }
    Ok(meta.len())
}

/// The path the upload streams from: the file, or a link to it under the name asked for, in
/// a private directory removed at the end.
enum Source {
    Plain(PathBuf),
    Renamed { dir: PathBuf, link: PathBuf },
}

impl Source {
    fn renamed(file: &Path, name: &str) -> Result<Source, Fail> {
        let target = std::fs::canonicalize(file)
            .map_err(|e| Fail::new(format!("cannot read {}: {e}", file.display())))?;
        let dir = std::env::temp_dir().join(format!(
            "proxmoxia-upload-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir(&dir)
            .map_err(|e| Fail::new(format!("cannot create {}: {e}", dir.display())))?;
        let link = dir.join(name);
        #[cfg(unix)]
        let linked = std::os::unix::fs::symlink(&target, &link);
        #[cfg(not(unix))]
        let linked = std::fs::hard_link(&target, &link);
        if let Err(e) = linked {
            let _ = std::fs::remove_dir(&dir);
            return Err(Fail::new(format!(
                "cannot name the upload {name} (a link in {}): {e}",
                dir.display()
            )));
        }
        Ok(Source::Renamed { dir, link })
    }

    fn path(&self) -> &Path {
        match self {
            Source::Plain(path) => path,
            Source::Renamed { link, .. } => link,
        }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if let Source::Renamed { dir, link } = self {
            let _ = std::fs::remove_file(link);
            let _ = std::fs::remove_dir(dir);
        }
    }
}
