-- GET /api/rest/v1/movies?search=star&limit=10 (the issue-2 search figure, with the same summary lines as the others).
-- wrk -t2 -c64 -d30s --latency -s search.lua http://127.0.0.1:7081
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")

setup = common.setup

function request()
  return wrk.format("GET", "/api/rest/v1/movies?search=star&limit=10")
end

function done(summary, latency, requests)
  common.summary(summary, latency, 0, "")
end
