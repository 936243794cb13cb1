use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Upload {
    #[serde(flatten)]
    meta: RecordMeta,
    title: String,
    #[field(read_only)]
    size: Option<i64>,
}

fn main() {
    let _ = UploadInput {
        title: "a".to_owned(),
        size: Some(1),
    };
}
