//! Rate limits: which budget a request spends ([`RateLimits`]: per principal, with quotas
//! per role, or per client address for requests without credentials) and the tower layer
//! that spends it after authentication ([`RateLimitLayer`]), answering `429` with
//! `Retry-After` over the quota, and `RateLimit` / `RateLimit-Policy` headers (IETF draft
//! `httpapi-ratelimit-headers`) on every limited route's responses.
//!
//! Each refusal counts in `campushub_rate_limited_total{scope="principal"|"role"|"address"}`
//! ([`RateLimitLayer::register`]).
//!
//! The budgets themselves are a core [`RateBudget`]: in this process, or shared by every
//! instance through Redis (`campushub_cache::SharedRateBudget`). The probes (`/healthz`,
//! `/readyz`) are never limited: the router does not put the layer on them.

mod headers;
mod layer;

use axum::http::{Extensions, HeaderMap};
use campushub_core::rate_limit::Quota;
use campushub_core::{Principal, Role};

pub use campushub_core::rate_limit::RateBudget;
pub use layer::{RateLimitLayer, RateLimitService};

/// Which quota each request is held to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// A principal's quota when none of its roles has one (`None`: principals without a
    /// role quota are not limited).
    pub principal: Option<Quota>,
    /// Quotas per role; a principal with several of these roles gets the most generous.
    pub roles: Vec<(Role, Quota)>,
    /// The quota of a client address, for requests without credentials (sign-in, and
    /// `/metrics` when it is public); `None`: not limited.
    pub address: Option<Quota>,
    /// Count addresses by the last `X-Forwarded-For` entry (behind a proxy that sets it)
    /// rather than the connection's peer.
    pub trust_forwarded_for: bool,
}

/// The budget one request spends: the policy's name (in the headers), the key and its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// `principal`, `role` or `address`: the `scope` label of `campushub_rate_limited_total`.
    pub(crate) scope: &'static str,
    pub(crate) policy: String,
    pub(crate) key: String,
    pub(crate) quota: Quota,
}

impl RateLimits {
    /// Whether no request is limited.
    pub fn is_off(&self) -> bool {
        self.principal.is_none() && self.roles.is_empty() && self.address.is_none()
    }

    /// The quota of `principal`: the most generous of its roles' (the highest rate, then the
    /// largest burst), else [`RateLimits::principal`]; with the policy's name.
    pub fn principal_quota(&self, principal: &Principal) -> Option<(String, Quota)> {
        let by_role = self
            .roles
            .iter()
            .filter(|(role, _)| principal.has_role(role))
            .min_by_key(|(_, quota)| (quota.interval_micros(), u32::MAX - quota.limit));
        match by_role {
            Some((role, quota)) => Some((role.as_str().to_owned(), *quota)),
            None => self.principal.map(|quota| ("principal".to_owned(), quota)),
        }
    }

    /// The budget a request with `headers` and `extensions` (the authenticated principal,
    /// if any, the connection) spends, if it is limited.
    pub(crate) fn applied(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<Applied> {
        if let Some(principal) = extensions.get::<Principal>() {
            let (policy, quota) = self.principal_quota(principal)?;
            let scope = if policy == "principal" {
                "principal"
            } else {
                "role"
            };
            return Some(Applied {
                scope,
                policy,
                key: format!("principal:{}", principal.subject),
                quota,
            });
        }
        let quota = self.address?;
        let address =
            crate::client_address::client_address(headers, extensions, self.trust_forwarded_for)?;
        Some(Applied {
            scope: "address",
            policy: "address".to_owned(),
            key: format!("address:{address}"),
            quota,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn per_second(limit: u32) -> Quota {
        Quota::new(limit, Duration::from_secs(1)).expect("a quota")
    }

    #[test]
    fn a_principal_gets_its_most_generous_role_quota_else_the_default() {
        let limits = RateLimits {
            principal: Some(per_second(5)),
            roles: vec![
                (Role::ADMIN, per_second(100)),
                (Role::REGISTRAR, per_second(50)),
            ],
            ..RateLimits::default()
        };
        let both = Principal::new("a", [Role::REGISTRAR, Role::ADMIN]);
        assert_eq!(
            limits.principal_quota(&both),
            Some(("admin".to_owned(), per_second(100)))
        );
        let faculty = Principal::new("f", [Role::FACULTY]);
        assert_eq!(
            limits.principal_quota(&faculty),
            Some(("principal".to_owned(), per_second(5)))
        );
        let unlimited = RateLimits {
            roles: vec![(Role::ADMIN, per_second(1))],
            ..RateLimits::default()
        };
        assert_eq!(unlimited.principal_quota(&faculty), None);
    }

    #[test]
    fn requests_without_a_principal_spend_their_address_budget() {
        let limits = RateLimits {
            address: Some(per_second(3)),
            trust_forwarded_for: true,
            ..RateLimits::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.4, 198.51.100.2".parse().expect("a value"),
        );
        let applied = limits
            .applied(&headers, &Extensions::new())
            .expect("limited");
        assert_eq!(applied.key, "address:198.51.100.2");
        assert_eq!(applied.policy, "address");
        assert_eq!(applied.scope, "address");
        // A principal without a quota is not limited by its address either.
        let mut extensions = Extensions::new();
        extensions.insert(Principal::new("p", [Role::ADMIN]));
        assert_eq!(limits.applied(&headers, &extensions), None);
    }
}
