//! One sample line: name, labels (escaped values) and value.

use std::collections::BTreeMap;

use super::Sample;

/// One sample line.
pub(super) fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("bad metric name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = rest.split_once("=\"").ok_or("bad label")?;
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("bad label name {key:?}"));
            }
            let (value, after) = label_value(after)?;
            labels.insert(key.to_owned(), value);
            rest = after.strip_prefix(',').unwrap_or(after);
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    // OpenMetrics may add a timestamp or an exemplar after the value; we emit neither.
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value: number(value)?,
    })
}

/// A sample value or a bucket bound: a float, `+Inf` or `-Inf`.
pub(super) fn number(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other.parse().map_err(|_| format!("bad number {other:?}")),
    }
}

/// An escaped label value up to its closing quote, and what follows it.
fn label_value(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[index + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, escaped @ ('\\' | '"'))) => value.push(escaped),
                _ => return Err("bad escape in a label value".into()),
            },
            '\n' => return Err("newline in a label value".into()),
            c => value.push(c),
        }
    }
    Err("unterminated label value".into())
}
