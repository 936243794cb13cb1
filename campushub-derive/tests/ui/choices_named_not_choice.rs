use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, choices_named = "Code")]
    code: String,
}

fn main() {}
