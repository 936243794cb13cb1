//! Core micro-benchmarks: list-query parsing, custom-field validation, the Argon2id
//! password check a login spends most of its time in, and the audit log's diff of a write
//! (what every audited row of a bulk write costs the service).
//!
//! Run with `cargo bench --bench core` (add `-- --warm-up-time 1 --measurement-time 3` for a
//! quick look).

use std::hint::black_box;

use campushub::core::audit_log::{changes, record_changes, AuditSettings};
use campushub::core::custom_fields::{apply_custom_fields, CustomFieldType};
use campushub::core::password::{HashParams, Password, PasswordHasher};
use campushub::core::query::CursorCodec;
use campushub::core::{
    CustomFieldDef, CustomFieldInput, Entity, EntityKind, ListQuery, RecordMeta, Student,
    StudentInput, ValidationErrors,
};
use criterion::{criterion_main, BatchSize, Criterion};
use serde_json::{json, Map, Value};

/// A student query as a list page sends it: three filters, search, ordering, page size.
const STUDENT_QUERY: [(&str, &str); 6] = [
    ("status", "ACTIVE"),
    ("year_of_study__gte", "2"),
    ("department_id", "0190c2d4-8f5e-7a8b-9c0d-1e2f3a4b5c6d"),
    ("search", "smith"),
    ("ordering", "-created_at,last_name"),
    ("page_size", "20"),
];

fn parse_student_query(c: &mut Criterion) {
    let codec = CursorCodec::new("bench");
    c.bench_function("ListQuery::parse student query", |b| {
        b.iter(|| {
            ListQuery::parse(
                Student::schema(),
                black_box(STUDENT_QUERY).iter().copied(),
                &[],
                &codec,
            )
        })
    });
}

/// A student definition of `field_type` named `name`, with extra settings merged in.
fn definition(name: &str, field_type: CustomFieldType, extra: Value) -> CustomFieldDef {
    let mut input = json!({ "entity": EntityKind::STUDENT.as_str(), "name": name,
                            "field_type": field_type.as_str() });
    if let (Value::Object(base), Value::Object(extra)) = (&mut input, extra) {
        base.extend(extra);
    }
    let input: CustomFieldInput = serde_json::from_value(input).expect("a valid definition");
    CustomFieldDef::from_input(input, RecordMeta::new(), "bench")
}

/// Six definitions of mixed types; the text one with a pattern when `pattern` is set.
fn definitions(pattern: Option<&str>) -> [CustomFieldDef; 6] {
    use CustomFieldType as T;
    [
        definition(
            "nickname",
            T::Text,
            json!({"validation_regex": pattern, "max_value": 40}),
        ),
        definition(
            "credits",
            T::Number,
            json!({"min_value": 0, "max_value": 40}),
        ),
        definition("scholarship_on", T::Date, json!({})),
        definition("hostel", T::Boolean, json!({})),
        definition(
            "blood_group",
            T::Select,
            json!({"choices": ["A+", "B+", "O+", "AB-"]}),
        ),
        definition(
            "clubs",
            T::Multiselect,
            json!({"choices": ["chess", "music", "drama"]}),
        ),
    ]
}

fn validate_custom_fields(c: &mut Criterion) {
    let values: Map<String, Value> = json!({
        "nickname": "Bobby", "credits": 18.5, "scholarship_on": "2024-03-01",
        "hostel": true, "blood_group": "O+", "clubs": ["chess", "drama"]
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let cases = [
        ("apply_custom_fields 6 mixed fields", Some("^[A-Za-z ]+$")),
        ("apply_custom_fields 6 mixed fields, no pattern", None),
    ];
    for (name, pattern) in cases {
        let definitions = definitions(pattern);
        c.bench_function(name, |b| {
            b.iter_batched(
                || values.clone(),
                |mut values| {
                    let mut errors = ValidationErrors::new();
                    apply_custom_fields(&mut values, &definitions, &mut errors);
                    assert!(errors.is_empty(), "{errors}");
                    values
                },
                BatchSize::SmallInput,
            )
        });
    }
}

/// One password check at the default Argon2id parameters (19 MiB, 2 passes, 1 lane): the cost
/// that dominates a login, whether the password is right, wrong, or the account unknown.
fn verify_password(c: &mut Criterion) {
    let Ok(hasher) = PasswordHasher::new(HashParams::default()) else {
        panic!("the default Argon2id parameters are valid");
    };
    let password = Password::new("correct horse battery staple");
    let Ok(stored) = hasher.hash(&password) else {
        panic!("hashing with the operating system's randomness failed");
    };
    let mut group = c.benchmark_group("password");
    // Each iteration takes tens of milliseconds: ten samples keep a run short.
    group.sample_size(10);
    group.bench_function("PasswordHasher::verify default Argon2id", |b| {
        b.iter(|| hasher.verify(black_box(&password), black_box(&stored)))
    });
    group.bench_function("PasswordHasher::verify_dummy default Argon2id", |b| {
        b.iter(|| hasher.verify_dummy(black_box(&password)))
    });
    group.finish();
}

/// A student as a bulk create writes one: every person field set, two custom fields.
fn audited_student(roll_number: &str) -> Student {
    let input: StudentInput = serde_json::from_value(json!({
        "first_name": "Asha", "middle_name": "K", "last_name": "Rao",
        "date_of_birth": "2004-01-15", "gender": "F", "email": "asha.rao@example.edu",
        "mobile": "+919876543210", "address_line1": "12 Lake Road", "city": "Pune",
        "state": "MH", "postal_code": "411001", "country": "India",
        "roll_number": roll_number, "program": "B.Tech", "admission_date": "2022-08-01",
        "year_of_study": 2, "semester": 3, "section": "A", "status": "ACTIVE",
        "custom_fields": {"hostel_resident": true, "blood_group": "O+"},
    }))
    .expect("a valid student");
    Student::from_input(input, RecordMeta::new(), "bench")
}

/// The audit diff of a created student (every field new) and of an update changing two
/// fields, with the default private fields, as the service computes them for each row.
fn diff_audited_writes(c: &mut Criterion) {
    let settings = AuditSettings::default();
    let before = audited_student("CS-2022-0001");
    let mut after = before.clone();
    after.status = campushub::core::entities::StudentStatus::Suspended;
    after.person.mobile = Some("+919800000000".to_owned());
    let mut group = c.benchmark_group("audit diff");
    group.bench_function("created student", |b| {
        b.iter(|| record_changes(None, Some(black_box(&before)), &settings))
    });
    group.bench_function("updated student", |b| {
        b.iter(|| record_changes(Some(black_box(&before)), Some(black_box(&after)), &settings))
    });
    group.bench_function("created student, stored as text", |b| {
        b.iter(|| {
            let changes = record_changes(None, Some(black_box(&before)), &settings);
            changes.map(|changes| serde_json::to_string(&changes))
        })
    });
    // The diff as it was made before the typed one: the input's JSON document, flattened.
    group.bench_function(
        "created student via its JSON document, stored as text",
        |b| {
            b.iter(|| {
                let document = serde_json::to_value(black_box(&before).to_input());
                let changes = document.map(|document| changes(None, Some(document), &settings));
                changes.map(|changes| serde_json::to_string(&changes))
            })
        },
    );
    group.finish();
}

/// The group, in a private module: `criterion_group!` declares an undocumented `pub fn`.
mod group {
    use super::verify_password;
    use super::{diff_audited_writes, parse_student_query, validate_custom_fields};
    criterion::criterion_group!(
        benches,
        parse_student_query,
        validate_custom_fields,
        verify_password,
        diff_audited_writes
    );
}

criterion_main!(group::benches);
