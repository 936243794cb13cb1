use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    tags: Vec<u8>,
}

fn main() {}
