//! Spreadsheets in and out (issue 16), on SQLite and Postgres: an export imported into an
//! empty database gives the same records (custom fields included) in CSV and in XLSX; a
//! file with errors of every kind is reported row by row and column by column and writes
//! nothing, the fixed file writes everything, and a value another record holds is found by
//! the dry run and keeps an all-or-nothing commit from writing; malformed files are clear
//! `422`s (the document types the body as any bytes); and an XLSX file written by another
//! program (openpyxl) imports.

use axum::http::Method;
use serde_json::{json, Value};

use crate::support::commands::TempDir;
use crate::support::tools::{shown, tool, Scratch};
use crate::support::{Http, Instance, Services, TestDb};

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Students written by the round trips: more than one bulk call and many export pages.
const STUDENTS: usize = 2500;

/// The departments and custom-field definitions both sides of a round trip have.
async fn prepare(http: &Http) {
    for code in ["CSE", "ECE", "MEC"] {
        http.create(
            "/api/v1/departments",
            json!({"code": code, "name": format!("Department {code}")}),
        )
        .await;
    }
    for definition in [
        json!({"entity": "student", "name": "blood_group", "label": "Blood group", "field_type": "text"}),
        json!({"entity": "student", "name": "credits", "label": "Credits", "field_type": "number"}),
        json!({"entity": "student", "name": "enrolled_on", "label": "Enrolled", "field_type": "date"}),
        json!({"entity": "student", "name": "clubs", "label": "Clubs", "field_type": "multiselect",
               "choices": ["chess", "music", "robotics"]}),
    ] {
        http.create("/api/v1/custom-fields", definition).await;
    }
}

/// The create body of student `n`: values of every type, text a spreadsheet would run as a
/// formula, and custom fields on most rows.
fn student(n: usize, departments: &[Value]) -> Value {
    let gender = ["M", "F", "O"][n % 3];
    let section = ["A", "B", "C"][n % 3];
    let status = ["ACTIVE", "INACTIVE", "GRADUATED"][n % 3];
    let blood_group = ["A+", "O-", "-B"][n % 3];
    let mut body = json!({
        "roll_number": format!("R{n:06}"),
        "first_name": format!("Ada{n}"),
        "last_name": if n.is_multiple_of(7) { "=HYPERLINK(\"x\")".to_owned() } else { format!("Lovelace, \"{n}\"") },
        "email": format!("ada{n}@example.edu"),
        "gender": gender,
        "date_of_birth": format!("200{}-0{}-1{}", n % 10, 1 + n % 9, n % 10),
        "city": if n.is_multiple_of(5) { "+Pune".to_owned() } else { "Chennai".to_owned() },
        "program": "B.Tech",
        "admission_date": format!("202{}-07-01", n % 5),
        "year_of_study": 1 + n % 5,
        "semester": 1 + n % 10,
        "section": section,
        "status": status,
    });
    if !n.is_multiple_of(11) {
        body["department_id"] = departments[n % departments.len()]["id"].clone();
    }
    if !n.is_multiple_of(4) {
        body["custom_fields"] = json!({
            "blood_group": blood_group,
            "credits": if n.is_multiple_of(2) { json!(n % 40) } else { json!(12.5) },
            "enrolled_on": "2024-08-01",
            "clubs": if n.is_multiple_of(3) { json!(["chess", "music"]) } else { json!(["robotics"]) },
        });
    }
    body
}

/// Writes `STUDENTS` students through the bulk route.
async fn fill(http: &Http) {
    let departments = http.get("/api/v1/departments?ordering=code").await.json()["results"]
        .as_array()
        .expect("departments")
        .clone();
    let rows: Vec<Value> = (0..STUDENTS).map(|n| student(n, &departments)).collect();
    for chunk in rows.chunks(1000) {
        let reply = http
            .send(
                Method::POST,
                "/api/v1/students/bulk-create",
                &[],
                Some(&json!({"students": chunk})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
}

async fn export(http: &Http, format: &str) -> Vec<u8> {
    let reply = http
        .get(&format!(
            "/api/v1/students/export?format={format}&ordering=roll_number"
        ))
        .await;
    assert_eq!(reply.status, 200, "export {format}: {}", reply.text());
    reply.body.to_vec()
}

async fn import(http: &Http, query: &str, content_type: &str, file: Vec<u8>) -> (u16, Value) {
    let reply = http
        .upload(
            &format!("/api/v1/students/import{query}"),
            content_type,
            file,
        )
        .await;
    (reply.status, reply.json())
}

/// The round trip between two instances made by `start`: the source's CSV export imported
/// into one empty database and its XLSX export into another give the source's CSV export
/// back, byte for byte.
async fn round_trip(source: &Instance, csv_target: &Instance, xlsx_target: &Instance) {
    prepare(&source.http).await;
    fill(&source.http).await;
    let csv = export(&source.http, "csv").await;
    let text = String::from_utf8(csv.clone()).expect("UTF-8");
    assert_eq!(text.lines().count(), STUDENTS + 1, "a header and every row");
    let header = text.lines().next().expect("a header");
    assert!(header.starts_with("roll_number,"), "{header}");
    assert!(header.contains(",department,"), "{header}");
    assert!(
        header.ends_with("cf.blood_group,cf.clubs,cf.credits,cf.enrolled_on"),
        "{header}"
    );
    assert!(text.contains("\"'=HYPERLINK("), "formulas are escaped");
    assert!(text.contains(",'+Pune,"), "formulas are escaped");
    let xlsx = export(&source.http, "xlsx").await;
    assert!(xlsx.starts_with(b"PK"), "a zip archive");

    for (target, file, content_type) in [(csv_target, csv.clone(), CSV), (xlsx_target, xlsx, XLSX)]
    {
        prepare(&target.http).await;
        let (status, report) = import(&target.http, "", content_type, file).await;
        assert_eq!(status, 200, "{content_type}: {report}");
        assert_eq!(report["created"], STUDENTS, "{content_type}: {report}");
        assert_eq!(report["errors"], json!([]), "{content_type}");
        let back = export(&target.http, "csv").await;
        assert!(
            back == csv,
            "{content_type}: the records differ after the round trip"
        );
    }
    // Imported again, the same file changes records in place: all updates, no new rows.
    let (status, report) = import(&csv_target.http, "", CSV, csv.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["created"].clone(), report["updated"].clone()),
        (json!(0), json!(STUDENTS))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_an_empty_sqlite_database_gives_the_same_records() {
    let dirs = [TempDir::new(), TempDir::new(), TempDir::new()];
    let source = Instance::start(&dirs[0].sqlite()).await;
    let csv_target = Instance::start(&dirs[1].sqlite()).await;
    let xlsx_target = Instance::start(&dirs[2].sqlite()).await;
    round_trip(&source, &csv_target, &xlsx_target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_an_empty_postgres_database_gives_the_same_records() {
    let services = Services::shared();
    let mut dbs = Vec::new();
    for _ in 0..3 {
        dbs.push(TestDb::create(&services.primary, &services.replica).await);
    }
    let on = |db: &TestDb| vec![("CAMPUSHUB_DATABASE_URL", db.primary.clone())];
    let source = Instance::start(&on(&dbs[0])).await;
    let csv_target = Instance::start(&on(&dbs[1])).await;
    let xlsx_target = Instance::start(&on(&dbs[2])).await;
    round_trip(&source, &csv_target, &xlsx_target).await;
    for instance in [source, csv_target, xlsx_target] {
        instance.stop().await.expect("a clean stop");
    }
    for db in dbs {
        db.drop_database().await;
    }
}

/// A file with an error of every kind a dry run finds, row and column named.
const BROKEN: &str = "\
Roll No,first_name,last_name,gender,date_of_birth,program,admission_date,year_of_study,status,dept,cf.credits,email
R1,Ada,Lovelace,F,2004-12-10,B.Sc,2023-08-01,two,ACTIVE,CSE,3,ada@example.edu
R2,Alan,Turing,M,12/06/2004,B.Sc,2023-08-01,2,ACTIVE,CSE,3,alan@example.edu
R3,Grace,Hopper,F,2004-12-09,B.Sc,2023-08-01,2,ASLEEP,CSE,3,grace@example.edu
R4,Edsger,Dijkstra,M,2004-05-11,B.Sc,2023-08-01,2,ACTIVE,XYZ,3,edsger@example.edu
R1,Barbara,Liskov,F,2004-11-07,B.Sc,2023-08-01,2,ACTIVE,CSE,3,barbara@example.edu
R6,,Knuth,M,2004-01-10,B.Sc,2023-08-01,2,ACTIVE,CSE,3,don@example.edu
R7,Ken,Thompson,M,2004-02-04,B.Sc,2023-08-01,9,ACTIVE,CSE,3,ken@example.edu
R8,Dennis,Ritchie,M,2004-09-09,B.Sc,2023-08-01,2,ACTIVE,CSE,lots,dennis@example.edu
R9,Frances,Allen,F,2004-08-04,B.Sc,2023-08-01,2,ACTIVE,CSE,3,not-an-email
";

/// The same file with every error fixed.
const FIXED: &str = "\
Roll No,first_name,last_name,gender,date_of_birth,program,admission_date,year_of_study,status,dept,cf.credits,email
R1,Ada,Lovelace,F,2004-12-10,B.Sc,2023-08-01,2,ACTIVE,CSE,3,ada@example.edu
R2,Alan,Turing,M,2004-06-12,B.Sc,2023-08-01,2,ACTIVE,CSE,3,alan@example.edu
R3,Grace,Hopper,F,2004-12-09,B.Sc,2023-08-01,2,INACTIVE,CSE,3,grace@example.edu
R4,Edsger,Dijkstra,M,2004-05-11,B.Sc,2023-08-01,2,ACTIVE,ECE,3,edsger@example.edu
R5,Barbara,Liskov,F,2004-11-07,B.Sc,2023-08-01,2,ACTIVE,CSE,3,barbara@example.edu
R6,Donald,Knuth,M,2004-01-10,B.Sc,2023-08-01,2,ACTIVE,CSE,3,don@example.edu
R7,Ken,Thompson,M,2004-02-04,B.Sc,2023-08-01,4,ACTIVE,CSE,3,ken@example.edu
R8,Dennis,Ritchie,M,2004-09-09,B.Sc,2023-08-01,2,ACTIVE,CSE,7.5,dennis@example.edu
R9,Frances,Allen,F,2004-08-04,B.Sc,2023-08-01,2,ACTIVE,CSE,3,frances@example.edu
";

async fn student_count(http: &Http) -> u64 {
    let listed = http.get("/api/v1/students?page=1&page_size=1").await.json();
    listed["count"].as_u64().expect("a count")
}

/// `(row, column)` of every error of a report.
fn places(report: &Value) -> Vec<(u64, Option<String>)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|issue| {
            (
                issue["row"].as_u64().expect("a row"),
                issue["column"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_names_every_error_and_writes_nothing_and_the_fixed_file_writes_everything() {
    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let http = &instance.http;
    prepare(http).await;

    let (status, report) = import(http, "?dry_run=true", CSV, BROKEN.into()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    let column = |name: &str| Some(name.to_owned());
    assert_eq!(
        places(&report),
        [
            (2, column("year_of_study")),
            (3, column("date_of_birth")),
            (4, column("status")),
            (5, column("department")),
            (6, column("roll_number")),
            (7, column("first_name")),
            (8, column("year_of_study")),
            (9, column("cf.credits")),
            (10, column("email")),
        ],
        "{report}"
    );
    assert_eq!(student_count(http).await, 0, "a dry run writes nothing");

    let (status, report) = import(http, "", CSV, BROKEN.into()).await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(report["type"], "urn:campushub:problem:import-rejected");
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(9));
    assert_eq!(
        student_count(http).await,
        0,
        "a refused commit writes nothing"
    );

    let (status, report) = import(http, "?dry_run=true", CSV, FIXED.into()).await;
    assert_eq!(
        (status, report["created"].clone()),
        (200, json!(9)),
        "{report}"
    );
    assert_eq!(student_count(http).await, 0);
    let (status, report) = import(http, "", CSV, FIXED.into()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 9);
    assert_eq!(student_count(http).await, 9);
    let r4 = http.get("/api/v1/students?roll_number=R4").await.json();
    assert_eq!(r4["results"][0]["department"]["code"], "ECE");
    assert_eq!(r4["results"][0]["custom_fields"]["credits"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_another_record_holds_is_found_by_the_dry_run_and_writes_nothing_unless_best_effort(
) {
    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let http = &instance.http;
    prepare(http).await;
    // An existing student holds the email row 7 of the file wants: the dry run finds it in
    // the database, and an all-or-nothing commit writes nothing.
    let (status, _) = import(
        http,
        "",
        CSV,
        "roll_number,first_name,last_name,gender,date_of_birth,program,admission_date,email\n\
         OLD,Old,Timer,M,2000-01-01,B.Sc,2019-08-01,don@example.edu\n"
            .into(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, report) = import(http, "?dry_run=true", CSV, FIXED.into()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(places(&report), [(7, Some("email".to_owned()))], "{report}");
    let (status, report) = import(http, "", CSV, FIXED.into()).await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(places(&report), [(7, Some("email".to_owned()))], "{report}");
    assert_eq!(
        student_count(http).await,
        1,
        "nothing of the file was written"
    );

    let (status, report) = import(http, "?mode=best_effort", CSV, FIXED.into()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 8);
    assert_eq!(places(&report), [(7, Some("email".to_owned()))]);
    assert_eq!(student_count(http).await, 9);
}

/// A zip archive whose one part declares that it unpacks to 4 GiB (stored, two bytes long):
/// the directory a zip bomb shows.
fn zip_bomb() -> Vec<u8> {
    let name = b"xl/worksheets/sheet1.xml";
    let data = b"<a";
    let crc: u32 = 0;
    let declared: u32 = u32::MAX;
    let mut out = Vec::new();
    let local = |out: &mut Vec<u8>| {
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(data);
    };
    local(&mut out);
    let directory = out.len() as u32;
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&declared.to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(name);
    let size = out.len() as u32 - directory;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&directory.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_files_are_clear_422s_naming_what_is_wrong() {
    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let http = &instance.http;
    let detail = |report: &Value| report.to_string();
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            CSV,
            b"roll_number,first_name\nR1,\xff\n".to_vec(),
            "not UTF-8",
        ),
        (
            CSV,
            b"roll_number,first_name\nR1,\"Ada\nR2,Alan\nR3,\"x\"\n".to_vec(),
            "row 2: a quoted field is followed by more text",
        ),
        (
            CSV,
            b"roll_number,shoe_size\nR1,44\n".to_vec(),
            "unknown column `shoe_size`",
        ),
        (XLSX, b"roll_number\nR1\n".to_vec(), "not a zip archive"),
        (XLSX, zip_bomb(), "unpacks to more than"),
    ];
    for (content_type, file, expected) in cases {
        let (status, report) = import(http, "?dry_run=true", content_type, file).await;
        assert_eq!(status, 422, "{expected}: {report}");
        assert!(detail(&report).contains(expected), "{expected}: {report}");
    }
    let reply = http
        .upload(
            "/api/v1/students/import",
            "application/pdf",
            b"%PDF".to_vec(),
        )
        .await;
    assert_eq!(reply.status, 415, "{}", reply.text());
    assert_eq!(student_count(http).await, 0);
}

/// The limits are the server's settings: a file over `CAMPUSHUB_IMPORT_MAX_BYTES` or with
/// more rows than `CAMPUSHUB_IMPORT_MAX_ROWS` is a `413`, a cell longer than
/// `CAMPUSHUB_IMPORT_MAX_CELL_CHARS` a `400` naming its row and column; within them, the
/// same file imports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_limits_are_settings_answered_413_and_400() {
    let dir = TempDir::new();
    let mut vars = dir.sqlite();
    vars.extend([
        ("CAMPUSHUB_IMPORT_MAX_BYTES", "1KiB".to_owned()),
        ("CAMPUSHUB_IMPORT_MAX_ROWS", "3".to_owned()),
        ("CAMPUSHUB_IMPORT_MAX_CELL_CHARS", "12".to_owned()),
    ]);
    let instance = Instance::start(&vars).await;
    let http = &instance.http;
    let header = "roll_number,first_name\n";
    let file = |rows: &[&str]| format!("{header}{}\n", rows.join("\n")).into_bytes();
    let large = format!("{header}{}", "R1,Ada\n".repeat(200)).into_bytes();
    assert!(large.len() > 1024);
    let (status, report) = import(http, "?dry_run=true", CSV, large).await;
    assert_eq!(status, 413, "{report}");
    assert!(
        report.to_string().contains("larger than 1024 bytes"),
        "{report}"
    );
    let (status, report) = import(
        http,
        "?dry_run=true",
        CSV,
        file(&["R1,A", "R2,B", "R3,C", "R4,D"]),
    )
    .await;
    assert_eq!(status, 413, "{report}");
    assert!(
        report.to_string().contains("more than 3 data rows"),
        "{report}"
    );
    let (status, report) = import(
        http,
        "?dry_run=true",
        CSV,
        file(&["R1,A", "R2,Bartholomew-Longname"]),
    )
    .await;
    assert_eq!(status, 400, "{report}");
    assert!(
        report
            .to_string()
            .contains("row 3, column `first_name`: longer than 12 characters"),
        "{report}"
    );
    let (status, report) =
        import(http, "?dry_run=true", CSV, file(&["R1,A", "R2,B", "R3,C"])).await;
    assert_ne!(status, 413, "{report}");
    assert_ne!(status, 400, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_file_written_by_openpyxl_imports_with_dates_and_numbers_as_typed() {
    let scratch = Scratch::new("openpyxl");
    let path = scratch.path().join("students.xlsx");
    let script = r#"
import datetime, sys
from openpyxl import Workbook
book = Workbook()
sheet = book.active
sheet.append(["Roll Number", "First Name", "Last Name", "Gender", "DOB", "Program",
              "Admission Date", "Year", "Department Code", "cf.credits", "cf.enrolled_on"])
sheet.append(["X1", "Ada", "Lovelace", "F", datetime.date(2004, 12, 10), "B.Sc",
              datetime.date(2023, 8, 1), 2, "CSE", 7.5, datetime.date(2024, 8, 1)])
sheet.append(["X2", "Alan", "Turing", "M", "2004-06-12", "B.Sc",
              datetime.datetime(2023, 8, 1), 3.0, "ECE", 4, "2024-08-02"])
book.save(sys.argv[1])
"#;
    let output = std::process::Command::new(tool("openpyxl/bin/python"))
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python runs");
    assert!(output.status.success(), "{}", shown(&output));
    let file = std::fs::read(&path).expect("the workbook");

    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let http = &instance.http;
    prepare(http).await;
    let (status, report) = import(http, "", XLSX, file).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 2, "{report}");
    let listed = http
        .get("/api/v1/students?ordering=roll_number")
        .await
        .json();
    let rows = &listed["results"];
    assert_eq!(rows[0]["date_of_birth"], "2004-12-10");
    assert_eq!(rows[0]["department"]["code"], "CSE");
    assert_eq!(
        rows[0]["custom_fields"],
        json!({"credits": 7.5, "enrolled_on": "2024-08-01"})
    );
    assert_eq!(rows[1]["admission_date"], "2023-08-01");
    assert_eq!(rows[1]["year_of_study"], 3);
    assert_eq!(rows[1]["custom_fields"]["credits"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_route_answers_csv_for_accept_text_csv_with_the_same_filters() {
    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let http = &instance.http;
    prepare(http).await;
    let (status, _) = import(http, "", CSV, FIXED.into()).await;
    assert_eq!(status, 200);
    let reply = http
        .get_with(
            "/api/v1/students?department=ECE&status=ACTIVE&page_size=1",
            &[("accept", "text/csv")],
        )
        .await;
    assert_eq!(
        reply.status, 400,
        "an unknown filter is refused as on JSON lists"
    );
    let reply = http
        .get_with(
            "/api/v1/students?year_of_study=2&ordering=-roll_number",
            &[("accept", "text/csv")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply
        .header("content-type")
        .is_some_and(|value| value.starts_with("text/csv")));
    let text = reply.text();
    let rolls: Vec<&str> = text.lines().skip(1).map(|line| &line[..2]).collect();
    assert_eq!(
        rolls,
        ["R9", "R8", "R6", "R5", "R4", "R3", "R2", "R1"],
        "{text}"
    );
}
