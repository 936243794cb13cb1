use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    code: String,
}

fn main() {}
