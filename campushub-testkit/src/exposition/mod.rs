//! A strict reader of `/metrics` bodies (the Prometheus text format 0.0.4 and OpenMetrics
//! text), so that tests check the exposition parses and read samples by name and labels.

use std::collections::BTreeMap;

mod histograms;
mod line;

/// One sample line: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's name (`http_requests_total`, `..._bucket`).
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// A parsed exposition.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// Family name → type (`counter`, `gauge`, `histogram`, …), from the `# TYPE` lines.
    pub types: BTreeMap<String, String>,
}

impl Scrape {
    /// The samples named `name` whose labels include every pair of `labels`.
    pub fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The sum of the samples [`Scrape::matching`] `name` and `labels` (0 when none).
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    /// Whether some sample matches `name` and `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }
}

/// Parses `text`, checking that every sample belongs to a family declared by an earlier
/// `# TYPE`, that labels and values are well formed, that nothing follows an OpenMetrics
/// `# EOF`, and that each histogram's buckets are cumulative and end at its count.
pub fn parse(text: &str) -> Result<Scrape, String> {
    let mut scrape = Scrape::default();
    let mut ended = false;
    for (number, line) in text.lines().enumerate() {
        let at = |message: String| format!("line {}: {message}: {line:?}", number + 1);
        if ended {
            return Err(at("after # EOF".into()));
        }
        if line == "# EOF" {
            ended = true;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').ok_or_else(|| at("bad TYPE".into()))?;
            scrape.types.insert(family.to_owned(), kind.to_owned());
        } else if line.starts_with("# HELP ") || line.starts_with("# UNIT ") {
        } else if !line.is_empty() {
            let sample = line::sample(line).map_err(at)?;
            if family_of(&scrape.types, &sample.name).is_none() {
                return Err(at("no # TYPE for this sample".into()));
            }
            scrape.samples.push(sample);
        }
    }
    histograms::check(&scrape)?;
    Ok(scrape)
}

/// The declared family `name` belongs to: itself, or itself less a known suffix.
fn family_of<'a>(types: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    if let Some((family, _)) = types.get_key_value(name) {
        return Some(family);
    }
    ["_total", "_bucket", "_sum", "_count", "_created"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find_map(|family| types.get_key_value(family).map(|(f, _)| f.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# HELP x_seconds X.\n# TYPE x_seconds histogram\n# UNIT x_seconds seconds\nx_seconds_bucket{a=\"1\",le=\"0.5\"} 1\nx_seconds_bucket{a=\"1\",le=\"+Inf\"} 2\nx_seconds_sum{a=\"1\"} 0.75\nx_seconds_count{a=\"1\"} 2\n# TYPE n counter\nn_total{q=\"a\\\"b\"} 3\n# EOF\n";

    #[test]
    fn reads_samples_labels_and_histograms() {
        let scrape = parse(GOOD).expect("parses");
        assert_eq!(scrape.sum("x_seconds_count", &[("a", "1")]), 2.0);
        assert_eq!(scrape.sum("n_total", &[("q", "a\"b")]), 3.0);
        assert_eq!(scrape.types["x_seconds"], "histogram");
    }

    #[test]
    fn rejects_what_a_scraper_would() {
        let broken = [
            GOOD.replace("# TYPE n counter\n", ""),
            GOOD.replace("le=\"+Inf\"} 2", "le=\"+Inf\"} 0"),
            format!("{GOOD}n_total 4\n"),
            GOOD.replace("n_total{q=\"a\\\"b\"} 3", "n_total{q=\"a} 3"),
        ];
        for text in broken {
            assert!(parse(&text).is_err(), "{text}");
        }
    }
}
