-- GET /api/rest/v1/movies/{id}/similar for movie ids drawn at random from a file (one id a line; e.g. the movieId column
-- of ratings.csv, so popular movies are drawn as often as they are rated). Strategy: env STRATEGY (hybrid, content or
-- collaborative; default hybrid); list length: env LIMIT (default 10).
-- wrk -t2 -c64 -d30s --latency -s similar.lua http://127.0.0.1:7081 -- <movies_file>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local movies
local strategy = os.getenv("STRATEGY") or "hybrid"
local limit = tonumber(os.getenv("LIMIT") or "10")

setup = common.setup

function init(args)
  movies = common.load_movies(args[1] or "movies.txt")
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

delay = common.delay   -- paced when env RATE is set (see common.lua)

function request()
  return wrk.format("GET", "/api/rest/v1/movies/" .. movies[math.random(#movies)] .. "/similar?strategy=" .. strategy .. "&limit=" .. limit)
end

function done(summary, latency, requests)
  common.summary(summary, latency, 0, "")
end
