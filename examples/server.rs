//! Placeholder: being built (see the project issues).

fn main() {}
