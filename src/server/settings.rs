//! The one description of every `CAMPUSHUB_*` setting: its variable, its flag (none for a
//! secret), whether a `*_FILE` variable may hold it, and its help line. The command line, the
//! configuration's errors and [`VARIABLES`](super::VARIABLES) are all derived from it, so a
//! setting is added in one place.

/// One setting: a flag or its variable; or, for a URL that may carry a password, also the
/// file named by `<variable>_FILE` (a flag's value is visible to `ps`); or, for a secret, its
/// variable or file only, never a flag.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setting {
    /// The environment variable.
    pub variable: &'static str,
    /// The variable holding the path of a file with the value (URLs and secrets).
    pub file: Option<&'static str>,
    /// The flag without its dashes (all but secrets).
    pub flag: Option<&'static str>,
    /// What a value looks like, in the help (`URL`, `DURATION`).
    pub value: &'static str,
    /// The help line: what it does, then its default in parentheses.
    pub help: &'static str,
}

/// A setting given as a flag or its variable.
const fn flag(
    variable: &'static str,
    flag: &'static str,
    value: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        variable,
        file: None,
        flag: Some(flag),
        value,
        help,
    }
}

/// A setting given as a flag, its variable or a file.
const fn flag_or_file(
    variable: &'static str,
    file: &'static str,
    flag: &'static str,
    value: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        variable,
        file: Some(file),
        flag: Some(flag),
        value,
        help,
    }
}

/// A secret: its variable or a file.
const fn secret(
    variable: &'static str,
    file: &'static str,
    value: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        variable,
        file: Some(file),
        flag: None,
        value,
        help,
    }
}

/// Every setting, in the order the help lists them.
pub(super) const SETTINGS: [Setting; 60] = [
    flag_or_file(
        "CAMPUSHUB_DATABASE_URL",
        "CAMPUSHUB_DATABASE_URL_FILE",
        "database-url",
        "URL",
        "sqlite://data/campushub.db (default) or postgres://... A password in a flag is visible \
         to `ps`: give it in the variable or CAMPUSHUB_DATABASE_URL_FILE",
    ),
    flag_or_file(
        "CAMPUSHUB_REPLICA_URLS",
        "CAMPUSHUB_REPLICA_URLS_FILE",
        "replica-urls",
        "URLS",
        "Comma-separated postgres:// URLs of read replicas (also CAMPUSHUB_REPLICA_URLS_FILE; \
         a password in a flag is visible to `ps`)",
    ),
    flag_or_file(
        "CAMPUSHUB_ANALYTICS_URL",
        "CAMPUSHUB_ANALYTICS_URL_FILE",
        "analytics-url",
        "URL",
        "postgres:// URL for aggregate queries (also CAMPUSHUB_ANALYTICS_URL_FILE; a password \
         in a flag is visible to `ps`)",
    ),
    flag(
        "CAMPUSHUB_REPLICA_MAX_LAG",
        "replica-max-lag",
        "DURATION",
        "Replicas lagging more are taken out of rotation (10s)",
    ),
    flag_or_file(
        "CAMPUSHUB_REDIS_URL",
        "CAMPUSHUB_REDIS_URL_FILE",
        "redis-url",
        "URL",
        "redis:// URL (redis+cluster://host:port,host:port/ for a Redis Cluster): shared L2 \
         cache and invalidations (L1 only if unset; also CAMPUSHUB_REDIS_URL_FILE; a password \
         in a flag is visible to `ps`)",
    ),
    flag(
        "CAMPUSHUB_BACKEND_TLS",
        "backend-tls",
        "required|optional",
        "required: refuse database and Redis URLs to other hosts that allow plaintext \
         (sslmode=require or verify-full, rediss://); optional: as the URLs say (required in \
         production, optional in development)",
    ),
    flag(
        "CAMPUSHUB_DATABASE_CA_FILE",
        "database-ca-file",
        "PATH",
        "PEM root certificates Postgres servers are verified with, besides the system's \
         (with sslmode=verify-full in the URLs)",
    ),
    flag(
        "CAMPUSHUB_REDIS_CA_FILE",
        "redis-ca-file",
        "PATH",
        "PEM root certificates a rediss:// server is verified with, instead of the system's",
    ),
    flag(
        "CAMPUSHUB_REDIS_CLIENT_CERT_FILE",
        "redis-client-cert-file",
        "PATH",
        "PEM client certificate for Redis servers that require one (with \
         CAMPUSHUB_REDIS_CLIENT_KEY_FILE)",
    ),
    flag(
        "CAMPUSHUB_REDIS_CLIENT_KEY_FILE",
        "redis-client-key-file",
        "PATH",
        "PEM private key of CAMPUSHUB_REDIS_CLIENT_CERT_FILE",
    ),
    flag("CAMPUSHUB_CACHE", "cache", "on|off", "The cache (on)"),
    flag(
        "CAMPUSHUB_CACHE_NAMESPACE",
        "cache-namespace",
        "PREFIX",
        "Prefix of Redis keys and channel (campushub)",
    ),
    flag(
        "CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES",
        "cache-max-query-entries",
        "N",
        "List and statistics entries Redis keeps per kind; beyond it a fill evicts the oldest \
         (10000)",
    ),
    flag(
        "CAMPUSHUB_WARM_INTERVAL",
        "warm-interval",
        "DURATION",
        "How often the cache warmer runs (60s; off disables it)",
    ),
    flag(
        "CAMPUSHUB_COUNT_CAP",
        "count-cap",
        "N|off",
        "Page-number pages count up to N matching records and report more as `count: N, \
         count_exact: false` (1000; off counts every record on every page not cached)",
    ),
    flag(
        "CAMPUSHUB_AUDIT",
        "audit",
        "on|off",
        "Record every write in the audit log, in its transaction (on; off for a scratch \
         database: the log stays readable)",
    ),
    secret(
        "CAMPUSHUB_JWT_SECRET",
        "CAMPUSHUB_JWT_SECRET_FILE",
        "SECRET",
        "HS256 secret, at least 32 characters (development secret if unset, SQLite only)",
    ),
    flag(
        "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
        "jwt-public-key-file",
        "PATH",
        "RS256 public key (PEM) instead of a secret",
    ),
    flag(
        "CAMPUSHUB_JWT_ISSUER",
        "jwt-issuer",
        "ISSUER",
        "The `iss` every token must carry (required with CAMPUSHUB_JWT_PUBLIC_KEY_FILE)",
    ),
    flag(
        "CAMPUSHUB_JWT_AUDIENCE",
        "jwt-audience",
        "AUDIENCE",
        "The `aud` every token must carry (required with CAMPUSHUB_JWT_PUBLIC_KEY_FILE)",
    ),
    flag(
        "CAMPUSHUB_OIDC_ISSUER",
        "oidc-issuer",
        "URL",
        "Also accept access tokens of this OpenID Connect issuer (https://...; keys found \
         through its discovery document unless CAMPUSHUB_OIDC_JWKS_URL is set)",
    ),
    flag(
        "CAMPUSHUB_OIDC_AUDIENCE",
        "oidc-audience",
        "AUDIENCE",
        "The `aud` the issuer's tokens must carry: this API's client or application id \
         (required with CAMPUSHUB_OIDC_ISSUER)",
    ),
    flag(
        "CAMPUSHUB_OIDC_JWKS_URL",
        "oidc-jwks-url",
        "URL",
        "The issuer's JWKS address, instead of discovery",
    ),
    flag(
        "CAMPUSHUB_OIDC_ROLES_CLAIMS",
        "oidc-roles-claims",
        "PATHS",
        "Comma-separated claims holding the issuer's roles or groups, dots for nested claims \
         (roles,groups; Keycloak: realm_access.roles)",
    ),
    flag(
        "CAMPUSHUB_OIDC_ROLE_MAP",
        "oidc-role-map",
        "MAP",
        "Comma-separated value=role pairs: the issuer's role or group `value` grants CampusHub \
         `role` (erp-registrars=registrar); unmapped values grant nothing",
    ),
    flag(
        "CAMPUSHUB_OIDC_SUBJECT_CLAIM",
        "oidc-subject-claim",
        "CLAIM",
        "The claim recorded as the caller's subject (sub)",
    ),
    flag(
        "CAMPUSHUB_OIDC_DEFAULT_ROLES",
        "oidc-default-roles",
        "ROLES",
        "Comma-separated roles every token of the issuer holds (none)",
    ),
    flag(
        "CAMPUSHUB_OIDC_ACCOUNT_CLAIM",
        "oidc-account-claim",
        "CLAIM",
        "Join each token to the CampusHub account whose email this claim holds (email): the \
         account's roles and record links apply, an inactive account is refused (off)",
    ),
    flag(
        "CAMPUSHUB_OIDC_MIN_REFRESH",
        "oidc-min-refresh",
        "DURATION",
        "The least time between two fetches of the issuer's keys caused by unknown key ids \
         (10s)",
    ),
    secret(
        "CAMPUSHUB_API_KEYS",
        "CAMPUSHUB_API_KEYS_FILE",
        "KEYS",
        "subject:role[+role]:key entries, comma-separated",
    ),
    secret(
        "CAMPUSHUB_CURSOR_KEY",
        "CAMPUSHUB_CURSOR_KEY_FILE",
        "KEY",
        "Key signing list cursors (derived from the JWT secret if unset)",
    ),
    flag(
        "CAMPUSHUB_BIND",
        "bind",
        "ADDRESS",
        "Address and port to listen on (127.0.0.1:8080)",
    ),
    flag(
        "CAMPUSHUB_DEMO_DATA",
        "demo-data",
        "BOOL",
        "Load demo data into an empty database (true in development, else false)",
    ),
    flag(
        "CAMPUSHUB_ENV",
        "env",
        "development|production",
        "development (generated secret, printed admin token, demo data) or production; \
         development by default only on an SQLite database bound to a loopback address",
    ),
    flag("CAMPUSHUB_LOG", "log", "FILTER", "Log filter (info)"),
    flag(
        "CAMPUSHUB_LOG_FORMAT",
        "log-format",
        "text|json",
        "text (default) or json: one JSON object per line",
    ),
    flag(
        "CAMPUSHUB_SLOW_STATEMENT",
        "slow-statement",
        "DURATION",
        "Statements slower than this are logged at warn and counted (100ms; 0s: every one; off disables)",
    ),
    flag(
        "CAMPUSHUB_METRICS_PUBLIC",
        "metrics-public",
        "BOOL",
        "Serve /metrics without credentials (false)",
    ),
    flag(
        "CAMPUSHUB_CORS_ORIGINS",
        "cors-origins",
        "ORIGINS",
        "Origins browsers may call the API from: https://a.example,... or * (none)",
    ),
    flag(
        "CAMPUSHUB_REQUIRE_IF_MATCH",
        "require-if-match",
        "off|all|SEGMENTS",
        "Answer 428 to a PUT, PATCH or DELETE without If-Match: on every resource (all), on \
         those listed (students,faculty), or on none (off, the default)",
    ),
    flag(
        "CAMPUSHUB_IMPORT_MAX_BYTES",
        "import-max-bytes",
        "BYTES",
        "Largest file a spreadsheet import takes, in bytes (KiB, MiB, GiB suffixes); beyond it \
         413 (32MiB)",
    ),
    flag(
        "CAMPUSHUB_IMPORT_MAX_ROWS",
        "import-max-rows",
        "N",
        "Most data rows of an imported file; beyond it 413 (100000)",
    ),
    flag(
        "CAMPUSHUB_IMPORT_MAX_CELL_CHARS",
        "import-max-cell-chars",
        "N",
        "Longest cell of an imported file, in characters; beyond it 400 naming the row and \
         column (10000)",
    ),
    flag(
        "CAMPUSHUB_DB_MAX_CONNECTIONS",
        "db-max-connections",
        "N",
        "Connections per Postgres pool (10)",
    ),
    flag(
        "CAMPUSHUB_DB_STATEMENT_TIMEOUT",
        "db-statement-timeout",
        "DURATION",
        "Postgres cancels statements running longer (30s; off keeps the server's setting)",
    ),
    flag(
        "CAMPUSHUB_SHUTDOWN_DRAIN",
        "shutdown-drain",
        "DURATION",
        "After SIGINT/SIGTERM, how long /readyz is 503 before the listener closes (0s)",
    ),
    flag(
        "CAMPUSHUB_SHUTDOWN_GRACE",
        "shutdown-grace",
        "DURATION",
        "Then, how long requests in progress may take to finish (35s)",
    ),
    flag(
        "CAMPUSHUB_REQUEST_TIMEOUT",
        "request-timeout",
        "DURATION",
        "How long a request may take, its body's upload included, before it is answered 408 \
         (30s); keep the shutdown grace above it",
    ),
    flag(
        "CAMPUSHUB_HEADER_TIMEOUT",
        "header-timeout",
        "DURATION",
        "How long a client may take to send a request's headers, and a keep-alive connection \
         may stay idle (30s)",
    ),
    flag(
        "CAMPUSHUB_MAX_CONNECTIONS",
        "max-connections",
        "N",
        "Connections open at once; beyond it new ones wait to be accepted (10000)",
    ),
    flag(
        "CAMPUSHUB_MAX_IN_FLIGHT",
        "max-in-flight",
        "N",
        "Requests in progress at once; beyond it a request is answered 503 with Retry-After (1024)",
    ),
    flag(
        "CAMPUSHUB_RATE_LIMIT",
        "rate-limit",
        "QUOTA",
        "Requests each principal may make, shared by every instance through Redis: 100/1s, \
         6000/1m; beyond it 429 with Retry-After (off)",
    ),
    flag(
        "CAMPUSHUB_RATE_LIMIT_ROLES",
        "rate-limit-roles",
        "ROLE=QUOTA,...",
        "Quotas per role, replacing CAMPUSHUB_RATE_LIMIT for principals holding one (the most \
         generous applies): admin=1000/1s,student=20/1s (none)",
    ),
    flag(
        "CAMPUSHUB_RATE_LIMIT_ADDRESS",
        "rate-limit-address",
        "QUOTA",
        "Requests each client address may make without credentials (sign-in; /metrics when \
         public) (off)",
    ),
    flag(
        "CAMPUSHUB_ACCESS_TOKEN_TTL",
        "access-token-ttl",
        "DURATION",
        "How long an access token from /auth/login or /auth/refresh is valid (15m)",
    ),
    flag(
        "CAMPUSHUB_REFRESH_TOKEN_TTL",
        "refresh-token-ttl",
        "DURATION",
        "How long a refresh token may be used; each refresh issues a new one (14d)",
    ),
    flag(
        "CAMPUSHUB_LOGIN_ACCOUNT_FAILURES",
        "login-account-failures",
        "N",
        "Failed logins per account before each further one locks it, 1s doubling (5)",
    ),
    flag(
        "CAMPUSHUB_LOGIN_ADDRESS_FAILURES",
        "login-address-failures",
        "N",
        "Failed logins per client address before each further one locks it, 1s doubling (20)",
    ),
    flag(
        "CAMPUSHUB_LOGIN_MAX_LOCKOUT",
        "login-max-lockout",
        "DURATION",
        "The longest lockout after failed logins (15m)",
    ),
    flag(
        "CAMPUSHUB_TRUST_FORWARDED_FOR",
        "trust-forwarded-for",
        "BOOL",
        "Count failed logins and address rate limits by the last X-Forwarded-For address \
         (behind a proxy that sets it) rather than the connection's (false)",
    ),
];

/// The variables of [`SETTINGS`], in order.
pub(super) const fn variables() -> [&'static str; SETTINGS.len()] {
    let mut names = [""; SETTINGS.len()];
    let mut i = 0;
    while i < SETTINGS.len() {
        names[i] = SETTINGS[i].variable;
        i += 1;
    }
    names
}

/// The setting read from `variable`, or whose file `variable` names.
pub(super) fn find(variable: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.variable == variable || s.file == Some(variable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_files_follow_the_variable_names() {
        for setting in SETTINGS {
            let name = setting.variable.trim_start_matches("CAMPUSHUB_");
            if let Some(flag) = setting.flag {
                assert_eq!(flag, name.to_ascii_lowercase().replace('_', "-"));
            }
            if let Some(file) = setting.file {
                assert_eq!(file, format!("{}_FILE", setting.variable));
            }
        }
        // Secrets have no flag, and a file instead.
        assert!(SETTINGS
            .iter()
            .all(|s| s.flag.is_some() || s.file.is_some()));
        let secrets: Vec<_> = SETTINGS
            .iter()
            .filter(|s| s.flag.is_none())
            .map(|s| s.variable)
            .collect();
        assert_eq!(
            secrets,
            [
                "CAMPUSHUB_JWT_SECRET",
                "CAMPUSHUB_API_KEYS",
                "CAMPUSHUB_CURSOR_KEY"
            ]
        );
    }

    #[test]
    fn a_file_variable_finds_its_setting() {
        let found = find("CAMPUSHUB_REDIS_URL_FILE").map(|s| s.variable);
        assert_eq!(found, Some("CAMPUSHUB_REDIS_URL"));
        assert!(find("CAMPUSHUB_BIND_FILE").is_none());
    }
}
