-- Shared by the load-test scenarios (scripts/loadtest.sh): the bearer token, the seeded
-- student ids, and per-thread status counters that `done` reports.
--
-- Environment: LOADTEST_TOKEN (an admin JWT), LOADTEST_IDS (a file with one student id a line).

local common = {}

-- Sets the bearer token on every request; returns a copy of the headers, with `extra` added,
-- for `wrk.format` calls (which replace `wrk.headers` when given a table).
function common.headers(extra)
  local token = os.getenv("LOADTEST_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  local copy = {}
  for name, value in pairs(wrk.headers) do copy[name] = value end
  for name, value in pairs(extra or {}) do copy[name] = value end
  return copy
end

function common.ids()
  local ids = {}
  local path = os.getenv("LOADTEST_IDS")
  if path then
    for line in io.lines(path) do
      if line ~= "" then ids[#ids + 1] = line end
    end
  end
  assert(#ids > 0, "no ids in LOADTEST_IDS")
  return ids
end

return common
