//! `download PATH -O FILE [--name value ...]`: an API path answering a file (a file from a
//! backup: `/nodes/{node}/storage/{storage}/file-restore/download`), its parameters checked
//! first, streamed chunk by chunk to FILE or standard output (`-O -`) with a progress bar.
//! FILE is written under a temporary name beside it and renamed when complete: an error
//! answer, a transfer cut short or Ctrl-C leaves it as it was.

use std::path::PathBuf;
use std::pin::pin;

use proxmoxia::typed::HttpMethod;
use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::select;

use crate::args::{Connection, Download};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::params::OwnOption;
use crate::partial::Partial;
use crate::{params, transfer};

/// Where the file goes.
#[derive(Debug)]
enum Target {
    Stdout,
    File(PathBuf),
}

/// `-O FILE` may stand among the parameters too (clap reads it only before the path).
const OWN: [OwnOption; 1] = [OwnOption {
    names: &["O", "output-file"],
    takes_value: true,
}];

pub async fn run(conn: &Connection, d: Download) -> Result<(), Fail> {
    // Checked before connecting: nothing is sent, no file is created.
    let params::Checked {
        resolved,
        given,
        own,
        ..
    } = params::check(HttpMethod::Get, &d.path, &d.params, &OWN)?;
    let target = own.last().map(|(_, file)| file.clone()).or(d.out);
    let target = match target.as_deref() {
        None => {
            return Err(Fail::usage(
                "download needs -O FILE (or -O - for standard output)",
            ));
        }
        Some("-") => Target::Stdout,
        Some(file) => Target::File(PathBuf::from(file)),
    };
    let mut c = connect::connect(conn, Mode::Interactive).await?;
    let path = resolved.segments.join("/");
    let shown = match &target {
        Target::Stdout => "standard output".to_owned(),
        Target::File(file) => file.display().to_string(),
    };
    // Written beside the target and renamed onto it when complete; made before the request,
    // so a directory that cannot take it fails before anything is sent.
    let (partial, file) = match &target {
        Target::Stdout => (None, None),
        Target::File(file) => {
            let (partial, file) = Partial::create(file, 0o666)
                .map_err(|e| Fail::new(format!("cannot write {shown}: {e}")))?;
            (Some(partial), Some(file))
        }
    };
    // Ctrl-C is listened for before the request is sent (polled first): it stops the
    // download, and the partial file is removed.
    let mut interrupted = pin!(async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Stop::Interrupted,
            Err(e) => Stop::Fail(Fail::new(format!("cannot watch for Ctrl-C: {e}"))),
        }
    });
    let transfer = async {
        // The request goes first: an error answer writes nothing.
        let mut stream = c
            .run(|client| {
                let download = with_params(client.download(&path), &given);
                async move { download.open().await }
            })
            .await?;
        let bar = transfer::bar(format!("downloading to {shown}"), stream.total());
        let written =
            match file {
                None => copy(&mut stream, &mut tokio::io::stdout(), &bar, &shown).await,
                Some(file) => {
                    let mut out = tokio::fs::File::from_std(file);
                    match copy(&mut stream, &mut out, &bar, &shown).await {
                        Ok(n) => out.sync_all().await.map(|()| n).map_err(|e| {
                            Stop::Fail(Fail::new(format!("cannot write {shown}: {e}")))
                        }),
                        Err(stop) => Err(stop),
                    }
                }
            };
        Ok::<_, Stop>((written, bar))
    };
    let (written, bar) = select! {
        biased;
        stop = &mut interrupted => Err(stop),
        done = transfer => done,
    }
    .map_err(|stop| stopped(stop, &target, &shown))?;
    let written = match (written, partial) {
        (Ok(n), Some(partial)) => partial
            .finish()
            .map(|()| n)
            .map_err(|e| Stop::Fail(Fail::new(format!("cannot write {shown}: {e}")))),
        (written, _) => written,
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
        Err(stop) => {
            bar.abandon();
            Err(stopped(stop, &target, &shown))
        }
    }
}

/// The failure a download stopped with.
fn stopped(stop: Stop, target: &Target, shown: &str) -> Fail {
    match (stop, target) {
        (Stop::Fail(fail), _) => fail,
        (Stop::Closed, _) => Fail::new(format!("cannot write {shown}: it was closed")),
        (Stop::Interrupted, Target::File(_)) => {
            Fail::interrupted(format!("interrupted: nothing was written to {shown}"))
        }
        (Stop::Interrupted, Target::Stdout) => Fail::interrupted("interrupted"),
    }
}

/// Why a download stopped early.
enum Stop {
    /// Standard output's reader went away.
    Closed,
    /// Ctrl-C.
    Interrupted,
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
