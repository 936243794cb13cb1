//! URLs fit for logs and errors: passwords replaced by `***`.

/// `url` with its passwords replaced by `***`: the one in `user:password@` (up to the last
/// `@`, so that an unescaped `@`, `/` or `?` in the password cannot leak a part of it) and
/// the value of every `password=` parameter (`?password=`, or a `key=value` string).
pub(super) fn redacted(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        if let Some(at) = out[start..].rfind('@').map(|i| start + i) {
            if let Some(colon) = out[start..at].find(':').map(|i| start + i) {
                out.replace_range(colon + 1..at, "***");
            }
        }
    }
    const PARAM: &str = "password=";
    let mut from = 0;
    while let Some(found) = out[from..].to_ascii_lowercase().find(PARAM) {
        let value = from + found + PARAM.len();
        let end = out[value..]
            .find(['&', ' ', ';', '#'])
            .map_or(out.len(), |i| value + i);
        out.replace_range(value..end, "***");
        from = value + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_passwords_are_unchanged() {
        for url in [
            "postgres://db/erp",
            "postgres://app@db/erp",
            "host=db user=app",
        ] {
            assert_eq!(redacted(url), url);
        }
        assert_eq!(
            redacted("host=db PASSWORD=x user=app"),
            "host=db PASSWORD=*** user=app"
        );
    }
}
