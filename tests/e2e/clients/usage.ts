// What a TypeScript client of the served document writes, type-checked by tests/e2e/clients.rs
// (`tsc --noEmit --strict`) against the types openapi-typescript generates into `./api.ts`:
// the named schemas and operation ids exist, with the types a hand-written client would give
// them.
import type { components, operations } from "./api";

type Schemas = components["schemas"];

const gender: Schemas["Gender"] = "F";

const input: Schemas["StudentInput"] = {
  roll_number: "GEN-0001",
  first_name: "Asha",
  last_name: "Rao",
  date_of_birth: "2004-05-17",
  gender,
  program: "B.Tech",
  admission_date: "2022-08-01",
  status: "ACTIVE",
};

// One patch type, whichever of its two media types is sent.
const patch: Schemas["StudentPatch"] = { year_of_study: 2, email: null };
type PatchBody = NonNullable<operations["students_partial_update"]["requestBody"]>["content"];
const merge: PatchBody["application/merge-patch+json"] = patch;
const json: PatchBody["application/json"] = merge;

const query: NonNullable<operations["students_list"]["parameters"]["query"]> = {
  status: "ACTIVE",
  year_of_study__in: [1, 2],
  ordering: ["-created_at", "roll_number"],
  page_size: 10,
};

function ids(page: Schemas["StudentPage"]): string[] {
  return page.results.map((student: Schemas["Student"]) => student.id);
}

function active(stats: Schemas["StudentStats"]): number {
  return (stats.by_status.ACTIVE ?? 0) + (stats.by_year_of_study["1"] ?? 0) * 0;
}

function failed(report: Schemas["BulkCreateReport"]): Schemas["FieldErrors"][] {
  return report.errors.map((row: Schemas["BulkRowError"]) => row.errors);
}

function detail(problem: Schemas["Problem"]): string {
  return `${problem.status} ${problem.title}: ${problem.detail}`;
}

export { input, json, query, ids, active, failed, detail };
