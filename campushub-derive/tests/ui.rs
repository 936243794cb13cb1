//! The derive's compile errors (`tests/ui`: each names the offending attribute and points at
//! it) and a kind using every attribute (`tests/pass`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
