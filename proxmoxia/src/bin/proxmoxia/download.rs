//! `download PATH -O FILE [--name value ...]`: an API path answering a file (a file from a
//! backup: `/nodes/{node}/storage/{storage}/file-restore/download`), its parameters checked
//! first, streamed chunk by chunk to FILE or standard output (`-O -`) with a progress bar.

use std::path::PathBuf;

use proxmoxia::typed::HttpMethod;
use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::args::{Connection, Download};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::{params, transfer, tree};

/// Where the file goes.
#[derive(Debug)]
enum Target {
    Stdout,
    File(PathBuf),
}

pub async fn run(conn: &Connection, d: Download) -> Result<(), Fail> {
    let resolved = tree::resolve(&d.path).map_err(Fail::usage)?;
    let entry = resolved.node.method(HttpMethod::Get).ok_or_else(|| {
        Fail::usage(format!(
            "{} has no GET method: nothing to download",
            resolved.node.template
        ))
    })?;
    let what = format!("GET {}", entry.info.path);
    let (rules, _) = params::rules(entry)?;
    let (args, target) = own_options(d.params, d.out)?;
    let target = match target.as_deref() {
        None => {
            return Err(Fail::usage(
                "download needs -O FILE (or -O - for standard output)",
            ));
        }
        Some("-") => Target::Stdout,
        Some(file) => Target::File(PathBuf::from(file)),
    };
    let given = params::parse(&args, &rules, &what)?;
    let mut all = given.clone();
    all.extend(
        resolved
            .params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
    );
    // Checked before connecting: nothing is sent, no file is created.
    proxmoxia::validate::params_json(&Value::Object(all), params::full_text(entry)?)?;

    let mut c = connect::connect(conn, Mode::Interactive).await?;
    let path = resolved.segments.join("/");
    // The request goes first: an error answer creates no file.
    let mut stream = c
        .run(|client| {
            let download = with_params(client.download(&path), &given);
            async move { download.open().await }
        })
        .await?;
    let shown = match &target {
        Target::Stdout => "standard output".to_owned(),
        Target::File(file) => file.display().to_string(),
    };
    let bar = transfer::bar(format!("downloading to {shown}"), stream.total());
    let written = match &target {
        Target::Stdout => copy(&mut stream, &mut tokio::io::stdout(), &bar, &shown).await,
        Target::File(file) => {
            let mut out = tokio::fs::File::create(file)
                .await
                .map_err(|e| Fail::new(format!("cannot create {shown}: {e}")))?;
            let written = copy(&mut stream, &mut out, &bar, &shown).await;
            let written = match written {
                Ok(n) => out
                    .sync_all()
                    .await
                    .map(|()| n)
                    .map_err(|e| Stop::Fail(Fail::new(format!("cannot write {shown}: {e}")))),
                Err(e) => Err(e),
            };
            if written.is_err() {
                // A partial file is not the file: none is left behind.
                drop(out);
                let _ = std::fs::remove_file(file);
            }
            written
        }
    };
    match written {
        Ok(n) => {
            transfer::finish(&bar, &format!("downloaded to {shown}"), n);
            Ok(())
        }
        // A reader that went away (`| head`) ends the output quietly, as other commands do.
        Err(Stop::Closed) => {
            bar.finish_and_clear();
            Ok(())
        }
        Err(Stop::Fail(fail)) => {
            bar.abandon();
            Err(fail)
        }
    }
}

/// Why a copy stopped early.
enum Stop {
    Closed,
    Fail(Fail),
}

impl From<Fail> for Stop {
    fn from(fail: Fail) -> Stop {
        Stop::Fail(fail)
    }
}

/// The chunks as they arrive into `out`; the bytes written.
async fn copy<W: AsyncWrite + Unpin>(
    stream: &mut proxmoxia::DownloadStream,
    out: &mut W,
    bar: &indicatif::ProgressBar,
    shown: &str,
) -> Result<u64, Stop> {
    while let Some(chunk) = stream.next_chunk().await {
        let chunk = chunk.map_err(Fail::from)?;
        if let Err(e) = out.write_all(&chunk).await {
            return Err(match e.kind() {
                std::io::ErrorKind::BrokenPipe => Stop::Closed,
                _ => Stop::Fail(Fail::new(format!("cannot write {shown}: {e}"))),
            });
        }
        bar.set_position(stream.done());
    }
    match out.flush().await {
        Ok(()) => Ok(stream.done()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Stop::Closed),
        Err(e) => Err(Stop::Fail(Fail::new(format!("cannot write {shown}: {e}")))),
    }
}

fn with_params(
    mut download: proxmoxia::Download,
    given: &Map<String, Value>,
) -> proxmoxia::Download {
    for (name, value) in given {
        let values = match value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for value in values {
            download = match value {
                Value::String(text) => download.param(name, text),
                other => download.param(name, other),
            };
        }
    }
    download
}

/// `-O FILE` wherever it stands: clap stops reading options at the first parameter.
fn own_options(
    params: Vec<String>,
    mut out: Option<String>,
) -> Result<(Vec<String>, Option<String>), Fail> {
    let mut rest = Vec::new();
    let mut args = params.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-O" | "--output-file" => {
                out = Some(
                    args.next()
                        .ok_or_else(|| Fail::usage(format!("{arg} needs a value")))?,
                );
            }
            _ => match arg.strip_prefix("--output-file=") {
                Some(value) => out = Some(value.to_owned()),
                None => rest.push(arg),
            },
        }
    }
    Ok((rest, out))
}
