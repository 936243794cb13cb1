use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(natural_key)]
    code: String,
    #[field(natural_key)]
    title: String,
}

fn main() {}
