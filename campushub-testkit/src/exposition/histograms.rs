//! The consistency of histograms: what a scraper would reject.

use std::collections::BTreeMap;

use super::line::number;
use super::Scrape;

/// Each histogram's buckets grow with their bound and end at `+Inf` with its count.
pub(super) fn check(scrape: &Scrape) -> Result<(), String> {
    let histograms = scrape.types.iter().filter(|(_, kind)| *kind == "histogram");
    for (family, _) in histograms {
        let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for sample in scrape.matching(&format!("{family}_bucket"), &[]) {
            let mut labels = sample.labels.clone();
            let le = labels.remove("le").ok_or("a bucket without le")?;
            let le = number(&le)?;
            series.entry(labels).or_default().push((le, sample.value));
        }
        for (labels, buckets) in series {
            let cumulative = buckets
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
            let last = buckets.last().copied().unwrap_or_default();
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let count = scrape.sum(&format!("{family}_count"), &pairs);
            if !cumulative || last.0 != f64::INFINITY || last.1 != count {
                return Err(format!(
                    "{family}{labels:?}: buckets {buckets:?}, count {count}"
                ));
            }
        }
    }
    Ok(())
}
