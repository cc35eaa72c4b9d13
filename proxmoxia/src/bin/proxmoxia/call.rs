//! `get`, `create`, `set`, `delete`: one API call by path, its parameters checked first; a
//! task it starts is followed to its end unless `--no-wait`.

use proxmoxia::typed::HttpMethod;
use proxmoxia::{Client, RawPath, TaskOutcome, Upid};
use serde_json::Value;

use crate::args::{Call, Connection, Output, Verb};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::{doc, output, params, versions, wait};

pub async fn run(conn: &Connection, verb: Verb, call: Call) -> Result<(), Fail> {
    let method = verb.method();
    let (call, own) = own_options(call)?;
    // Everything the schema can decide is checked before connecting: nothing is sent.
    let params::Checked {
        resolved,
        entry,
        given,
        path_params,
        ..
    } = params::check(method, &call.path, &call.params)?;

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
    let format = output::choose(own.output);
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
    output::show(&answer, format, first.as_deref())?;
    let Some(upid) = upid.filter(|_| !own.no_wait) else {
        return Ok(());
    };
    match wait::follow(&c.client, &upid).await? {
        TaskOutcome::Warnings(n) if format == Output::Table => {
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

/// The command's own options, wherever they stand: clap stops reading them at the first
/// parameter (`create /p --vmid 1 --no-wait`). No PVE method has parameters of these names.
#[derive(Debug)]
struct Own {
    output: Option<Output>,
    no_wait: bool,
}

fn own_options(mut call: Call) -> Result<(Call, Own), Fail> {
    use clap::ValueEnum;
    let mut own = Own {
        output: call.output,
        no_wait: call.no_wait,
    };
    let mut params = Vec::new();
    let mut args = std::mem::take(&mut call.params).into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--no-wait" => {
                own.no_wait = true;
                continue;
            }
            "-o" | "--output" => args
                .next()
                .ok_or_else(|| Fail::usage(format!("{arg} needs a value")))?,
            _ => match arg.strip_prefix("--output=") {
                Some(value) => value.to_owned(),
                None => {
                    params.push(arg);
                    continue;
                }
            },
        };
        own.output = Some(Output::from_str(&value, false).map_err(|_| {
            Fail::usage(format!(
                "--output {value}: use json, json-pretty, yaml or table"
            ))
        })?);
    }
    call.params = params;
    Ok((call, own))
}
