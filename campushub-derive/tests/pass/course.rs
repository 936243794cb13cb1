use campushub::core::{Audit, Department, Embedded, Entity as _, RecordMeta, Scalar};
use campushub::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Every attribute at once.
#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
#[entity(kind = "course", table = "courses", embedded_in(timetable))]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, search, natural_key, text = 20, normalize = upper)]
    code: String,
    #[field(filter = "eq", sensitive, max_chars = TITLE_MAX)]
    title: String,
    #[field(filter, stats, choice, choices_named = "CourseLevel", default)]
    #[serde(default)]
    level: Level,
    #[field(filter, references_kind = "faculty")]
    lecturer_id: Option<uuid::Uuid>,
    #[field(filter, references = Department)]
    department_id: Option<uuid::Uuid>,
    #[field(filter, order, stats, range(1, 12))]
    credits: i64,
    #[field(default)]
    #[serde(default)]
    seats: i32,
    #[field(embed(from = department_id, fields(code, name)))]
    department: Option<Embedded>,
    #[field(filter, order, read_only)]
    enrolled: i64,
    #[field(filter, read_only)]
    syllabus_sha256: Option<String>,
    #[serde(default)]
    custom_fields: Map<String, Value>,
    #[serde(flatten)]
    audit: Audit,
}

const TITLE_MAX: u32 = 200;

fn upper(code: String) -> String {
    code.trim().to_uppercase()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
enum Level {
    #[default]
    #[serde(rename = "INTRO")]
    Intro,
    #[serde(rename = "ADVANCED")]
    Advanced,
}

impl Level {
    const ALL: &'static [&'static str] = &["INTRO", "ADVANCED"];

    fn as_str(self) -> &'static str {
        match self {
            Level::Intro => "INTRO",
            Level::Advanced => "ADVANCED",
        }
    }
}

fn main() {
    let schema = Course::schema();
    assert_eq!(schema.natural_key, Some("code"));
    assert!(schema.is_personal("title"));
    assert_eq!(schema.required_fields().collect::<Vec<_>>(), ["code", "title", "credits"]);
    let input: CourseInput = serde_json::from_str(r#"{"code":" cs1","title":"T","credits":3}"#)
        .expect("an input");
    let course = Course::from_input(input, RecordMeta::new(), "test");
    // Normalised on the way in; the by-kind reference and the embedding kinds declared.
    assert_eq!(course.code, "CS1");
    assert_eq!(course.level, Level::Intro);
    assert_eq!(course.field("level"), Some(Scalar::from("INTRO")));
    assert_eq!(Level::Advanced.as_str(), "ADVANCED");
    let by_kind: Vec<_> = schema.relations.iter().map(|r| (r.field, r.kind.as_str())).collect();
    assert_eq!(by_kind, [("department_id", "department"), ("lecturer_id", "faculty")]);
    assert_eq!(schema.embedded_in.iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["timetable"]);
    assert_eq!(schema.field("level").and_then(|f| f.choices_name), Some("CourseLevel"));
    assert_eq!(schema.field("title").and_then(|f| f.constraints.max_chars), Some(TITLE_MAX));
    // Custom fields: writable, never required; the audit block: read-only, set by writes.
    assert!(schema.has_custom_fields() && !schema.is_read_only("custom_fields"));
    assert!(schema.is_read_only("created_by") && schema.is_read_only("updated_by"));
    assert_eq!(course.custom_fields(), Some(&Map::new()));
    assert_eq!(course.audit.created_by.as_deref(), Some("test"));
    assert_eq!(course.field("credits"), Some(Scalar::Int(3)));
    assert_eq!(course.field("seats"), Some(Scalar::Int(0)));
    assert_eq!(course.unique_values(), [("code", "CS1".to_owned())]);

    // Server-set fields: typed in the schema, read-only to bodies, kept by a replace.
    assert!(schema.field("enrolled").is_some());
    assert!(!schema.is_writable("enrolled") && schema.is_read_only("enrolled"));
    assert!(!schema.is_writable("syllabus_sha256") && schema.is_read_only("syllabus_sha256"));
    assert_eq!(course.field("enrolled"), Some(Scalar::Int(0)));
    assert_eq!(course.field("syllabus_sha256"), None);
    let mut course = course;
    course.enrolled = 30;
    course.syllabus_sha256 = Some("ab".to_owned());
    let mut input = course.to_input();
    input.credits = 4;
    input.custom_fields.insert("room".to_owned(), json!("B12"));
    course.apply_input(input, "editor");
    assert_eq!(course.custom_fields, Map::from_iter([("room".to_owned(), json!("B12"))]));
    assert_eq!(course.audit.created_by.as_deref(), Some("test"));
    assert_eq!(course.audit.updated_by.as_deref(), Some("editor"));
    assert_eq!((course.credits, course.enrolled), (4, 30));
    assert_eq!(course.syllabus_sha256.as_deref(), Some("ab"));
    let read = serde_json::to_value(&course).expect("a record serializes");
    assert_eq!(read["enrolled"], 30);
    let body = serde_json::to_value(course.to_input()).expect("an input serializes");
    assert!(body.get("enrolled").is_none() && body.get("syllabus_sha256").is_none());
    assert!(body.get("created_by").is_none() && body.get("custom_fields").is_some());
}
