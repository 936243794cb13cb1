"""A round trip through the Python client generated from the served document
(tests/e2e/clients.rs generates it and runs this with the client on PYTHONPATH).

Creates a department and a student, lists with filters (a custom-field filter included),
patches with If-Match, reads statistics, and deletes both, checking each answer's type and
values. Reads CAMPUSHUB_URL and CAMPUSHUB_TOKEN (an admin token). The custom field `house`
(a select of RED and BLUE on students) is defined by the test before the client is generated.
"""

import datetime
import os
import sys

from campushub_client import AuthenticatedClient
from campushub_client.api.departments import departments_create, departments_destroy
from campushub_client.api.students import (
    students_create,
    students_destroy,
    students_list,
    students_partial_update,
    students_retrieve,
    students_stats,
)
from campushub_client.models import (
    Department,
    DepartmentInput,
    Gender,
    Problem,
    Student,
    StudentCfHouse,
    StudentCustomFields,
    StudentInput,
    StudentPage,
    StudentPatch,
    StudentStats,
    StudentStatus,
)
from campushub_client.types import UNSET


def check(condition, what):
    if not condition:
        sys.exit(f"round trip: {what}")


def round_trip(client):
    department = departments_create.sync(
        client=client, body=DepartmentInput(code="GEN", name="Generated Clients")
    )
    check(isinstance(department, Department), f"a department is created: {department}")

    student = students_create.sync(
        client=client,
        body=StudentInput(
            roll_number="GEN-0001",
            first_name="Asha",
            last_name="Rao",
            date_of_birth=datetime.date(2004, 5, 17),
            gender=Gender.F,
            program="B.Tech",
            admission_date=datetime.date(2022, 8, 1),
            department_id=department.id,
            status=StudentStatus.ACTIVE,
            year_of_study=1,
            custom_fields=StudentCustomFields.from_dict({"house": "RED"}),
        ),
    )
    check(isinstance(student, Student), f"a student is created: {student}")
    check(student.department_id == department.id, "the student is in the department")

    # A cursor page has no count; a numbered one has.
    page = students_list.sync(
        client=client,
        department_id=department.id,
        status=StudentStatus.ACTIVE,
        cf_house=StudentCfHouse.RED,
    )
    check(isinstance(page, StudentPage), f"a page: {page}")
    check([row.id for row in page.results] == [student.id], "the filter finds the student")
    check(page.count is UNSET and page.next_ is None, "one cursor page, without a count")
    numbered = students_list.sync(client=client, department_id=department.id, page=1)
    check(numbered.count == 1, f"a numbered page counts: {numbered.count}")
    none = students_list.sync(
        client=client, department_id=department.id, status_in=[StudentStatus.GRADUATED]
    )
    check(none.results == [], "no graduate")

    # A write under If-Match: the current tag applies it, the old one is refused.
    read = students_retrieve.sync_detailed(student.id, client=client)
    tag = read.headers["ETag"]
    patched = students_partial_update.sync_detailed(
        student.id, client=client, body=StudentPatch(year_of_study=2), if_match=tag
    )
    check(patched.status_code == 200, f"the patch applies: {patched.content!r}")
    check(isinstance(patched.parsed, Student), "the patch answers the record")
    check(patched.parsed.year_of_study == 2, "the patch is applied")
    check(patched.parsed.version == student.version + 1, "the version moves on")
    stale = students_partial_update.sync_detailed(
        student.id, client=client, body=StudentPatch(year_of_study=3), if_match=tag
    )
    check(stale.status_code == 412, f"a stale tag is refused: {stale.status_code}")
    check(isinstance(stale.parsed, Problem), "a refusal is a problem")

    stats = students_stats.sync(client=client, department_id=department.id)
    check(isinstance(stats, StudentStats), f"statistics: {stats}")
    check(stats.total == 1, "one student counted")
    check(stats.by_status.active == 1 and stats.by_status.graduated is UNSET, "by status")
    check(stats.by_gender.f == 1, "by gender")
    check(stats.by_year_of_study["2"] == 1, "by year of study")
    check(stats.by_department[str(department.id)] == 1, "by department")

    deleted = students_destroy.sync_detailed(
        student.id, client=client, if_match=patched.headers["ETag"]
    )
    check(deleted.status_code == 204, f"the student is deleted: {deleted.content!r}")
    gone = students_retrieve.sync_detailed(student.id, client=client)
    check(gone.status_code == 404 and isinstance(gone.parsed, Problem), "the student is gone")
    deleted = departments_destroy.sync_detailed(department.id, client=client)
    check(deleted.status_code == 204, f"the department is deleted: {deleted.content!r}")


with AuthenticatedClient(
    base_url=os.environ["CAMPUSHUB_URL"],
    token=os.environ["CAMPUSHUB_TOKEN"],
    raise_on_unexpected_status=True,
) as client:
    round_trip(client)
print("round trip: ok")
