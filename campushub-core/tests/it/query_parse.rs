//! `ListQuery::parse` and `parse_filters`: accepted forms, and every kind of bad parameter
//! as a validation error keyed by the parameter.
#![cfg(feature = "conformance")]

use campushub_core::conformance::data::student_custom_fields;
use campushub_core::custom_fields::CustomFieldType;
use campushub_core::query::{
    CursorCodec, FilterField, FilterValue, Keyset, Op, Pagination, MAX_IN_VALUES,
};
use campushub_core::{Entity, Error, ListQuery, Scalar, Student};

fn codec() -> CursorCodec {
    CursorCodec::new("parse tests")
}

fn parse(params: &[(&str, &str)]) -> Result<ListQuery, Error> {
    ListQuery::parse(
        Student::schema(),
        params.iter().copied(),
        &student_custom_fields(),
        &codec(),
    )
}

/// Parses, expecting exactly one error, on `key`; returns its message.
fn rejected(params: &[(&str, &str)], key: &str) -> String {
    let error = parse(params).expect_err("should be rejected");
    let errors = error.validation_errors().expect("a validation error");
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, [key], "{params:?}: {error}");
    errors.get(key).unwrap()[0].clone()
}

/// Parses, expecting exactly one error, on `key`, whose message contains `fragment`.
fn rejected_with(params: &[(&str, &str)], key: &str, fragment: &str) {
    let message = rejected(params, key);
    assert!(message.contains(fragment), "{message}");
}

#[test]
fn defaults_are_the_first_cursor_page_by_newest() {
    let query = parse(&[]).unwrap();
    assert!(query.filters.is_empty());
    assert_eq!(query.ordering_text(), "-created_at");
    assert_eq!(query.pagination, Pagination::Cursor(None));
    assert_eq!(query.page_size, 50);
    assert_eq!(query.limit(), 51);
}

#[test]
fn typical_query_parses_to_typed_filters() {
    let query = parse(&[
        ("year_of_study__gte", "2"),
        ("status__in", "ACTIVE,GRADUATED"),
        ("admission_date__lt", "2023-01-01"),
        ("middle_name__isnull", "true"),
        ("last_name__icontains", "sm"),
        ("search", "  ann "),
        ("ordering", "last_name,-created_at"),
        ("page", "3"),
        ("page_size", "20"),
    ])
    .unwrap();
    assert_eq!(query.filters.len(), 5);
    let year = &query.filters[0];
    assert_eq!(year.field.name(), "year_of_study");
    assert_eq!(year.op, Op::Gte);
    assert_eq!(year.value, FilterValue::One(Scalar::Int(2)));
    assert_eq!(
        query.filters[1].value,
        FilterValue::Many(vec!["ACTIVE".into(), "GRADUATED".into()])
    );
    assert!(matches!(
        query.filters[2].value,
        FilterValue::One(Scalar::Date(_))
    ));
    assert_eq!(query.filters[3].value, FilterValue::Null(true));
    assert_eq!(query.search.as_deref(), Some("ann"));
    assert_eq!(query.ordering_text(), "last_name,-created_at");
    assert_eq!(query.pagination, Pagination::Number(3));
    assert_eq!(query.offset(), 40);
    assert_eq!(
        query.limit(),
        21,
        "one row more than the page says whether another follows"
    );
}

#[test]
fn custom_field_filters_are_typed_by_their_definitions() {
    let query = parse(&[
        ("cf.credits__gte", "12.5"),
        ("cf.hostel", "true"),
        ("cf.clubs__in", "chess,music"),
        ("cf.nickname__startswith", "Bo"),
        ("cf.scholarship_on__lte", "2024-06-30"),
        ("cf.blood_group__isnull", "false"),
    ])
    .unwrap();
    let credits = &query.filters[0];
    assert_eq!(
        credits.field,
        FilterField::Custom {
            name: "credits".into(),
            field_type: CustomFieldType::Number
        }
    );
    assert_eq!(credits.value, FilterValue::One(Scalar::Float(12.5)));
    assert_eq!(query.filters[1].value, FilterValue::One(Scalar::Bool(true)));
    assert_eq!(query.filters[5].value, FilterValue::Null(false));
}

/// One bad parameter: what is sent, the key the error must name, a fragment of its message.
type Bad<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

/// Asserts every case is rejected with one error on its key, mentioning its fragment.
fn all_rejected(cases: &[Bad<'_>]) {
    for (params, key, fragment) in cases {
        rejected_with(params, key, fragment);
    }
}

#[test]
fn unknown_parameters_fields_and_operators() {
    all_rejected(&[
        (&[("format", "json")], "format", "unknown field"),
        (
            &[("shoe_size__gte", "4")],
            "shoe_size__gte",
            "unknown field",
        ),
        (
            &[("year_of_study__between", "1")],
            "year_of_study__between",
            "unknown operator `between`",
        ),
        (
            &[("year_of_study__", "1")],
            "year_of_study__",
            "unknown operator",
        ),
        (
            &[("cf.shoe_size", "4")],
            "cf.shoe_size",
            "unknown custom field",
        ),
        (&[("cf.", "4")], "cf.", "unknown custom field"),
    ]);
}

#[test]
fn unsupported_operators_name_the_alternatives() {
    let message = rejected(&[("gender__gt", "M")], "gender__gt");
    assert_eq!(
        message,
        "operator `gt` is not supported on `gender`; use one of: `gender`, `gender__in`"
    );
    all_rejected(&[
        (
            &[("year_of_study__icontains", "1")],
            "year_of_study__icontains",
            "not supported",
        ),
        (
            &[("last_name__isnull", "true")],
            "last_name__isnull",
            "not supported on `last_name`",
        ),
        (
            &[("cf.hostel__gt", "true")],
            "cf.hostel__gt",
            "not supported on `cf.hostel`",
        ),
        (
            &[("cf.clubs__icontains", "ch")],
            "cf.clubs__icontains",
            "not supported",
        ),
        (
            &[("cf.nickname__gte", "b")],
            "cf.nickname__gte",
            "not supported",
        ),
    ]);
}

#[test]
fn unparsable_values() {
    let message = rejected(&[("year_of_study__gte", "abc")], "year_of_study__gte");
    assert_eq!(message, "`abc` is not a whole number");
    all_rejected(&[
        (
            &[("semester", "99999999999999999999999")],
            "semester",
            "whole number",
        ),
        (&[("semester", "1.5")], "semester", "whole number"),
        (
            &[("admission_date", "2024-13-01")],
            "admission_date",
            "YYYY-MM-DD",
        ),
        (
            &[("admission_date", "2024-1-1")],
            "admission_date",
            "YYYY-MM-DD",
        ),
        (
            &[("admission_date", "2024-02-30")],
            "admission_date",
            "YYYY-MM-DD",
        ),
        (
            &[("created_at__gte", "2024-05-01 08:00")],
            "created_at__gte",
            "RFC 3339",
        ),
        (
            &[("department_id", "not-a-uuid")],
            "department_id",
            "not a UUID",
        ),
        (&[("cf.hostel", "yes")], "cf.hostel", "`true` or `false`"),
        (
            &[("middle_name__isnull", "1")],
            "middle_name__isnull",
            "`true` or `false`",
        ),
        (
            &[("status", "active")],
            "status",
            "ACTIVE, INACTIVE, GRADUATED",
        ),
        (&[("cf.blood_group", "Z+")], "cf.blood_group", "not one of"),
        (&[("cf.clubs", "football")], "cf.clubs", "not one of"),
        (&[("cf.credits", "ten")], "cf.credits", "not a number"),
        (
            &[("cf.scholarship_on", "soon")],
            "cf.scholarship_on",
            "YYYY-MM-DD",
        ),
    ]);
    assert!(parse(&[("created_at__gte", "2024-05-01T08:00:00+05:30")]).is_ok());
}

#[test]
fn empty_values_and_lists() {
    let too_many = vec!["A"; MAX_IN_VALUES + 1].join(",");
    all_rejected(&[
        (&[("status__in", "")], "status__in", "required"),
        (
            &[("status__in", "ACTIVE,,GRADUATED")],
            "status__in",
            "empty value",
        ),
        (&[("last_name", "")], "last_name", "required"),
        (&[("search", "   ")], "search", "blank"),
        (&[("section__in", &too_many)], "section__in", "at most 200"),
    ]);
    let most = vec!["A"; MAX_IN_VALUES].join(",");
    assert!(parse(&[("section__in", &most)]).is_ok());
}

#[test]
fn absurd_values_are_errors_not_panics() {
    let long = "x".repeat(10_000);
    let huge = "9".repeat(100_000);
    all_rejected(&[
        (&[("last_name", &long)], "last_name", "longer than"),
        (&[("search", &long)], "search", "longer than"),
        (&[("ordering", &long)], "ordering", "unknown field"),
        (&[("cursor", &long)], "cursor", "not valid"),
        (&[("page", "4294967296")], "page", "not a page number"),
        (&[("cf.credits", "1e999")], "cf.credits", "not a number"),
        (&[("cf.credits", "NaN")], "cf.credits", "not a number"),
        (&[("year_of_study", &huge)], "year_of_study", "longer than"),
    ]);
}

#[test]
fn bad_ordering() {
    all_rejected(&[
        (
            &[("ordering", "shoe_size")],
            "ordering",
            "unknown field `shoe_size`",
        ),
        (&[("ordering", "last_name,")], "ordering", "empty"),
        (
            &[("ordering", "-gender")],
            "ordering",
            "`gender` cannot be ordered by",
        ),
        (
            &[("ordering", "last_name,-last_name")],
            "ordering",
            "more than once",
        ),
    ]);
}

#[test]
fn bad_page_and_page_size() {
    all_rejected(&[
        (&[("page", "0")], "page", "not a page number"),
        (&[("page", "-1")], "page", "not a page number"),
        (&[("page", "two")], "page", "not a page number"),
        (&[("page_size", "0")], "page_size", "1 to 200"),
        (&[("page_size", "201")], "page_size", "1 to 200"),
    ]);
    assert_eq!(parse(&[("page_size", "200")]).unwrap().page_size, 200);
}

#[test]
fn repeated_parameters() {
    all_rejected(&[
        (
            &[("status", "ACTIVE"), ("status", "GRADUATED")],
            "status",
            "more than once",
        ),
        (
            &[("page_size", "10"), ("page_size", "10")],
            "page_size",
            "more than once",
        ),
    ]);
}

/// A cursor under the test codec for `ordering` at `values`.
fn cursor_for(ordering: &str, backwards: bool, values: Vec<Scalar>) -> (String, Keyset) {
    let position = Keyset {
        backwards,
        values,
        id: uuid::Uuid::now_v7(),
    };
    (codec().encode(ordering, &position), position)
}

#[test]
fn cursor_round_trips_through_parse() {
    let values = vec![Scalar::Text("Smith".into()), Scalar::Int(3)];
    let (cursor, position) = cursor_for("last_name,-year_of_study", true, values);
    let query = parse(&[
        ("ordering", "last_name,-year_of_study"),
        ("cursor", &cursor),
    ])
    .unwrap();
    assert_eq!(query.pagination, Pagination::Cursor(Some(position)));
}

#[test]
fn bad_cursors() {
    let now = vec![Scalar::DateTime(chrono::Utc::now())];
    let (cursor, _) = cursor_for("-created_at", false, now);
    let mut bytes = cursor.clone().into_bytes();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let (by_name, _) = cursor_for("last_name", false, vec![Scalar::Text("Smith".into())]);
    let (wrong_type, _) = cursor_for("last_name", false, vec![Scalar::Int(4)]);
    all_rejected(&[
        (
            &[("cursor", &cursor), ("page", "2")],
            "cursor",
            "cannot be combined",
        ),
        (&[("cursor", &tampered)], "cursor", "not valid"),
        (&[("cursor", "garbage!")], "cursor", "not valid"),
        (
            &[("cursor", &by_name)],
            "cursor",
            "made for `ordering=last_name`",
        ),
        (
            &[("ordering", "last_name"), ("cursor", &wrong_type)],
            "cursor",
            "does not fit",
        ),
    ]);
}

#[test]
fn every_bad_parameter_is_reported_at_once() {
    let error = parse(&[("status", "nope"), ("page_size", "0"), ("ordering", "x")]).unwrap_err();
    let errors = error.validation_errors().unwrap();
    for key in ["status", "page_size", "ordering"] {
        assert!(errors.contains(key), "{key}: {error}");
    }
}

#[test]
fn parse_filters_refuses_pagination_and_ordering_by_name() {
    let definitions = student_custom_fields();
    for key in ["ordering", "cursor", "page", "page_size"] {
        let error =
            ListQuery::parse_filters(Student::schema(), [(key, "1")], &definitions).unwrap_err();
        assert!(error.validation_errors().unwrap().contains(key), "{key}");
    }
    let query = ListQuery::parse_filters(
        Student::schema(),
        [("status", "ACTIVE"), ("search", "ann")],
        &definitions,
    )
    .unwrap();
    assert_eq!(query.filters.len(), 1);
    assert_eq!(query.search.as_deref(), Some("ann"));
}

#[test]
fn fingerprint_ignores_parameter_order_but_not_content() {
    let a = parse(&[("status__in", "ACTIVE,GRADUATED"), ("gender", "F")]).unwrap();
    let b = parse(&[("gender", "F"), ("status__in", "GRADUATED,ACTIVE")]).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    let different = [
        parse(&[("gender", "M"), ("status__in", "ACTIVE,GRADUATED")]).unwrap(),
        parse(&[("gender", "F"), ("status__in", "ACTIVE")]).unwrap(),
        parse(&[
            ("gender", "F"),
            ("status__in", "ACTIVE,GRADUATED"),
            ("page_size", "10"),
        ])
        .unwrap(),
        parse(&[
            ("gender", "F"),
            ("status__in", "ACTIVE,GRADUATED"),
            ("page", "2"),
        ])
        .unwrap(),
        parse(&[
            ("gender", "F"),
            ("status__in", "ACTIVE,GRADUATED"),
            ("search", "x"),
        ])
        .unwrap(),
        parse(&[
            ("gender", "F"),
            ("status__in", "ACTIVE,GRADUATED"),
            ("ordering", "last_name"),
        ])
        .unwrap(),
    ];
    for query in &different {
        assert_ne!(query.fingerprint(), a.fingerprint());
    }
}

#[test]
fn more_parameters_than_the_cap_are_refused_as_a_whole() {
    use campushub_core::query::MAX_PARAMS;
    let names: Vec<String> = (0..8_000).map(|i| format!("unknown_{i}")).collect();
    let params: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    rejected_with(&params, "query", &format!("at most {MAX_PARAMS}"));
    // At the cap, each parameter is judged on its own.
    let error = parse(&params[..MAX_PARAMS]).expect_err("unknown parameters");
    let errors = error.validation_errors().expect("validation");
    assert_eq!(errors.iter().count(), MAX_PARAMS);
}

#[test]
fn an_error_echoes_at_most_a_short_prefix_of_a_long_parameter_name() {
    let name = "x".repeat(10_000);
    let error = parse(&[(name.as_str(), "1")]).expect_err("unknown");
    let errors = error.validation_errors().expect("validation");
    let (key, _) = errors.iter().next().expect("one error");
    assert!(key.chars().count() <= 41, "{} chars", key.len());
    assert!(key.ends_with('…'));
}

/// Parameters of the declared shape that cannot be honoured are unprocessable (422), not
/// malformed (400): a cursor the server did not issue or one with a page number, a field
/// ordered by twice, a custom-field filter that fits no definition in force. A request with a
/// malformed parameter as well is malformed, naming both.
#[test]
fn what_has_the_declared_shape_but_cannot_be_honoured_is_unprocessable() {
    for params in [
        &[("cursor", "garbage"), ("page", "2")][..],
        &[("cursor", "garbage")][..],
        &[("ordering", "last_name,-last_name")][..],
        &[("cf.nope", "1")][..],
    ] {
        let error = parse(params).expect_err("refused");
        assert!(
            matches!(error, Error::Unprocessable(_)),
            "{params:?}: {error:?}"
        );
    }
    let error = parse(&[("cf.nope", "1"), ("year_of_study", "x")]).expect_err("refused");
    let Error::Validation(errors) = error else {
        panic!("malformed: {error:?}");
    };
    assert!(
        errors.contains("cf.nope") && errors.contains("year_of_study"),
        "{errors}"
    );
}
