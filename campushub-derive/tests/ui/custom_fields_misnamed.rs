use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    code: String,
    #[serde(default)]
    extras: Map<String, Value>,
}

fn main() {}
