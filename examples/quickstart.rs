//! Placeholder: replaced by a runnable example (see the project issues).

fn main() {}
