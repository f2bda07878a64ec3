-- GET /api/users/{id}/recommendations?strategy=genre-weighted for users first..first+count-1, drawn at random
-- (ml-latest-small imported: users 1..610, who rated 20 to 2,700 movies each). List length: env TOP (default 20).
-- wrk -t2 -c64 -d30s --latency -s genre-weighted.lua http://127.0.0.1:7081 -- <first_user> <user_count>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local first, count
local top = tonumber(os.getenv("TOP") or "20")

setup = common.setup

function init(args)
  first = tonumber(args[1] or "1")
  count = tonumber(args[2] or "610")
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/users/" .. (first + math.random(count) - 1) .. "/recommendations?strategy=genre-weighted&top=" .. top)
end

function done(summary, latency, requests)
  common.summary(summary, latency, 0, "")
end
