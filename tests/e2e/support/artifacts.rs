//! The deployment artifacts under `deploy/` read as their tools read them: the runtime stage
//! of the `Dockerfile` (its ENV, EXPOSE, USER, HEALTHCHECK, ENTRYPOINT and CMD), and YAML
//! files (compose, Kubernetes) as JSON values, so tests index them like any document.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// `deploy/<relative>` in the workspace.
pub fn deploy_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(relative)
}

/// What the last stage of a Dockerfile sets for the container it runs.
#[derive(Debug, Default)]
pub struct Dockerfile {
    /// `ENV` variables, in order (a later one replaces an earlier one of the same name).
    pub env: BTreeMap<String, String>,
    /// `EXPOSE`d ports.
    pub expose: Vec<u16>,
    /// The `USER` (`uid:gid`, or a name).
    pub user: String,
    /// The `HEALTHCHECK`'s `CMD`, in exec form.
    pub healthcheck: Vec<String>,
    /// `ENTRYPOINT`, in exec form.
    pub entrypoint: Vec<String>,
    /// `CMD`, in exec form.
    pub cmd: Vec<String>,
}

impl Dockerfile {
    /// Reads `deploy/Dockerfile`.
    pub fn shipped() -> Dockerfile {
        let path = deploy_path("Dockerfile");
        let text = std::fs::read_to_string(&path).expect("deploy/Dockerfile");
        Dockerfile::parse(&text)
    }

    /// The runtime stage (after the last `FROM`) of a Dockerfile's text; instructions may be
    /// continued with a trailing backslash; exec forms are JSON arrays, as Docker reads them.
    pub fn parse(text: &str) -> Dockerfile {
        let mut instructions: Vec<String> = Vec::new();
        let mut pending = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
                continue;
            }
            match trimmed.strip_suffix('\\') {
                Some(head) => {
                    pending.push_str(head);
                    pending.push(' ');
                }
                None => {
                    pending.push_str(trimmed);
                    instructions.push(std::mem::take(&mut pending));
                }
            }
        }
        let last_stage = instructions
            .iter()
            .rposition(|i| i.starts_with("FROM "))
            .expect("a FROM instruction");
        let mut file = Dockerfile::default();
        for instruction in &instructions[last_stage + 1..] {
            let (keyword, rest) = instruction.split_once(' ').unwrap_or((instruction, ""));
            let rest = rest.trim();
            match keyword {
                "ENV" => {
                    for pair in rest.split_whitespace() {
                        let (name, value) = pair
                            .split_once('=')
                            .unwrap_or_else(|| panic!("ENV `{pair}` is not NAME=value"));
                        assert!(
                            !value.contains('"'),
                            "ENV {name}: quoted values unsupported"
                        );
                        file.env.insert(name.to_owned(), value.to_owned());
                    }
                }
                "EXPOSE" => file.expose.extend(rest.split_whitespace().map(|port| {
                    port.trim_end_matches("/tcp")
                        .parse::<u16>()
                        .unwrap_or_else(|_| panic!("EXPOSE `{port}`"))
                })),
                "USER" => file.user = rest.to_owned(),
                "HEALTHCHECK" => {
                    let (_, command) = rest
                        .split_once("CMD ")
                        .unwrap_or_else(|| panic!("HEALTHCHECK without CMD: {rest}"));
                    file.healthcheck = exec_form("HEALTHCHECK", command);
                }
                "ENTRYPOINT" => file.entrypoint = exec_form("ENTRYPOINT", rest),
                "CMD" => file.cmd = exec_form("CMD", rest),
                _ => {}
            }
        }
        file
    }

    /// The numeric user and group of `USER uid:gid`.
    pub fn uid_gid(&self) -> (u32, u32) {
        let (uid, gid) = self
            .user
            .split_once(':')
            .unwrap_or((&self.user, &self.user));
        let number = |n: &str| {
            n.parse::<u32>()
                .unwrap_or_else(|_| panic!("USER `{}` is not numeric", self.user))
        };
        (number(uid), number(gid))
    }
}

/// A JSON array of strings (Docker's exec form).
fn exec_form(what: &str, text: &str) -> Vec<String> {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what} `{text}` is not in exec form (a JSON array): {e}"))
}

/// Every document of the YAML file `path`, as JSON.
pub fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let documents = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    documents.iter().map(json).collect()
}

/// The one document of the YAML file `path`, as JSON.
pub fn yaml_file(path: &Path) -> Value {
    let mut documents = yaml_documents(path);
    assert_eq!(documents.len(), 1, "{}: one document", path.display());
    documents.remove(0)
}

/// A YAML node as JSON: mapping keys become strings; merge keys (`<<`) are applied, as
/// compose applies them; aliases are already resolved by the loader.
fn json(node: &Yaml) -> Value {
    match node {
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Yaml::Integer(n) => Value::from(*n),
        Yaml::String(text) => Value::from(text.as_str()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(json).collect()),
        Yaml::Hash(entries) => {
            let mut map = Map::new();
            let mut merged = Map::new();
            for (key, value) in entries {
                let key = match json(key) {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                if key == "<<" {
                    if let Value::Object(base) = json(value) {
                        merged.extend(base);
                    }
                } else {
                    map.insert(key, json(value));
                }
            }
            for (key, value) in merged {
                map.entry(key).or_insert(value);
            }
            Value::Object(map)
        }
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// A string map (`environment:`, a ConfigMap's `data`) as pairs; numbers and booleans as
/// their text, as compose and Kubernetes require them quoted anyway.
pub fn string_map(value: &Value, what: &str) -> BTreeMap<String, String> {
    let map = value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not a mapping: {value}"));
    map.iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => panic!("{what}.{name} is not a string: {other} (quote it)"),
            };
            (name.clone(), text)
        })
        .collect()
}
