//! `audit-answers`: the answer audit of `proxmoxia::audit` against the cluster, printed as
//! its JSON report (or a table of the paths with findings). The exit status is 0 whenever
//! the sweep ran, whatever it found.

use std::io::IsTerminal;

use proxmoxia::audit::{AuditOptions, AuditReport, Outcome};
use serde_json::{Value, json};

use crate::args::{AuditAnswers, Connection, Output};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::output;

pub async fn run(conn: &Connection, args: AuditAnswers) -> Result<(), Fail> {
    let mut options = AuditOptions::new().sample(args.sample).values(args.values);
    if let Some(only) = &args.only {
        options = options.only(only);
    }
    let mut c = connect::connect(conn, Mode::Interactive).await?;
    let report = c
        .run(|client| {
            let options = options.clone();
            async move { client.audit_answers(&options).await }
        })
        .await?;
    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        Output::JsonPretty
    } else {
        Output::Json
    });
    match format {
        Output::Table | Output::Text => output::print(&table(&report)?),
        other => output::show(&report.to_json(), &output::Shape::plain(other)),
    }
}

/// The counts, then a table of the paths that did not simply decode.
fn table(report: &AuditReport) -> Result<String, Fail> {
    let c = &report.counts;
    let mut text = format!(
        "PVE {} (schema {}), proxmoxia {}: {} paths called, {} ok, {} decode failures, \
         {} HTTP errors, {} errors; {} unknown fields on {} paths\n",
        report.pve_version,
        report.schema,
        report.client_version,
        c.paths_called,
        c.ok,
        c.decode_failures,
        c.http_errors,
        c.errors,
        c.unknown_fields,
        c.paths_with_unknown_fields
    );
    let rows: Vec<Value> = report
        .paths
        .iter()
        .filter_map(|p| {
            let detail = match &p.outcome {
                Outcome::Ok if p.unknown.is_empty() => return None,
                Outcome::Ok => p
                    .unknown
                    .iter()
                    .map(|u| format!("{} ({})", u.at, u.kind.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
                Outcome::DecodeFailure { at, message } => format!("{at}: {message}"),
                Outcome::HttpError { status, message } => format!("{status} {message}"),
                Outcome::Error { message } => message.clone(),
                _ => String::new(),
            };
            Some(json!({"path": p.path, "outcome": p.outcome.as_str(), "what": detail}))
        })
        .collect();
    let mut rows_text = Vec::new();
    let shape = output::Shape {
        first: Some("path"),
        ..output::Shape::plain(Output::Table)
    };
    output::write(&Value::Array(rows), &shape, &mut rows_text)
        .map_err(|e| Fail::new(format!("cannot write the output: {e}")))?;
    text.push_str(&String::from_utf8_lossy(&rows_text));
    Ok(text)
}
