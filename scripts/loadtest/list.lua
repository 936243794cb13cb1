-- Scenario: page-number list pages of 50 students (`?page=<1..20>&page_size=50`), or, with
-- LOADTEST_FILTERED=1, filtered pages (status, year of study, gender, search) of 50.
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
common.headers()
math.randomseed(os.time())

local filters = {
  "status=ACTIVE", "year_of_study=1", "year_of_study__gte=3", "gender=F",
  "status=ACTIVE&gender=M", "search=a", "status=GRADUATED", "ordering=last_name",
}
local filtered = os.getenv("LOADTEST_FILTERED") == "1"

request = function()
  local query
  if filtered then
    query = filters[math.random(#filters)] .. "&page_size=50"
  else
    query = "page=" .. math.random(20) .. "&page_size=50"
  end
  return wrk.format("GET", "/api/v1/students?" .. query)
end
