//! The identity provider whose access tokens the server accepts beside its own
//! (`CAMPUSHUB_OIDC_*`): read from the configuration, then built into an [`OidcProvider`]
//! whose keys are fetched before the server serves.

use std::time::Duration;

use std::sync::Arc;

use super::parse::duration_var;
use super::values::{error, ConfigError};
use crate::core::{Repository, Role, User};
use crate::http::{ClaimMapping, OidcProvider};

/// `CAMPUSHUB_OIDC_*`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// `CAMPUSHUB_OIDC_ISSUER`.
    pub issuer: String,
    /// `CAMPUSHUB_OIDC_AUDIENCE`.
    pub audience: String,
    /// `CAMPUSHUB_OIDC_JWKS_URL`.
    pub jwks_url: Option<String>,
    /// `CAMPUSHUB_OIDC_ROLES_CLAIMS` (`None`: the mapping's default).
    pub roles_claims: Option<Vec<String>>,
    /// `CAMPUSHUB_OIDC_ROLE_MAP`: (provider value, role) pairs.
    pub role_map: Vec<(String, String)>,
    /// `CAMPUSHUB_OIDC_SUBJECT_CLAIM`.
    pub subject_claim: Option<String>,
    /// `CAMPUSHUB_OIDC_DEFAULT_ROLES`.
    pub default_roles: Vec<String>,
    /// `CAMPUSHUB_OIDC_MIN_REFRESH`.
    pub min_refresh: Duration,
    /// `CAMPUSHUB_OIDC_ACCOUNT_CLAIM`: the claim joining a token to the account of that
    /// email (`None`: tokens are not joined to accounts).
    pub account_claim: Option<String>,
}

impl OidcSettings {
    /// The provider's settings, `None` without `CAMPUSHUB_OIDC_ISSUER`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable: an `OIDC` variable without the issuer, an
    /// issuer without an audience, a malformed role map or duration.
    pub(super) fn load(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(issuer) = get("CAMPUSHUB_OIDC_ISSUER") else {
            for variable in DEPENDENT {
                if get(variable).is_some() {
                    return Err(error(variable, "is set but CAMPUSHUB_OIDC_ISSUER is not"));
                }
            }
            return Ok(None);
        };
        let audience = get("CAMPUSHUB_OIDC_AUDIENCE").ok_or_else(|| {
            error(
                "CAMPUSHUB_OIDC_AUDIENCE",
                "is required with CAMPUSHUB_OIDC_ISSUER: without it, tokens the provider \
                 issued to any other application would open this one",
            )
        })?;
        let settings = OidcSettings {
            issuer,
            audience,
            jwks_url: get("CAMPUSHUB_OIDC_JWKS_URL"),
            roles_claims: get("CAMPUSHUB_OIDC_ROLES_CLAIMS").map(|list| items(&list)),
            role_map: role_map(get("CAMPUSHUB_OIDC_ROLE_MAP").as_deref().unwrap_or(""))?,
            subject_claim: get("CAMPUSHUB_OIDC_SUBJECT_CLAIM"),
            default_roles: items(&get("CAMPUSHUB_OIDC_DEFAULT_ROLES").unwrap_or_default()),
            min_refresh: duration_var(
                get,
                "CAMPUSHUB_OIDC_MIN_REFRESH",
                OidcProvider::MIN_REFRESH_INTERVAL,
            )?,
            account_claim: get("CAMPUSHUB_OIDC_ACCOUNT_CLAIM"),
        };
        // Checked now, so that a bad URL fails the configuration, not the first request.
        settings.provider(None)?;
        Ok(Some(settings))
    }

    /// The provider, holding no keys yet, joining tokens to the accounts of `users` when
    /// `CAMPUSHUB_OIDC_ACCOUNT_CLAIM` is set.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable whose URL cannot be used.
    pub fn provider(
        &self,
        users: Option<Arc<dyn Repository<User>>>,
    ) -> Result<OidcProvider, ConfigError> {
        let mut mapping = ClaimMapping::new();
        if let Some(claims) = &self.roles_claims {
            mapping = mapping.roles_from(claims.iter().cloned());
        }
        if let Some(subject) = &self.subject_claim {
            mapping = mapping.subject_claim(subject.clone());
        }
        for (value, role) in &self.role_map {
            mapping = mapping.map(value.clone(), Role::new(role.clone()));
        }
        for role in &self.default_roles {
            mapping = mapping.default_role(Role::new(role.clone()));
        }
        let mut builder = OidcProvider::builder(&self.issuer, &self.audience)
            .claims(mapping)
            .min_refresh_interval(self.min_refresh);
        if let Some(url) = &self.jwks_url {
            builder = builder.jwks_url(url.clone());
        }
        if let (Some(users), Some(claim)) = (users, &self.account_claim) {
            builder = builder.accounts(users, claim.clone());
        }
        builder.build().map_err(|e| {
            let variable = match e.validation_errors() {
                Some(errors) if errors.contains("oidc_jwks_url") => "CAMPUSHUB_OIDC_JWKS_URL",
                _ => "CAMPUSHUB_OIDC_ISSUER",
            };
            error(variable, e.to_string())
        })
    }
}

/// The variables that mean nothing without `CAMPUSHUB_OIDC_ISSUER`.
const DEPENDENT: [&str; 8] = [
    "CAMPUSHUB_OIDC_AUDIENCE",
    "CAMPUSHUB_OIDC_JWKS_URL",
    "CAMPUSHUB_OIDC_ROLES_CLAIMS",
    "CAMPUSHUB_OIDC_ROLE_MAP",
    "CAMPUSHUB_OIDC_SUBJECT_CLAIM",
    "CAMPUSHUB_OIDC_DEFAULT_ROLES",
    "CAMPUSHUB_OIDC_MIN_REFRESH",
    "CAMPUSHUB_OIDC_ACCOUNT_CLAIM",
];

/// The non-empty, trimmed items of a comma-separated list.
fn items(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `value=role` pairs separated by commas.
fn role_map(list: &str) -> Result<Vec<(String, String)>, ConfigError> {
    items(list)
        .iter()
        .map(|pair| match pair.rsplit_once('=') {
            Some((value, role)) if !value.trim().is_empty() && !role.trim().is_empty() => {
                Ok((value.trim().to_owned(), role.trim().to_owned()))
            }
            _ => Err(error(
                "CAMPUSHUB_OIDC_ROLE_MAP",
                format!("`{pair}` is not `value=role`"),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::OidcSettings;

    fn load(vars: &[(&str, &str)]) -> Result<Option<OidcSettings>, super::ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OidcSettings::load(&|name: &str| vars.get(name).cloned())
    }

    #[test]
    fn a_full_configuration_reads_every_variable() {
        let settings = load(&[
            (
                "CAMPUSHUB_OIDC_ISSUER",
                "https://kc.example.edu/realms/campus",
            ),
            ("CAMPUSHUB_OIDC_AUDIENCE", "campushub"),
            ("CAMPUSHUB_OIDC_ROLES_CLAIMS", "realm_access.roles, groups"),
            ("CAMPUSHUB_OIDC_ROLE_MAP", "erp-admins=admin, a=b=faculty"),
            ("CAMPUSHUB_OIDC_SUBJECT_CLAIM", "email"),
            ("CAMPUSHUB_OIDC_DEFAULT_ROLES", "analyst"),
            ("CAMPUSHUB_OIDC_MIN_REFRESH", "30s"),
        ])
        .expect("valid")
        .expect("configured");
        assert_eq!(
            settings.roles_claims,
            Some(vec!["realm_access.roles".into(), "groups".into()])
        );
        assert_eq!(
            settings.role_map,
            vec![
                ("erp-admins".into(), "admin".into()),
                ("a=b".into(), "faculty".into())
            ]
        );
        assert_eq!(settings.default_roles, vec!["analyst".to_owned()]);
        assert_eq!(settings.min_refresh.as_secs(), 30);
    }

    #[test]
    fn unset_is_none_and_half_set_is_an_error_naming_the_variable() {
        assert_eq!(load(&[]).expect("valid"), None);
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("CAMPUSHUB_OIDC_AUDIENCE", "x")],
                "CAMPUSHUB_OIDC_AUDIENCE",
            ),
            (
                &[("CAMPUSHUB_OIDC_ISSUER", "https://idp.example.edu")],
                "CAMPUSHUB_OIDC_AUDIENCE",
            ),
            (
                &[
                    ("CAMPUSHUB_OIDC_ISSUER", "http://idp.example.edu"),
                    ("CAMPUSHUB_OIDC_AUDIENCE", "x"),
                ],
                "CAMPUSHUB_OIDC_ISSUER",
            ),
            (
                &[
                    ("CAMPUSHUB_OIDC_ISSUER", "https://idp.example.edu"),
                    ("CAMPUSHUB_OIDC_AUDIENCE", "x"),
                    ("CAMPUSHUB_OIDC_ROLE_MAP", "admins"),
                ],
                "CAMPUSHUB_OIDC_ROLE_MAP",
            ),
        ];
        for (vars, variable) in cases {
            let error = load(vars).expect_err("refused");
            assert_eq!(error.variable, variable, "{error}");
        }
    }
}
