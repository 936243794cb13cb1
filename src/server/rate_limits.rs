//! The rate-limit settings: `CAMPUSHUB_RATE_LIMIT` (each principal), `CAMPUSHUB_RATE_LIMIT_ROLES`
//! (quotas per role, the most generous of a principal's roles applying) and
//! `CAMPUSHUB_RATE_LIMIT_ADDRESS` (requests without credentials, per client address). A
//! quota is `<requests>/<window>`: `100/1s`, `100/s`, `6000/1m`. Unset or `off`: no limit.

use std::time::Duration;

use super::parse::parse_duration;
use super::values::{error, ConfigError};
use crate::core::rate_limit::Quota;
use crate::core::Role;
use crate::http::RateLimits;

/// What a good quota looks like, in errors.
const EXPECTED: &str = "a quota such as 100/1s, 100/s or 6000/1m (requests per window), or off";

/// The limits the variables describe (`trust_forwarded_for`: `CAMPUSHUB_TRUST_FORWARDED_FOR`).
pub(super) fn load(
    get: &impl Fn(&str) -> Option<String>,
    trust_forwarded_for: bool,
) -> Result<RateLimits, ConfigError> {
    let principal = optional_quota(get, "CAMPUSHUB_RATE_LIMIT")?;
    let address = optional_quota(get, "CAMPUSHUB_RATE_LIMIT_ADDRESS")?;
    let mut roles = Vec::new();
    let listed = get("CAMPUSHUB_RATE_LIMIT_ROLES").unwrap_or_default();
    for entry in listed.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let variable = "CAMPUSHUB_RATE_LIMIT_ROLES";
        let (role, value) = entry.split_once('=').ok_or_else(|| {
            error(
                variable,
                format!("`{entry}` is not role=quota, such as admin=1000/1s"),
            )
        })?;
        let quota = quota(value).ok_or_else(|| {
            error(
                variable,
                format!("`{value}` (role `{role}`) is not {EXPECTED}"),
            )
        })?;
        let role = Role::new(role.trim().to_owned());
        if roles.iter().any(|(known, _)| *known == role) {
            return Err(error(variable, format!("role `{role}` is listed twice")));
        }
        roles.push((role, quota));
    }
    Ok(RateLimits {
        principal,
        roles,
        address,
        trust_forwarded_for,
    })
}

/// The quota of `variable`: `None` when unset or `off`.
fn optional_quota(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Option<Quota>, ConfigError> {
    match get(variable) {
        None => Ok(None),
        Some(value) if value.trim() == "off" => Ok(None),
        Some(value) => quota(&value)
            .map(Some)
            .ok_or_else(|| error(variable, format!("`{value}` is not {EXPECTED}"))),
    }
}

/// `<requests>/<window>`, the window a duration (`1s`, `250ms`) or a bare unit (`s`, `m`,
/// `h`); both positive, at most 1,000,000 requests per second.
fn quota(value: &str) -> Option<Quota> {
    let (limit, window) = value.trim().split_once('/')?;
    let limit: u32 = limit.trim().replace('_', "").parse().ok()?;
    let window = window.trim();
    let window: Duration = match window {
        "s" | "m" | "h" | "d" => parse_duration(&format!("1{window}"))?,
        _ => parse_duration(window)?,
    };
    let quota = Quota::new(limit, window)?;
    // Budgets count in microseconds: a faster rate would round to nothing.
    (quota.window_micros() >= u64::from(limit)).then_some(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn quotas_read_as_requests_per_window() {
        let second = Duration::from_secs(1);
        assert_eq!(quota("100/1s"), Quota::new(100, second));
        assert_eq!(quota("100/s"), Quota::new(100, second));
        assert_eq!(quota("6_000/1m"), Quota::new(6000, Duration::from_secs(60)));
        assert_eq!(quota("5/250ms"), Quota::new(5, Duration::from_millis(250)));
        for bad in ["100", "0/1s", "100/0s", "x/1s", "100/1y", "2000000/1ms"] {
            assert_eq!(quota(bad), None, "{bad}");
        }
    }

    #[test]
    fn unset_is_no_limit_and_a_bad_value_names_its_variable() {
        let limits = load(&env(&[]), false).expect("no limits");
        assert!(limits.is_off());
        let limits = load(
            &env(&[
                ("CAMPUSHUB_RATE_LIMIT", "10/s"),
                ("CAMPUSHUB_RATE_LIMIT_ROLES", "admin=100/s, metrics=1/s"),
                ("CAMPUSHUB_RATE_LIMIT_ADDRESS", "off"),
            ]),
            true,
        )
        .expect("limits");
        assert_eq!(limits.roles.len(), 2);
        assert_eq!(limits.address, None);
        assert!(limits.trust_forwarded_for);
        for (variable, value) in [
            ("CAMPUSHUB_RATE_LIMIT", "ten"),
            ("CAMPUSHUB_RATE_LIMIT_ROLES", "admin"),
            ("CAMPUSHUB_RATE_LIMIT_ROLES", "admin=1/s,admin=2/s"),
            ("CAMPUSHUB_RATE_LIMIT_ADDRESS", "1/y"),
        ] {
            let error = load(&env(&[(variable, value)]), false).expect_err(value);
            assert!(error.to_string().contains(variable), "{error}");
        }
    }
}
