//! Answers printed as JSON, pretty JSON, YAML or a table (the default on a terminal).

use std::collections::BTreeSet;
use std::io::IsTerminal;

use serde_json::Value;

use crate::args::Output;
use crate::fail::Fail;

/// Writes `text` to standard output. A reader that went away (`| head`) ends the output
/// quietly, as other tools do.
pub fn print(text: &str) -> Result<(), Fail> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fail::new(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

/// The format asked for, else a table on a terminal and JSON in a pipe.
pub fn choose(asked: Option<Output>) -> Output {
    asked.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            Output::Table
        } else {
            Output::Json
        }
    })
}

/// `value` in `format`; `first` is the column a table starts with (the key naming the rows).
pub fn render(value: &Value, format: Output, first: Option<&str>) -> Result<String, Fail> {
    let text = match format {
        Output::Json => value.to_string(),
        Output::JsonPretty => serde_json::to_string_pretty(value)
            .map_err(|e| Fail::new(format!("cannot write JSON: {e}")))?,
        Output::Yaml => {
            let yaml = serde_yaml_ng::to_string(value)
                .map_err(|e| Fail::new(format!("cannot write YAML: {e}")))?;
            return Ok(yaml);
        }
        Output::Table => table(value, first),
    };
    Ok(if text.is_empty() { text } else { text + "\n" })
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn table(value: &Value, first: Option<&str>) -> String {
    match value {
        Value::Null => String::new(),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut keys: BTreeSet<&str> = BTreeSet::new();
            for item in items {
                keys.extend(
                    item.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.as_str()),
                );
            }
            let mut columns: Vec<&str> = Vec::new();
            if let Some(first) = first.filter(|f| keys.contains(f)) {
                columns.push(first);
            }
            columns.extend(keys.iter().filter(|k| Some(**k) != first));
            let rows: Vec<Vec<Value>> = items
                .iter()
                .map(|item| {
                    columns
                        .iter()
                        .map(|c| item.get(*c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect();
            boxed(&columns, &rows)
        }
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("\n"),
        Value::Object(map) if !map.is_empty() => {
            let rows: Vec<Vec<Value>> = map
                .iter()
                .map(|(k, v)| vec![Value::String(k.clone()), v.clone()])
                .collect();
            boxed(&["key", "value"], &rows)
        }
        Value::Object(_) => String::new(),
        scalar => cell(scalar),
    }
}

/// A table with a box around it, numbers aligned right (as `pvesh` prints).
fn boxed(columns: &[&str], rows: &[Vec<Value>]) -> String {
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|v| cell(v).replace('\n', " ")).collect())
        .collect();
    let width = |i: usize| {
        texts
            .iter()
            .map(|r| r[i].chars().count())
            .chain([columns[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..columns.len()).map(width).collect();
    let numeric: Vec<bool> = (0..columns.len())
        .map(|i| rows.iter().all(|r| r[i].is_number() || r[i].is_null()))
        .collect();
    let rule = |left: &str, fill: &str, mid: &str, right: &str| {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{right}", parts.join(mid))
    };
    let line = |cells: &[String], align_numbers: bool| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if align_numbers && numeric[i] {
                    format!(" {c:>w$} ", w = widths[i])
                } else {
                    format!(" {c:<w$} ", w = widths[i])
                }
            })
            .collect();
        format!("│{}│", parts.join("│"))
    };
    let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let mut out = vec![
        rule("┌", "─", "┬", "┐"),
        line(&header, false),
        rule("╞", "═", "╪", "╡"),
    ];
    out.extend(texts.iter().map(|r| line(r, true)));
    out.push(rule("└", "─", "┴", "┘"));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_of_lists_objects_and_scalars() {
        let list = json!([{"vmid": 100, "name": "web"}, {"vmid": 101, "name": "db", "tags": "x"}]);
        assert_eq!(
            render(&list, Output::Table, Some("vmid")).unwrap(),
            "┌──────┬──────┬──────┐\n\
             │ vmid │ name │ tags │\n\
             ╞══════╪══════╪══════╡\n\
             │  100 │ web  │      │\n\
             │  101 │ db   │ x    │\n\
             └──────┴──────┴──────┘\n"
        );
        assert_eq!(
            render(&json!("9.2.0"), Output::Table, None).unwrap(),
            "9.2.0\n"
        );
        assert_eq!(render(&Value::Null, Output::Table, None).unwrap(), "");
        assert_eq!(
            render(&json!({"b": 1, "a": "x"}), Output::Table, None).unwrap(),
            "┌─────┬───────┐\n│ key │ value │\n╞═════╪═══════╡\n│ a   │ x     │\n│ b   │ 1     │\n└─────┴───────┘\n"
        );
        assert_eq!(
            render(&json!({"a": [1]}), Output::Json, None).unwrap(),
            "{\"a\":[1]}\n"
        );
        assert_eq!(
            render(&json!({"a": [1]}), Output::Yaml, None).unwrap(),
            "a:\n- 1\n"
        );
    }
}
