//! Generated records for the demo data and the `seed` command: plausible departments,
//! students and faculty from a seeded PRNG, so every run with the same offsets produces the
//! same rows.

use serde_json::{json, Value};
use uuid::Uuid;

use super::rng::Rng;

const DEPARTMENTS: [(&str, &str); 20] = [
    ("CSE", "Computer Science and Engineering"),
    ("ECE", "Electronics and Communication"),
    ("EEE", "Electrical Engineering"),
    ("MECH", "Mechanical Engineering"),
    ("CIVIL", "Civil Engineering"),
    ("CHEME", "Chemical Engineering"),
    ("MATH", "Mathematics"),
    ("PHY", "Physics"),
    ("CHEM", "Chemistry"),
    ("BIO", "Biological Sciences"),
    ("ECON", "Economics"),
    ("HIST", "History"),
    ("ENG", "English Literature"),
    ("PHIL", "Philosophy"),
    ("PSY", "Psychology"),
    ("MGMT", "Management Studies"),
    ("LAW", "Law"),
    ("ARCH", "Architecture"),
    ("STAT", "Statistics"),
    ("ART", "Fine Arts"),
];
const FIRST: [&str; 16] = [
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Arjun", "Kavya", "Sam", "Lena",
    "Omar", "Sofia", "Chen", "Amara", "Noah", "Ines",
];
const LAST: [&str; 12] = [
    "Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Khan", "Silva", "Okafor", "Müller", "Tanaka",
    "Rossi", "Dubois",
];
const GENDERS: [&str; 3] = ["M", "F", "O"];
const STUDENT_STATUS: [&str; 5] = ["ACTIVE", "ACTIVE", "ACTIVE", "INACTIVE", "GRADUATED"];
const PROGRAMS: [&str; 4] = ["B.Tech", "B.Sc", "M.Tech", "M.Sc"];
const BLOOD_GROUPS: [&str; 8] = ["A+", "A-", "B+", "B-", "O+", "O-", "AB+", "AB-"];
const DESIGNATIONS: [&str; 4] = [
    "PROFESSOR",
    "ASSOCIATE_PROFESSOR",
    "ASSISTANT_PROFESSOR",
    "LECTURER",
];
const EMPLOYMENT: [&str; 3] = ["FULL_TIME", "FULL_TIME", "CONTRACT"];

/// The `n`th department (0-based): the 20 named ones, then numbered ones.
pub(super) fn department(n: usize) -> Value {
    let (code, name) = match DEPARTMENTS.get(n) {
        Some((code, name)) => ((*code).to_owned(), (*name).to_owned()),
        None => (format!("D{n:06}"), format!("Department {n}")),
    };
    json!({"code": code, "name": name, "email": format!("{}@uni.example", code.to_lowercase())})
}

fn date(rng: &mut Rng, first_year: u64, years: u64) -> String {
    format!(
        "{}-{:02}-{:02}",
        first_year + rng.below(years),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

fn person(rng: &mut Rng, prefix: &str, n: usize, birth_from: u64) -> Value {
    let (first, last) = (*rng.pick(&FIRST), *rng.pick(&LAST));
    json!({
        "first_name": first, "last_name": last,
        "date_of_birth": date(rng, birth_from, 6),
        "gender": rng.pick(&GENDERS),
        "email": format!("{}.{}.{prefix}{n}@uni.example", first.to_lowercase(), last.to_lowercase()),
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// The `n`th student, in one of `departments`.
pub(super) fn student(rng: &mut Rng, n: usize, departments: &[Uuid]) -> Value {
    let year = 1 + rng.below(4);
    let extra = json!({
        "roll_number": format!("R{n:07}"),
        "department_id": rng.pick(departments),
        "program": rng.pick(&PROGRAMS),
        "admission_date": date(rng, 2020, 5),
        "year_of_study": year,
        "semester": 2 * year - rng.below(2),
        "section": rng.pick(&["A", "B", "C"]),
        "status": rng.pick(&STUDENT_STATUS),
        "custom_fields": {"blood_group": rng.pick(&BLOOD_GROUPS), "hostel_resident": rng.below(2) == 0},
    });
    merge(person(rng, "s", n, 2000), extra)
}

/// The `n`th faculty member, in one of `departments`.
pub(super) fn faculty(rng: &mut Rng, n: usize, departments: &[Uuid]) -> Value {
    let extra = json!({
        "employee_id": format!("E{n:06}"),
        "department_id": rng.pick(departments),
        "designation": rng.pick(&DESIGNATIONS),
        "qualification": "Ph.D.",
        "date_of_joining": date(rng, 2000, 24),
        "employment_type": rng.pick(&EMPLOYMENT),
        "status": "ACTIVE",
        "custom_fields": {"office": format!("B{}-{}", 1 + rng.below(9), 100 + rng.below(400))},
    });
    merge(person(rng, "f", n, 1960), extra)
}

/// The demo's custom-field definitions.
pub(super) fn custom_fields() -> [Value; 3] {
    [
        json!({"entity": "student", "name": "blood_group", "label": "Blood group",
               "field_type": "select", "choices": BLOOD_GROUPS}),
        json!({"entity": "student", "name": "hostel_resident", "label": "Lives in a hostel",
               "field_type": "boolean"}),
        json!({"entity": "faculty", "name": "office", "label": "Office", "field_type": "text",
               "max_value": 20}),
    ]
}
