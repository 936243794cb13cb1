-- Scenario: a Zipf-distributed (exponent 1.0) read mix over LOADTEST_IDS (rank = line order)
-- with 5% writes: PATCH of a uniformly drawn student's `middle_name` (uniform, so that two
-- writers rarely race for one record and answer 412).
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
local write_headers = common.headers({ ["Content-Type"] = "application/json" })
local ids = common.ids()
math.randomseed(os.time())

local cdf, total = {}, 0
for rank = 1, #ids do
  total = total + 1 / rank
  cdf[rank] = total
end

local function zipf()
  local x, lo, hi = math.random() * total, 1, #ids
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < x then lo = mid + 1 else hi = mid end
  end
  return ids[lo]
end

local writes = 0
request = function()
  if math.random() < 0.05 then
    writes = writes + 1
    local body = '{"middle_name":"W' .. writes .. '"}'
    return wrk.format("PATCH", "/api/v1/students/" .. ids[math.random(#ids)],
      write_headers, body)
  end
  return wrk.format("GET", "/api/v1/students/" .. zipf())
end
