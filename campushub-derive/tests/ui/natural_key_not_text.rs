use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(natural_key)]
    number: i64,
}

fn main() {}
