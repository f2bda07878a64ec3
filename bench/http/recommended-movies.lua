-- GET /api/rest/v1/user/{id}/recommended-movies?n=10 for users first..first+count-1, drawn at random
-- (ml-latest-small imported and a model trained: users 1..610).
-- wrk -t2 -c64 -d30s --latency -s recommended-movies.lua http://127.0.0.1:7081 -- <first_user> <user_count>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local first, count

setup = common.setup

function init(args)
  first = tonumber(args[1] or "1")
  count = tonumber(args[2] or "610")
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/rest/v1/user/" .. (first + math.random(count) - 1) .. "/recommended-movies?n=10")
end

function done(summary, latency, requests)
  common.summary(summary, latency, 0, "")
end
