-- Scenario: first pages of 50 students for `search=<term>`, the term drawn at random from
-- LOADTEST_SEARCH (comma-separated; default: a mix of rare, absent and common terms over the
-- seeded students). LOADTEST_SEARCH_SUFFIX is appended to every path (`&page=1` for
-- page-number pages, which count the matches). Run it with wrk against a seeded server, e.g.
--   LOADTEST_LUA=scripts/loadtest LOADTEST_TOKEN=... LOADTEST_SEARCH=sharma,xyzzy \
--     wrk -t1 -c64 -d10s -s scripts/loadtest/search.lua http://127.0.0.1:18080/
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
common.headers()
math.randomseed(os.time())

local terms = {}
for term in string.gmatch(os.getenv("LOADTEST_SEARCH") or "R00123,s4242@,xyzzy,sharma,müll", "[^,]+") do
  terms[#terms + 1] = term:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end)
end
assert(#terms > 0, "no terms in LOADTEST_SEARCH")
local suffix = os.getenv("LOADTEST_SEARCH_SUFFIX") or ""

request = function()
  return wrk.format("GET", "/api/v1/students?search=" .. terms[math.random(#terms)]
    .. "&page_size=50" .. suffix)
end
