//! [`ClaimMapping`]: how an identity provider's claims become a [`Principal`]: which claim is
//! the subject, which claims hold groups or roles, and which of those values grant which
//! CampusHub roles.

use std::collections::HashMap;

use campushub_core::{Error, Principal, Result, Role};
use serde_json::{Map, Value};

/// From a provider's claims to a principal.
///
/// The defaults: the subject is `sub`; roles come from the `roles` and `groups` claims; a
/// value becomes a CampusHub role only through [`ClaimMapping::map`] (so that a provider
/// group that happens to be called `admin` grants nothing until mapped). Claim paths are
/// dot-separated for nested claims (Keycloak's `realm_access.roles`); a claim whose own name
/// holds dots (`https://example.edu/roles`) is found too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    subject: String,
    roles_from: Vec<String>,
    map: HashMap<String, Vec<Role>>,
    pass_through: bool,
    default_roles: Vec<Role>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        ClaimMapping {
            subject: "sub".into(),
            roles_from: vec!["roles".into(), "groups".into()],
            map: HashMap::new(),
            pass_through: false,
            default_roles: Vec::new(),
        }
    }
}

impl ClaimMapping {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// The claim whose value is the principal's subject (`sub` by default; `email` or
    /// `preferred_username` to record readable names in `created_by` and the audit trail).
    pub fn subject_claim(mut self, path: impl Into<String>) -> Self {
        self.subject = path.into();
        self
    }

    /// The claims that hold the provider's roles or groups, replacing the default `roles`
    /// and `groups`: each a string or an array of strings.
    pub fn roles_from(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles_from = paths.into_iter().map(Into::into).collect();
        self
    }

    /// The provider's value `value` (a group's name or id, an app role) grants `role`.
    pub fn map(mut self, value: impl Into<String>, role: Role) -> Self {
        self.map.entry(value.into()).or_default().push(role);
        self
    }

    /// Also takes every provider value that no mapping names as a CampusHub role of the same
    /// name (for a provider whose roles were made for CampusHub; off by default).
    pub fn pass_through(mut self, on: bool) -> Self {
        self.pass_through = on;
        self
    }

    /// Roles every principal of this provider holds, whatever its claims.
    pub fn default_role(mut self, role: Role) -> Self {
        self.default_roles.push(role);
        self
    }

    /// The principal `claims` describe.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when the subject claim is missing or not a string.
    pub fn principal(&self, claims: &Map<String, Value>) -> Result<Principal> {
        let subject = claim(claims, &self.subject)
            .and_then(Value::as_str)
            .filter(|subject| !subject.is_empty())
            .ok_or_else(|| {
                Error::Unauthenticated(format!("the token lacks the `{}` claim", self.subject))
            })?;
        let mut roles = self.default_roles.clone();
        for value in self.values(claims) {
            match self.map.get(value) {
                Some(mapped) => roles.extend(mapped.iter().cloned()),
                None if self.pass_through => roles.push(Role::new(value.to_owned())),
                None => {}
            }
        }
        roles.sort();
        roles.dedup();
        Ok(Principal::new(subject, roles))
    }

    /// Every string of the role claims (a string claim is one value, an array its strings).
    fn values<'c>(&self, claims: &'c Map<String, Value>) -> impl Iterator<Item = &'c str> + 'c {
        let found: Vec<&'c Value> = self
            .roles_from
            .iter()
            .filter_map(|path| claim(claims, path))
            .collect();
        found.into_iter().flat_map(|value| match value {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
    }
}

/// The claim at a dot-separated `path`: at each level the longest remaining path that is a
/// key wins, so `https://example.edu/roles` is one claim and `realm_access.roles` two levels.
fn claim<'c>(claims: &'c Map<String, Value>, path: &str) -> Option<&'c Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut split = path.len();
    while let Some(dot) = path[..split].rfind('.') {
        if let Some(Value::Object(inner)) = claims.get(&path[..dot]) {
            if let Some(value) = claim(inner, &path[dot + 1..]) {
                return Some(value);
            }
        }
        split = dot;
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::{claim, ClaimMapping};
    use campushub_core::{Error, Role};

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn keycloak_realm_roles_map_through_a_nested_path() {
        let mapping = ClaimMapping::new()
            .roles_from(["realm_access.roles"])
            .map("erp-registrars", Role::REGISTRAR);
        let principal = mapping
            .principal(&claims(json!({
                "sub": "f81d4fae",
                "realm_access": {"roles": ["offline_access", "erp-registrars"]},
            })))
            .expect("principal");
        assert_eq!(principal.subject, "f81d4fae");
        assert_eq!(principal.roles, vec![Role::REGISTRAR]);
    }

    #[test]
    fn unmapped_values_grant_nothing_unless_passed_through() {
        let token = claims(json!({"sub": "u", "groups": ["admin", "staff"]}));
        let strict = ClaimMapping::new().principal(&token).expect("principal");
        assert!(strict.roles.is_empty(), "{:?}", strict.roles);
        let open = ClaimMapping::new()
            .pass_through(true)
            .principal(&token)
            .expect("principal");
        assert_eq!(open.roles, vec![Role::ADMIN, Role::new("staff")]);
    }

    #[test]
    fn default_roles_and_a_string_claim_combine_without_repeats() {
        let mapping = ClaimMapping::new()
            .default_role(Role::FACULTY)
            .map("teachers", Role::FACULTY)
            .map("teachers", Role::ANALYST);
        let principal = mapping
            .principal(&claims(json!({"sub": "u", "roles": "teachers"})))
            .expect("principal");
        assert_eq!(principal.roles, vec![Role::ANALYST, Role::FACULTY]);
    }

    #[test]
    fn the_subject_claim_is_configurable_and_required() {
        let by_email = ClaimMapping::new().subject_claim("email");
        let principal = by_email
            .principal(&claims(json!({"sub": "x", "email": "ada@example.edu"})))
            .expect("principal");
        assert_eq!(principal.subject, "ada@example.edu");
        for token in [
            json!({"sub": "x"}),
            json!({"email": 7}),
            json!({"email": ""}),
        ] {
            let error = by_email.principal(&claims(token)).expect_err("no subject");
            assert!(
                matches!(&error, Error::Unauthenticated(m) if m.contains("`email`")),
                "{error:?}"
            );
        }
    }

    #[test]
    fn a_claim_whose_name_holds_dots_is_found_whole_or_nested() {
        let token = claims(json!({
            "https://example.edu/roles": ["a"],
            "resource_access": {"campus.hub": {"roles": ["b"]}},
        }));
        assert_eq!(
            claim(&token, "https://example.edu/roles"),
            Some(&json!(["a"]))
        );
        assert_eq!(
            claim(&token, "resource_access.campus.hub.roles"),
            Some(&json!(["b"]))
        );
        assert_eq!(claim(&token, "resource_access.campus"), None);
        assert_eq!(claim(&token, "missing.path"), None);
    }
}
