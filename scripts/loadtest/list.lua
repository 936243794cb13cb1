-- Scenario: list pages of 50 students. By default cursor pages (the API's default: the page
-- and its departments, 2 statements whatever the page size): the first 20 pages, whose paths
-- loadtest.sh collected by following `next` into LOADTEST_PAGES. With LOADTEST_PAGE_NUMBERS=1,
-- page-number pages (`?page=<1..20>&page_size=50`: count + page + departments, 3 statements).
-- With LOADTEST_FILTERED=1, filtered first pages (status, year of study, gender, search) of 50.
-- LOADTEST_PAGE_SUFFIX is appended to page-number paths (the baseline's `&count=false`).
-- With LOADTEST_DEPTH=1, pages of 20 at a random depth 1-500: cursor pages whose paths
-- loadtest.sh collected by following `next` 500 times into LOADTEST_DEPTH_PAGES, or with
-- LOADTEST_PAGE_NUMBERS=1 `?page=<1..500>&page_size=20` (the baseline's `OFFSET` pages).
-- With LOADTEST_DEEP_PAGES=N (and LOADTEST_PAGE_NUMBERS=1), page-number pages of 50 anywhere in
-- the table: `?page=<1..N>&page_size=50` (loadtest.sh sets N to the last page of the seeded
-- students), LOADTEST_PAGE_SUFFIX adding e.g. an ordering.
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
common.headers()
math.randomseed(os.time())

local filters = {
  "status=ACTIVE", "year_of_study=1", "year_of_study__gte=3", "gender=F",
  "status=ACTIVE&gender=M", "search=a", "status=GRADUATED", "ordering=last_name",
}
local filtered = os.getenv("LOADTEST_FILTERED") == "1"
local page_numbers = os.getenv("LOADTEST_PAGE_NUMBERS") == "1"
local page_suffix = os.getenv("LOADTEST_PAGE_SUFFIX") or ""
local depth = os.getenv("LOADTEST_DEPTH") == "1"
local deep_pages = tonumber(os.getenv("LOADTEST_DEEP_PAGES") or "")
local last_page, page_size = 20, 50
if depth then last_page, page_size = 500, 20 end
if deep_pages then last_page = deep_pages end

local pages = {}
if not filtered and not page_numbers then
  local variable = depth and "LOADTEST_DEPTH_PAGES" or "LOADTEST_PAGES"
  local path = os.getenv(variable)
  assert(path, variable .. " is not set")
  for line in io.lines(path) do
    if line ~= "" then pages[#pages + 1] = line end
  end
  assert(#pages > 0, "no pages in " .. variable)
end

request = function()
  if filtered then
    return wrk.format("GET", "/api/v1/students?" .. filters[math.random(#filters)] .. "&page_size=50")
  elseif page_numbers then
    return wrk.format("GET", "/api/v1/students?page=" .. math.random(last_page) ..
      "&page_size=" .. page_size .. page_suffix)
  end
  return wrk.format("GET", pages[math.random(#pages)])
end
