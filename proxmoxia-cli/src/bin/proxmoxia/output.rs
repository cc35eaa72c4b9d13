//! Answers printed as JSON, pretty JSON, YAML or a table (the default on a terminal). Text
//! from the server reaches the terminal with its control characters escaped ([`crate::escape`]).

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};

use serde_json::{Map, Value};

use crate::args::Output;
use crate::escape::escape;
use crate::fail::Fail;
use crate::text::Style;

/// The most columns a table of a list shows (the keys in the order they first show); the
/// rest are counted in a line after it.
const MAX_COLUMNS: usize = 32;
/// The most characters a table cell shows on a line; a longer cell wraps onto more lines.
const CELL_WIDTH: usize = 80;

/// Writes `text` to standard output. A reader that went away (`| head`) ends the output
/// quietly, as other tools do.
pub fn print(text: &str) -> Result<(), Fail> {
    let mut out = io::stdout().lock();
    written(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

fn written(result: io::Result<()>) -> Result<(), Fail> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Fail::new(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

/// The format asked for, else a table on a terminal and JSON in a pipe.
pub fn choose(asked: Option<Output>) -> Output {
    asked.unwrap_or_else(|| {
        if io::stdout().is_terminal() {
            Output::Table
        } else {
            Output::Json
        }
    })
}

/// How an answer is printed.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    pub format: Output,
    /// The column a `table` starts with (the key naming the rows).
    pub first: Option<&'a str>,
    /// The method's return schema, which `text` follows as pvesh does.
    pub returns: Option<&'a Value>,
    pub style: Style,
}

impl Shape<'_> {
    /// `format` with nothing else known.
    pub fn plain(format: Output) -> Shape<'static> {
        Shape {
            format,
            first: None,
            returns: None,
            style: Style::default(),
        }
    }
}

/// Prints `value` as `shape` says on standard output.
pub fn show(value: &Value, shape: &Shape) -> Result<(), Fail> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    written(write(value, shape, &mut out).and_then(|()| out.flush()))
}

/// `value` as `shape` says into `out`. A table is written row by row: its memory and its
/// size grow with the answer's, not with rows times columns.
pub fn write(value: &Value, shape: &Shape, out: &mut dyn Write) -> io::Result<()> {
    match shape.format {
        // serde_json escapes control characters; serde_yaml_ng too (`\e`, `\x9B`).
        Output::Json => writeln!(out, "{value}"),
        Output::JsonPretty => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)
        }
        Output::Yaml => {
            let yaml = serde_yaml_ng::to_string(value).map_err(io::Error::other)?;
            out.write_all(yaml.as_bytes())
        }
        Output::Text => crate::text::write(value, shape.returns, shape.style, out),
        Output::Table => table(value, shape.first, shape.style, out),
    }
}

fn table(value: &Value, first: Option<&str>, style: Style, out: &mut dyn Write) -> io::Result<()> {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            list(items.iter().filter_map(Value::as_object), first, style, out)
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| writeln!(out, "{}", lines(item))),
        Value::Object(map) if !map.is_empty() => {
            boxed(out, style, &["key".into(), "value".into()], || {
                map.iter()
                    .map(|(k, v)| vec![Cell::text(escape(k).into_owned()), Cell::of(Some(v))])
            })
        }
        Value::Object(_) => Ok(()),
        scalar => match lines(scalar) {
            text if text.is_empty() => Ok(()),
            text => writeln!(out, "{text}"),
        },
    }
}

/// A value printed alone: text keeps its lines (a config file's content reads as one),
/// each escaped.
fn lines(value: &Value) -> String {
    match value {
        Value::String(text) => text.split('\n').map(escape).collect::<Vec<_>>().join("\n"),
        other => Cell::of(Some(other)).text,
    }
}

/// A list of objects: a column per key in the order the keys first show (`first` ahead),
/// at most [`MAX_COLUMNS`], and a line counting the keys left out.
fn list<'a>(
    objects: impl Iterator<Item = &'a Map<String, Value>> + Clone,
    first: Option<&str>,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut columns: Vec<&str> = Vec::new();
    if let Some(first) = first.filter(|f| objects.clone().any(|o| o.contains_key(*f))) {
        seen.insert(first);
        columns.push(first);
    }
    for object in objects.clone() {
        for key in object.keys() {
            if seen.insert(key) && columns.len() < MAX_COLUMNS {
                columns.push(key);
            }
        }
    }
    let headers: Vec<String> = columns.iter().map(|c| escape(c).into_owned()).collect();
    boxed(out, style, &headers, || {
        objects
            .clone()
            .map(|o| columns.iter().map(|c| Cell::of(o.get(*c))).collect())
    })?;
    match seen.len() - columns.len() {
        0 => Ok(()),
        more => writeln!(
            out,
            "({more} more columns not shown: -o json shows every key)"
        ),
    }
}

/// A cell's text: a string escaped, a list or an object as compact JSON (whose strings
/// JSON escapes), null as nothing.
#[derive(Debug)]
struct Cell {
    text: String,
    /// A number or nothing: a column of only these is aligned right.
    numeric: bool,
}

impl Cell {
    fn text(text: String) -> Cell {
        Cell {
            text,
            numeric: false,
        }
    }

    fn of(value: Option<&Value>) -> Cell {
        match value {
            None | Some(Value::Null) => Cell {
                text: String::new(),
                numeric: true,
            },
            Some(Value::Number(n)) => Cell {
                text: n.to_string(),
                numeric: true,
            },
            Some(Value::String(s)) => Cell::text(escape(s).into_owned()),
            Some(other) => Cell::text(other.to_string()),
        }
    }
}

/// A table with a box around it (unless `style` says no), numbers aligned right (as `pvesh`
/// prints): `rows` is walked twice, once for the widths and once to print, so no row is kept.
fn boxed<R>(
    out: &mut dyn Write,
    style: Style,
    headers: &[String],
    rows: impl Fn() -> R,
) -> io::Result<()>
where
    R: Iterator<Item = Vec<Cell>>,
{
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| if style.header { width(h) } else { 0 })
        .collect();
    let mut numeric = vec![true; headers.len()];
    for row in rows() {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(&cell.text));
            numeric[i] &= cell.numeric;
        }
    }
    let rule = |out: &mut dyn Write, [left, fill, mid, right]: [&str; 4]| {
        if !style.border {
            return Ok(());
        }
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        writeln!(out, "{left}{}{right}", parts.join(mid))
    };
    rule(out, ["┌", "─", "┬", "┐"])?;
    if style.header {
        let texts: Vec<&str> = headers.iter().map(String::as_str).collect();
        line(out, style, &widths, &texts, &vec![false; headers.len()])?;
        rule(out, ["╞", "═", "╪", "╡"])?;
    }
    for row in rows() {
        let texts: Vec<&str> = row.iter().map(|c| c.text.as_str()).collect();
        line(out, style, &widths, &texts, &numeric)?;
    }
    rule(out, ["└", "─", "┴", "┘"])
}

/// The characters a cell takes on a line.
fn width(text: &str) -> usize {
    text.chars().count().min(CELL_WIDTH)
}

/// One row: each cell in its column, wrapped onto as many lines as the longest needs.
/// Without a border, cells are one space apart and the last is not padded (as pvesh's).
fn line(
    out: &mut dyn Write,
    style: Style,
    widths: &[usize],
    cells: &[&str],
    right: &[bool],
) -> io::Result<()> {
    use std::fmt::Write as _;
    let pieces: Vec<Vec<&str>> = cells.iter().map(|c| wrap(c)).collect();
    let lines = pieces.iter().map(Vec::len).max().unwrap_or(1);
    let last = pieces.len().saturating_sub(1);
    let mut text = String::new();
    for n in 0..lines {
        text.clear();
        if style.border {
            text.push('│');
        }
        for (i, cell) in pieces.iter().enumerate() {
            let piece = cell.get(n).copied().unwrap_or("");
            let w = widths[i];
            // Writing into a String does not fail.
            let _ = match (style.border, i == last, right[i]) {
                (true, _, true) => write!(text, " {piece:>w$} │"),
                (true, _, false) => write!(text, " {piece:<w$} │"),
                (false, true, true) => write!(text, "{piece:>w$}"),
                (false, true, false) => write!(text, "{piece}"),
                (false, false, true) => write!(text, "{piece:>w$} "),
                (false, false, false) => write!(text, "{piece:<w$} "),
            };
        }
        text.push('\n');
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `text` in pieces of at most [`CELL_WIDTH`] characters (one piece, maybe empty, at least).
fn wrap(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some((at, _)) = rest.char_indices().nth(CELL_WIDTH) {
        pieces.push(&rest[..at]);
        rest = &rest[at..];
    }
    pieces.push(rest);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(value: &Value, format: Output, first: Option<&str>) -> io::Result<String> {
        let mut out = Vec::new();
        let shape = Shape {
            first,
            ..Shape::plain(format)
        };
        write(value, &shape, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

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

    /// The box lines of a table whose columns are `widths` wide: `left`, `fill`s, `mid`s
    /// between columns, `right`.
    fn rule(widths: &[usize], [left, fill, mid, right]: [&str; 4]) -> String {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{right}\n", parts.join(mid))
    }

    /// Rows of a heterogeneous list: columns in the order their keys first show (the `first`
    /// column ahead), a long cell wrapped at 80 characters, a nested value as compact JSON,
    /// control characters escaped.
    #[test]
    fn heterogeneous_rows_long_and_nested_cells() {
        let long = "x".repeat(100);
        let list = json!([
            {"vmid": 100, "name": "web", "tags": "a\u{1b}b"},
            {"vmid": 101, "desc": long, "nested": {"a": [1, 2]}}
        ]);
        let widths = [4, 4, 8, 80, 11];
        let x = |n| "x".repeat(n);
        let expected = [
            rule(&widths, ["┌", "─", "┬", "┐"]),
            format!(
                "│ vmid │ name │ tags     │ {:<80} │ nested      │\n",
                "desc"
            ),
            rule(&widths, ["╞", "═", "╪", "╡"]),
            format!("│  100 │ web  │ a\\u{{1b}}b │ {:<80} │             │\n", ""),
            format!("│  101 │      │          │ {} │ {{\"a\":[1,2]}} │\n", x(80)),
            format!("│      │      │          │ {:<80} │             │\n", x(20)),
            rule(&widths, ["└", "─", "┴", "┘"]),
        ]
        .concat();
        assert_eq!(
            render(&list, Output::Table, Some("vmid")).unwrap(),
            expected
        );
    }

    /// 2900 rows with a key each of their own: 32 columns (the first keys seen) and a note
    /// of the rest, every line as wide as the header. (It once printed 84 MB: a column per key.)
    #[test]
    fn a_table_is_linear_in_a_heterogeneous_answer() {
        let list = Value::Array(
            (0..2900)
                .map(|i| json!({ format!("k{i:04}"): i }))
                .collect(),
        );
        let text = render(&list, Output::Table, None).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2905);
        assert_eq!(
            lines[2904],
            "(2868 more columns not shown: -o json shows every key)"
        );
        assert!(lines[..2904].iter().all(|l| l.chars().count() == 257));
        assert_eq!(text.len(), 942_295);
    }

    /// Control characters in a key, a cell, a list of text and a scalar are escaped (text
    /// printed alone keeps its newlines); YAML escapes its own.
    #[test]
    fn control_characters_are_escaped() {
        let evil = "\u{1b}]0;t\u{7}\u{9b}2J\r\t\u{7f}";
        let shown = "\\u{1b}]0;t\\u{7}\\u{9b}2J\\r\\t\\u{7f}";
        let w = shown.len();
        assert_eq!(
            render(&json!({ evil: evil }), Output::Table, None).unwrap(),
            format!(
                "┌{0}┬{0}┐\n│ {1:<w$} │ {2:<w$} │\n╞{3}╪{3}╡\n│ {shown} │ {shown} │\n└{0}┴{0}┘\n",
                "─".repeat(w + 2),
                "key",
                "value",
                "═".repeat(w + 2),
            )
        );
        assert_eq!(
            render(&json!([evil, 1]), Output::Table, None).unwrap(),
            format!("{shown}\n1\n")
        );
        assert_eq!(
            render(&json!(evil), Output::Table, None).unwrap(),
            format!("{shown}\n")
        );
        // Text printed alone keeps its lines.
        assert_eq!(
            render(&json!(format!("[global]\n{evil}")), Output::Table, None).unwrap(),
            format!("[global]\n{shown}\n")
        );
        assert_eq!(
            render(&json!({ "a": evil }), Output::Yaml, None).unwrap(),
            "a: \"\\e]0;t\\a\\x9B2J\\r\\t\\x7F\"\n"
        );
    }
}
