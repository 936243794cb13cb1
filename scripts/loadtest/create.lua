-- Scenario: POST /api/v1/students, a new student per request (unique roll number and email
-- from the start time, a random thread id and a per-thread counter), in the department
-- LOADTEST_DEPARTMENT. Measures single-row writes: a transaction, its triggers and the
-- change event, each request.
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
local headers = common.headers({["Content-Type"] = "application/json"})
local department = assert(os.getenv("LOADTEST_DEPARTMENT"), "set LOADTEST_DEPARTMENT")
local statuses = {"ACTIVE", "ACTIVE", "ACTIVE", "INACTIVE", "GRADUATED"}
local genders = {"M", "F", "O"}
local run = os.time() % 0x100000
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
local thread_id = math.random(0, 0xfff)
local n = 0

request = function()
  n = n + 1
  -- At most 5 + 3 + 7 hex digits: roll numbers take 20 characters.
  local key = string.format("%05x%03x%x", run, thread_id, n)
  local body = string.format(
    '{"first_name":"Load","last_name":"Test","date_of_birth":"2004-05-06","gender":"%s",'
      .. '"email":"load.%s@uni.example","roll_number":"L%s","department_id":"%s",'
      .. '"program":"B.Sc.","admission_date":"2023-08-01","year_of_study":%d,"semester":1,'
      .. '"section":"A","status":"%s"}',
    genders[n % 3 + 1], key, key, department, n % 4 + 1, statuses[n % 5 + 1])
  return wrk.format("POST", "/api/v1/students", headers, body)
end
