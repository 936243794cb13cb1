-- Scenario: GET /api/v1/students/<id> over ids drawn uniformly at random from LOADTEST_IDS.
local common = dofile(os.getenv("LOADTEST_LUA") .. "/common.lua")
common.headers()
local ids = common.ids()
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/api/v1/students/" .. ids[math.random(#ids)])
end
