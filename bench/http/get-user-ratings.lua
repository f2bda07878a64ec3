-- GET /api/users/{id}/ratings for users first..first+count-1 (the run script gives each 200 ratings).
-- wrk -t2 -c64 -d30s --latency -s get-user-ratings.lua http://127.0.0.1:7081 -- <first_user> <user_count> <movies_file>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local first, count

setup = common.setup

function init(args)
  first, count = common.parse(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
  return wrk.format("GET", "/api/users/" .. (first + math.random(count) - 1) .. "/ratings")
end

function done(summary, latency, requests)
  common.summary(summary, latency, 0, "")
end
