-- POST /api/users/{id}/ratings with N distinct random movies per request (default 20), users first..first+count-1.
-- wrk -t2 -c32 -d30s --latency -s post-user-ratings.lua http://127.0.0.1:7081 -- <first_user> <user_count> <movies_file>
-- (env ITEMS_PER_REQUEST sets N)
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local first, count, movies, items

setup = common.setup
delay = common.delay

function init(args)
  first, count, movies, items = common.parse(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
  local user = first + math.random(count) - 1
  local seen, parts = {}, {}
  while #parts < items do
    local m = movies[math.random(#movies)]
    if not seen[m] then
      seen[m] = true
      parts[#parts + 1] = string.format('{"movie_id":%d,"rating":%s}', m, common.random_rating())
    end
  end
  return wrk.format("POST", "/api/users/" .. user .. "/ratings",
    { ["Content-Type"] = "application/json" }, '{"ratings":[' .. table.concat(parts, ",") .. ']}')
end

function done(summary, latency, requests)
  common.summary(summary, latency, common.items_per_request(), "ratings")
end
