//! The small, varied data set the filter, ordering and lookup cases query.

use chrono::{DateTime, Duration, Utc};

use super::data::{create, created_at, date, department_input, student_input};
use super::support::insert_all;
use super::Fixture;
use crate::entities::{Department, Gender, Student, StudentStatus};

/// Six students across two departments (and none), with known names, years, statuses,
/// dates and creation times.
pub(crate) struct People {
    /// `CSE`: students 0 and 1.
    pub(crate) cse: Department,
    /// `EE`: students 2 and 3.
    pub(crate) ee: Department,
    /// In creation order, one hour apart from [`People::epoch`].
    pub(crate) students: Vec<Student>,
    /// The creation time of the first student.
    pub(crate) epoch: DateTime<Utc>,
}

impl People {
    /// The students at `indexes`.
    pub(crate) fn at(&self, indexes: &[usize]) -> Vec<&Student> {
        indexes
            .iter()
            .filter_map(|i| self.students.get(*i))
            .collect()
    }

    /// The creation time of student `index`.
    pub(crate) fn created(&self, index: i64) -> DateTime<Utc> {
        self.epoch + Duration::hours(index)
    }
}

/// One seeded student: roll, first, middle, last name, gender, year, status, admission,
/// email.
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Gender,
    i32,
    StudentStatus,
    (i32, u32, u32),
    Option<&'static str>,
);

const ROWS: [Row; 6] = {
    use Gender::*;
    use StudentStatus::*;
    [
        (
            "CS001",
            "Ada",
            Some("King"),
            "Lovelace",
            Female,
            1,
            Active,
            (2021, 8, 1),
            Some("ada@uni.example"),
        ),
        (
            "CS002",
            "Alan",
            None,
            "Turing",
            Male,
            2,
            Active,
            (2022, 8, 1),
            Some("alan@uni.example"),
        ),
        (
            "EE003",
            "Grace",
            None,
            "Hopper",
            Female,
            3,
            Graduated,
            (2020, 8, 1),
            None,
        ),
        (
            "EE004",
            "Edsger",
            None,
            "Dijkstra",
            Male,
            4,
            Suspended,
            (2019, 8, 1),
            None,
        ),
        (
            "ME005",
            "Barbara",
            Some("Jane"),
            "Liskov",
            Female,
            5,
            Active,
            (2023, 1, 15),
            None,
        ),
        (
            "ME006",
            "donald",
            None,
            "knuth",
            Other,
            3,
            Dropped,
            (2021, 1, 10),
            None,
        ),
    ]
};

/// Inserts the departments and students of [`People`].
pub(crate) async fn people(f: &Fixture) -> People {
    let cse: Department = create(department_input("CSE", "Computer Science"));
    let ee: Department = create(department_input("EE", "Electrical Engineering"));
    f.departments.insert(&cse).await.expect("insert CSE");
    f.departments.insert(&ee).await.expect("insert EE");
    let epoch = super::data::date(2024, 1, 1)
        .and_hms_opt(9, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let departments = [
        Some(cse.meta.id),
        Some(cse.meta.id),
        Some(ee.meta.id),
        Some(ee.meta.id),
        None,
        None,
    ];
    let students = ROWS
        .iter()
        .zip(departments)
        .zip(0..)
        .map(|((row, department), index)| {
            let (roll, first, middle, last, gender, year, status, (y, m, d), email) = *row;
            let mut input = student_input(roll);
            input.person.first_name = first.into();
            input.person.middle_name = middle.map(Into::into);
            input.person.last_name = last.into();
            input.person.gender = gender;
            input.person.email = email.map(Into::into);
            input.year_of_study = year;
            input.status = status;
            input.admission_date = date(y, m, d);
            input.department_id = department;
            created_at(create(input), epoch + Duration::hours(index))
        })
        .collect();
    People {
        students: insert_all(&*f.students, students).await,
        cse,
        ee,
        epoch,
    }
}
