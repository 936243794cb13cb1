//! Reading one sample out of `/metrics` (Prometheus text).

/// The value of `name{labels}` (labels as rendered, e.g. `route="/healthz"`), 0 when absent.
pub fn sample(text: &str, name: &str, labels: &str) -> f64 {
    let series = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    text.lines()
        .filter_map(|line| line.strip_prefix(&series))
        .filter_map(|rest| rest.strip_prefix(' '))
        .find_map(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}
