-- POST /api/rest/v1/ratings, one random (user, movie, rating) per request.
-- wrk -t2 -c32 -d30s --latency -s post-rating.lua http://127.0.0.1:7081 -- <first_user> <user_count> <movies_file>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local first, count, movies

setup = common.setup
delay = common.delay

function init(args)
  first, count, movies = common.parse(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
  local body = string.format('{"user_id":%d,"movie_id":%d,"rating":%s}',
    first + math.random(count) - 1, movies[math.random(#movies)], common.random_rating())
  return wrk.format("POST", "/api/rest/v1/ratings", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  common.summary(summary, latency, 1, "ratings")
end
