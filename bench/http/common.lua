-- Shared by the rating load scripts: arguments, movie ids, per-thread random numbers, and a summary that
-- prints requests/s, items/s, latency percentiles and non-2xx counts.
-- Arguments (after --): first_user user_count movies_file. Ratings per batch request: env ITEMS_PER_REQUEST (default 20).
local common = {}

function common.load_movies(path)
  local ids = {}
  for line in io.lines(path) do
    local id = tonumber(line)
    if id then ids[#ids + 1] = id end
  end
  assert(#ids > 0, "no movie ids in " .. path)
  return ids
end

function common.parse(args)
  local first = tonumber(args[1] or "1")
  local count = tonumber(args[2] or "32")
  local movies = common.load_movies(args[3] or "movies.txt")
  return first, count, movies, common.items_per_request()
end

function common.items_per_request() return tonumber(os.getenv("ITEMS_PER_REQUEST") or "20") end

local ratings = { "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5" }
function common.random_rating() return ratings[math.random(#ratings)] end

-- Paced mode (env RATE = requests/s over all threads, THREADS = wrk's -t, default 2): each thread sends on a fixed
-- schedule (its share of RATE) instead of as fast as responses come back, so latency is measured at a known offered
-- load, not at saturation. Without RATE the scripts run closed-loop (the maximum rate).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } movierecs_timespec;
  int clock_gettime(int clock_id, movierecs_timespec *tp);
]]
local ts = ffi.new("movierecs_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)   -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("RATE") or "")
local interval = rate and (tonumber(os.getenv("THREADS") or "2") * 1000 / rate)
local next_slot
function common.delay()
  if not interval then return 0 end
  local t = now_ms()
  if not next_slot or next_slot < t - 1000 then next_slot = t end   -- start, or more than a second behind: restart the schedule
  local wait = next_slot - t
  next_slot = next_slot + interval
  return wait > 0 and math.floor(wait) or 0
end

-- Collect status codes across threads.
local threads = {}
function common.setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function common.summary(summary, latency, items_per_request, label)
  local seconds = summary.duration / 1e6
  local ok = summary.requests - (summary.errors.status or 0)
  io.write(string.format("requests: %d in %.1f s, %.0f req/s; non-2xx/3xx: %d; socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.requests, seconds, summary.requests / seconds, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  if items_per_request > 0 then
    io.write(string.format("%s: %.0f/s stored (2xx requests x %d)\n", label, ok * items_per_request / seconds, items_per_request))
  end
  io.write(string.format("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

return common
