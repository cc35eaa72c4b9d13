//! `--output-format text`: an answer as `pvesh` prints it (pve-common's
//! `PVE::CLIFormatter::print_api_result`), led by the method's return schema: an object as a
//! `key`/`value` table sorted by key (null values left out), a list of objects as a table of the
//! schema's properties (required ones sorted, then optional ones sorted; without properties,
//! every key of the answer sorted) with its rows sorted by the first column, a list of
//! scalars as one column without a header, a scalar alone on its line. Boxes are drawn with
//! a rule between rows; numbers (by the schema) aligned right; the schema's renderers
//! (`bytes`, `duration`, `fraction_as_percentage`, `timestamp`, `yaml`) make values
//! readable, as pvesh's default `--human-readable 1`.

use std::cmp::Ordering;
use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::escape::escape;

/// Borders and the header of a table (`--noborder`, `--noheader`, as pvesh's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Draw the box; without it, cells are padded and one space apart (the last unpadded).
    pub border: bool,
    /// Print the line of column titles.
    pub header: bool,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            border: true,
            header: true,
        }
    }
}

/// Writes `value` as pvesh's `text` format; `returns` is the method's return schema.
pub fn write(
    value: &Value,
    returns: Option<&Value>,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let no_schema = Value::Null;
    let schema = returns.unwrap_or(&no_schema);
    let ty = match schema.get("type").and_then(Value::as_str) {
        Some("null") => return Ok(()),
        _ if value.is_null() => return Ok(()),
        // The schema's type when the answer has it; else the answer's own.
        Some("object") if value.is_object() => "object",
        Some("array") if value.is_array() => "array",
        _ => match value {
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            _ => "scalar",
        },
    };
    match (ty, value) {
        ("object", Value::Object(map)) => key_values(map, schema, style, out),
        ("array", Value::Array(items)) if items.is_empty() => Ok(()),
        ("array", Value::Array(items)) if items.iter().all(Value::is_object) => {
            let items_schema = schema.get("items").unwrap_or(&no_schema);
            list(items, items_schema, style, out)
        }
        ("array", Value::Array(items)) => {
            let item = schema.get("items").unwrap_or(&no_schema);
            let column = Column::new("value", item);
            let mut rows: Vec<(&Value, Vec<String>)> =
                items.iter().map(|v| (v, column.cell(Some(v)))).collect();
            rows.sort_by(|a, b| column.compare(Some(a.0), Some(b.0)));
            let style = Style {
                header: false,
                ..style
            };
            grid(
                &[column],
                rows.into_iter().map(|(_, cell)| vec![cell]).collect(),
                style,
                out,
            )
        }
        (_, scalar) => {
            let text = match scalar {
                Value::String(s) => s.split('\n').map(escape).collect::<Vec<_>>().join("\n"),
                Value::Bool(b) => u8::from(*b).to_string(),
                other => other.to_string(),
            };
            writeln!(out, "{text}")
        }
    }
}

/// An object as pvesh prints it: rows of `key` and `value`, sorted by key, nulls left out.
fn key_values(
    map: &Map<String, Value>,
    schema: &Value,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let props = schema.get("properties").and_then(Value::as_object);
    let mut keys = printed(props);
    if keys.is_empty() {
        keys = map.keys().cloned().collect();
    }
    keys.sort();
    let none = Value::Null;
    let rows: Vec<Vec<Vec<String>>> = keys
        .iter()
        .filter_map(|key| {
            let value = map.get(key).filter(|v| !v.is_null())?;
            let prop = props.and_then(|p| p.get(key)).unwrap_or(&none);
            Some(vec![lines(&escape(key)), text(value, prop)])
        })
        .collect();
    let columns = [Column::new("key", &none), Column::new("value", &none)];
    grid(&columns, rows, style, out)
}

/// A list of objects: a column per property the schema lists (else per key of the answer),
/// rows sorted by the first.
fn list(items: &[Value], schema: &Value, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let props = schema.get("properties").and_then(Value::as_object);
    let mut names = printed(props);
    if names.is_empty() {
        let mut all: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().cloned())
            .collect();
        all.sort();
        all.dedup();
        names = all;
    }
    let none = Value::Null;
    let columns: Vec<Column> = names
        .iter()
        .map(|name| Column::new(name, props.and_then(|p| p.get(name)).unwrap_or(&none)))
        .collect();
    let mut sorted: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
    if let Some(first) = columns.first() {
        sorted.sort_by(|a, b| first.compare(a.get(&first.name), b.get(&first.name)));
    }
    let rows = sorted
        .iter()
        .map(|o| columns.iter().map(|c| c.cell(o.get(&c.name))).collect())
        .collect();
    grid(&columns, rows, style, out)
}

/// pvesh's columns of a schema's properties: the required ones sorted, then the optional
/// ones sorted.
fn printed(props: Option<&Map<String, Value>>) -> Vec<String> {
    let Some(props) = props else {
        return Vec::new();
    };
    let mut required: Vec<&String> = Vec::new();
    let mut optional: Vec<&String> = Vec::new();
    for (name, prop) in props {
        match prop.get("optional") {
            Some(Value::Bool(true)) => optional.push(name),
            Some(Value::Number(n)) if n.as_i64() != Some(0) => optional.push(name),
            _ => required.push(name),
        }
    }
    required.sort();
    optional.sort();
    required.into_iter().chain(optional).cloned().collect()
}

/// A column: its key, title, property schema, alignment and width limit.
struct Column<'a> {
    name: String,
    title: String,
    prop: &'a Value,
    numeric: bool,
    /// The schema's `print_width` (else `maxLength`): longer cells are cut.
    cutoff: Option<usize>,
}

impl<'a> Column<'a> {
    fn new(name: &str, prop: &'a Value) -> Column<'a> {
        let numeric = matches!(
            prop.get("type").and_then(Value::as_str),
            Some("integer" | "number")
        );
        let cutoff = prop
            .get("print_width")
            .or_else(|| prop.get("maxLength"))
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok());
        let title = prop
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_owned();
        Column {
            name: name.to_owned(),
            title: escape(&title).into_owned(),
            prop,
            numeric,
            cutoff,
        }
    }

    fn cell(&self, value: Option<&Value>) -> Vec<String> {
        text(value.unwrap_or(&Value::Null), self.prop)
    }

    /// pvesh's row order: a missing value first, numbers by value in a numeric column, text
    /// by its bytes otherwise.
    fn compare(&self, a: Option<&Value>, b: Option<&Value>) -> Ordering {
        let a = a.filter(|v| !v.is_null());
        let b = b.filter(|v| !v.is_null());
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) if self.numeric => number(a)
                .unwrap_or(0.0)
                .total_cmp(&number(b).unwrap_or(0.0)),
            (Some(a), Some(b)) => plain(a).cmp(&plain(b)),
        }
    }
}

/// A value as Perl reads it as a number.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// A value as text, without rendering: a string as it is, anything else as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A cell's lines (pvesh's `data_to_text`): a boolean property as 1 or 0, a renderer's text,
/// a list or object as compact JSON with sorted keys, a scalar as it is; each line with its
/// control characters escaped.
fn text(value: &Value, prop: &Value) -> Vec<String> {
    if value.is_null() {
        return vec![String::new()];
    }
    let rendered = if prop.get("type").and_then(Value::as_str) == Some("boolean") {
        let truthy = match value {
            Value::Bool(b) => *b,
            Value::String(s) => !(s.is_empty() || s == "0"),
            other => number(other).is_some_and(|n| n != 0.0),
        };
        u8::from(truthy).to_string()
    } else {
        match prop.get("renderer").and_then(Value::as_str) {
            Some(renderer) => render(renderer, value).unwrap_or_else(|| plain(value)),
            None => plain(value),
        }
    };
    lines(&rendered)
}

fn lines(text: &str) -> Vec<String> {
    text.split('\n').map(|l| escape(l).into_owned()).collect()
}

/// PVE's renderers (pve-common `PVE::Format`); `None` for a value they cannot read.
fn render(renderer: &str, value: &Value) -> Option<String> {
    match renderer {
        "bytes" => Some(bytes(number(value)?)),
        "duration" => Some(duration(number(value)?)),
        "fraction_as_percentage" => Some(format!("{:.2}%", number(value)? * 100.0)),
        // pvesh prints the local time; this CLI the UTC time, and says so.
        "timestamp" => Some(format!("{} UTC", utc(number(value)?)?)),
        "timestamp_gmt" => utc(number(value)?),
        "yaml" => {
            let yaml = serde_yaml_ng::to_string(value).ok()?;
            Some(yaml.trim_end_matches('\n').to_owned())
        }
        _ => None,
    }
}

/// `render_bytes`: 1023 and less in bytes, else in the largest binary unit, two decimals.
fn bytes(value: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut unit = 0;
    let mut value = value;
    if value > 1023.0 {
        // As pvesh: int(log(value) / log(1024)), at most PiB.
        unit = ((value.ln() / 1024f64.ln()) as usize).min(UNITS.len() - 1);
        value /= 1024f64.powi(unit as i32);
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// `render_duration`: `1w 2d 3h 4m 5s`, zero units left out.
fn duration(seconds: f64) -> String {
    let mut rest = seconds.round().max(0.0) as u64;
    if rest == 0 {
        return "0s".into();
    }
    let mut parts = Vec::new();
    for (unit, length) in [
        ("w", 7 * 86400),
        ("d", 86400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ] {
        let n = rest / length;
        if n > 0 {
            parts.push(format!("{n}{unit}"));
            rest -= n * length;
        }
    }
    parts.join(" ")
}

/// `YYYY-MM-DD HH:MM:SS` of a Unix time, in UTC.
fn utc(seconds: f64) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    let secs = seconds.floor() as i64;
    let days = secs.div_euclid(86400);
    let of_day = secs.rem_euclid(86400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    ))
}

/// pvesh's `print_text_table`: `rows` (cells of lines) under `columns`, boxed with a rule
/// between rows, or without borders (cells padded and one space apart, the last unpadded).
fn grid(
    columns: &[Column],
    rows: Vec<Vec<Vec<String>>>,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let count = |s: &str| s.chars().count();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let longest = rows
                .iter()
                .flat_map(|r| r[i].iter())
                .map(|l| count(l))
                .fold(count(&c.title), usize::max);
            c.cutoff.map_or(longest, |cut| cut.min(longest))
        })
        .collect();
    let rule = |[left, fill, mid, right]: [&str; 4]| {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{right}\n", parts.join(mid))
    };
    // As pvesh: one format for titles and cells (a number column's title aligned right too),
    // widths counting the titles even when they are not printed.
    let line = |cells: &[&str]| {
        let mut text = String::new();
        let last = columns.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            let w = widths[i];
            let cut: String = cell.chars().take(w).collect();
            let padded = match (style.border, i == last, columns[i].numeric) {
                (false, true, _) => cut,
                (_, _, true) => format!("{cut:>w$}"),
                (_, _, false) => format!("{cut:<w$}"),
            };
            match (style.border, i == last) {
                (true, true) => text.push_str(&format!("│ {padded} │")),
                (true, false) => text.push_str(&format!("│ {padded} ")),
                (false, true) => text.push_str(&padded),
                (false, false) => text.push_str(&format!("{padded} ")),
            }
        }
        text.push('\n');
        text
    };
    if style.border {
        out.write_all(rule(["┌", "─", "┬", "┐"]).as_bytes())?;
    }
    let mut separator = rule(["├", "─", "┼", "┤"]);
    if style.header {
        let titles: Vec<&str> = columns.iter().map(|c| c.title.as_str()).collect();
        out.write_all(line(&titles).as_bytes())?;
        separator = rule(["╞", "═", "╪", "╡"]);
    }
    for (i, row) in rows.iter().enumerate() {
        if style.border && (i != 0 || style.header) {
            out.write_all(separator.as_bytes())?;
            separator = rule(["├", "─", "┼", "┤"]);
        }
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for n in 0..height {
            let cells: Vec<&str> = row
                .iter()
                .map(|cell| cell.get(n).map_or("", String::as_str))
                .collect();
            out.write_all(line(&cells).as_bytes())?;
        }
    }
    if style.border {
        out.write_all(rule(["└", "─", "┴", "┘"]).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(value: &Value, returns: Option<&Value>, style: Style) -> String {
        let mut out = Vec::new();
        write(value, returns, style, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const BOXED: Style = Style {
        border: true,
        header: true,
    };

    /// A list of VMs as `pvesh get /nodes/pve1/qemu` prints it: the schema's required
    /// properties first, then the optional ones, rows by the first column (vmid is required
    /// with status), a rule between rows, numbers right, bytes rendered.
    #[test]
    fn a_list_as_pvesh_prints_it() {
        let returns = json!({"type": "array", "items": {"type": "object", "properties": {
            "vmid": {"type": "integer"},
            "status": {"type": "string"},
            "name": {"type": "string", "optional": 1},
            "maxmem": {"type": "integer", "optional": 1, "renderer": "bytes"},
        }}});
        let answer = json!([
            {"vmid": 101, "status": "stopped", "name": "db", "maxmem": 4294967296u64, "extra": 1},
            {"vmid": 100, "status": "running", "name": "web"},
        ]);
        assert_eq!(
            render(&answer, Some(&returns), BOXED),
            "┌─────────┬──────┬──────────┬──────┐\n\
             │ status  │ vmid │   maxmem │ name │\n\
             ╞═════════╪══════╪══════════╪══════╡\n\
             │ running │  100 │          │ web  │\n\
             ├─────────┼──────┼──────────┼──────┤\n\
             │ stopped │  101 │ 4.00 GiB │ db   │\n\
             └─────────┴──────┴──────────┴──────┘\n"
        );
        // Sorted by the first column: status here. Without borders: padded cells one space
        // apart, the last unpadded; without the header too.
        assert_eq!(
            render(
                &answer,
                Some(&returns),
                Style {
                    border: false,
                    header: true
                }
            ),
            "status  vmid   maxmem name\n\
             running  100          web\n\
             stopped  101 4.00 GiB db\n"
        );
        assert_eq!(
            render(
                &answer,
                Some(&returns),
                Style {
                    border: false,
                    header: false
                }
            ),
            "running  100          web\nstopped  101 4.00 GiB db\n"
        );
    }

    /// An object: key/value rows sorted by key, nulls left out, nested values as JSON, a
    /// boolean property as 1/0; without a schema, every key.
    #[test]
    fn an_object_and_scalars_as_pvesh_prints_them() {
        let returns = json!({"type": "object", "properties": {
            "uptime": {"type": "integer", "renderer": "duration"},
            "ha": {"type": "object"},
            "agent": {"type": "boolean"},
        }});
        let answer = json!({"uptime": 93784, "ha": {"managed": 0}, "agent": true, "lock": null});
        assert_eq!(
            render(&answer, Some(&returns), BOXED),
            "┌────────┬───────────────┐\n\
             │ key    │ value         │\n\
             ╞════════╪═══════════════╡\n\
             │ agent  │ 1             │\n\
             ├────────┼───────────────┤\n\
             │ ha     │ {\"managed\":0} │\n\
             ├────────┼───────────────┤\n\
             │ uptime │ 1d 2h 3m 4s   │\n\
             └────────┴───────────────┘\n"
        );
        assert_eq!(
            render(&json!(["b", "a"]), None, BOXED),
            "┌───────┐\n│ a     │\n├───────┤\n│ b     │\n└───────┘\n"
        );
        assert_eq!(render(&json!("9.2.0"), None, BOXED), "9.2.0\n");
        assert_eq!(render(&json!(true), None, BOXED), "1\n");
        assert_eq!(render(&Value::Null, None, BOXED), "");
        assert_eq!(render(&json!([]), None, BOXED), "");
        assert_eq!(
            render(&json!("UPID:x"), Some(&json!({"type": "null"})), BOXED),
            ""
        );
    }

    #[test]
    fn renderers_as_pve_format_writes_them() {
        assert_eq!(bytes(512.0), "512.00 B");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(4294967296.0), "4.00 GiB");
        assert_eq!(duration(0.0), "0s");
        assert_eq!(duration(694861.0), "1w 1d 1h 1m 1s");
        assert_eq!(utc(0.0).unwrap(), "1970-01-01 00:00:00");
        assert_eq!(utc(1_767_225_600.0).unwrap(), "2026-01-01 00:00:00");
        assert_eq!(
            super::render("fraction_as_percentage", &json!(0.1234)).unwrap(),
            "12.34%"
        );
        assert_eq!(
            super::render("timestamp", &json!(951_782_400)).unwrap(),
            "2000-02-29 00:00:00 UTC"
        );
    }
}
