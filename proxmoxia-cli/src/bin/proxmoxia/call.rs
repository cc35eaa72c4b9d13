//! `get`, `create`, `set`, `delete`: one API call by path, its parameters checked first; a
//! task it starts is followed to its end unless `--no-wait`.

use proxmoxia::typed::HttpMethod;
use proxmoxia::{Client, RawPath, TaskOutcome, Upid};
use serde_json::Value;

use crate::args::{Call, Connection, Output, Show, Verb};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::output::Shape;
use crate::params::OwnOption;
use crate::text::Style;
use crate::{doc, output, params, versions, wait};

/// The command's own options that may stand among the parameters (clap reads them only
/// before the path). No PVE method has parameters of these names but vzdump's (and backup
/// jobs', apt update's) `quiet`, which stays theirs, as in pvesh.
pub const OWN: [OwnOption; 5] = [
    OwnOption {
        names: &["o", "output-format", "output"],
        takes_value: true,
    },
    OwnOption {
        names: &["no-wait"],
        takes_value: false,
    },
    OwnOption {
        names: &["quiet"],
        takes_value: false,
    },
    OwnOption {
        names: &["noborder"],
        takes_value: false,
    },
    OwnOption {
        names: &["noheader"],
        takes_value: false,
    },
];

pub async fn run(conn: &Connection, verb: Verb, call: Call) -> Result<(), Fail> {
    let method = verb.method();
    // Everything the schema can decide is checked before connecting: nothing is sent.
    let params::Checked {
        resolved,
        entry,
        given,
        path_params,
        own,
    } = params::check(method, &call.path, &call.params, &OWN)?;
    let (show, no_wait) = own_options(call.show, call.no_wait, &own)?;

    let mut c = connect::connect(conn, Mode::Interactive).await?;
    if let Some(needs) = versions::needs(entry, &given) {
        let cluster = c
            .run(|client| async move { client.pve_version().await })
            .await?;
        versions::check(&needs, &cluster, entry, &given, &path_params)?;
    }
    let answer = c
        .run(|client| {
            let target = raw_path(&client, &resolved.segments);
            let given = Value::Object(given.clone());
            async move {
                match method {
                    HttpMethod::Get => target.get(given).await,
                    HttpMethod::Post => target.post(given).await,
                    HttpMethod::Put => target.put(given).await,
                    HttpMethod::Delete => target.delete(given).await,
                }
            }
        })
        .await?;
    let upid = match (&answer, method) {
        (_, HttpMethod::Get) => None,
        (Value::String(text), _) => Upid::parse(text).ok(),
        _ => None,
    };
    let first = resolved
        .node
        .param
        .as_ref()
        .map(|(name, _)| doc::link_key(resolved.node.method(HttpMethod::Get), name));
    let returns = entry.answer_schema();
    let format = output::choose(show.output);
    match (&upid, show.output) {
        _ if show.quiet => {}
        // A task's UPID alone on its line, in a pipe too: `UP=$(proxmoxia create ...)`.
        (Some(upid), None) => output::print(&format!("{upid}\n"))?,
        _ => output::show(
            &answer,
            &Shape {
                format,
                first: first.as_deref(),
                returns,
                style: Style {
                    border: !show.noborder,
                    header: !show.noheader,
                },
            },
        )?,
    }
    let Some(upid) = upid.filter(|_| !no_wait) else {
        return Ok(());
    };
    match wait::follow(&c.client.task(&upid)).await? {
        TaskOutcome::Warnings(n) if matches!(format, Output::Table | Output::Text) => {
            eprintln!("task finished with {n} warning(s)");
        }
        _ => {}
    }
    Ok(())
}

/// The request path from the user's segments, each escaped whole (a volume id's `/` too).
fn raw_path(client: &Client, segments: &[String]) -> RawPath {
    segments
        .iter()
        .fold(client.raw(""), |path, segment| path.segment(segment))
}

/// The options clap read before the path, then those given among the parameters ([`OWN`]).
fn own_options(
    mut show: Show,
    mut no_wait: bool,
    given: &[(&str, String)],
) -> Result<(Show, bool), Fail> {
    use clap::ValueEnum;
    for (name, value) in given {
        let on = value == "1";
        match *name {
            "o" => {
                show.output = Some(Output::from_str(value, false).map_err(|_| {
                    Fail::usage(format!(
                        "--output-format {value}: use json, json-pretty, text, yaml or table"
                    ))
                })?);
            }
            "no-wait" => no_wait = on,
            "quiet" => show.quiet = on,
            "noborder" => show.noborder = on,
            "noheader" => show.noheader = on,
            _ => {}
        }
    }
    Ok((show, no_wait))
}
