#!/usr/bin/env bash
# Issue-3 benchmarks: rating writes and reads under wrk, app (Release) and Azurite on this machine, loopback.
#   1. POST /api/users/{id}/ratings, 20 ratings per request, 32 connections   (target >= 1,000 ratings/s, p99 <= 150 ms)
#   2. POST /api/rest/v1/ratings, one rating per request, 32 connections       (target >= 500 ratings/s, p99 <= 100 ms)
#   Writes run twice: closed loop (the maximum rate; latency is then just 32 / rate) and paced at the target rate
#   (env RATE in bench/http/common.lua: a fixed send schedule), whose latency is the one the targets bound.
#   3. GET /api/users/{id}/ratings, users with 200 ratings, 64 connections    (target p99 <= 20 ms)
# Data: ml-latest-small imported with the CLI when found ($MOVIERECS_DATA or ../shared/data/ml-latest-small), movies
# drawn in proportion to their MovieLens rating counts (popular movies get more ratings, as in real use);
# otherwise the demo catalog, movies drawn uniformly. Azurite persists to a temp folder (as `dotnet run` does)
# unless AZURITE_IN_MEMORY=1.
# Needs wrk (apt-get install wrk). Env: DURATION (default 30s), DATA=demo to force the demo catalog,
# AZURITE_IN_MEMORY=1 for --inMemoryPersistence (no JSON file rewritten every few seconds), ORDER=closed-first
# (see below).
# Ports: Azurite 20010-20012, app 7082.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/http
data=${MOVIERECS_DATA:-../shared/data/ml-latest-small}
duration=${DURATION:-30s}
ports=(20010 20011 20012)
url=http://127.0.0.1:7082
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

dotnet build -c Release src/MovieRecs.Functions -v q --nologo >/dev/null
[ -x tools/azurite/node_modules/.bin/azurite ] || (cd tools/azurite && npm ci --no-audit --no-fund)

work=$(mktemp -d)
if [ "${AZURITE_IN_MEMORY:-0}" = 1 ]; then storage=(--inMemoryPersistence); else storage=(--location "$work/azurite"); fi
tools/azurite/node_modules/.bin/azurite --silent --disableTelemetry "${storage[@]}" \
  --blobPort ${ports[0]} --queuePort ${ports[1]} --tablePort ${ports[2]} >/dev/null 2>&1 &
azurite=$!
azurite_node=$azurite
app=
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$azurite" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sleep 3

movies=$work/movies.txt
seed=true
if [ "${DATA:-}" != demo ] && [ -f "$data/ratings.csv" ]; then
  echo "== importing $data"
  dotnet build -c Release src/MovieRecs.Cli -v q --nologo >/dev/null
  dotnet src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll import --source "$data" --connection "$conn" | tail -1
  tail -n +2 "$data/ratings.csv" | cut -d, -f2 > "$movies"   # one line per rating: popularity-weighted draws
  seed=false
else
  echo "== demo catalog"
  seq 1 512 > "$movies"
fi

AzureWebJobsStorage="$conn" ASPNETCORE_URLS=$url ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=$seed \
  Logging__LogLevel__Default=Warning dotnet src/MovieRecs.Functions/bin/Release/net10.0/MovieRecs.Functions.dll >"$work/app.log" 2>&1 &
app=$!
until curl -sf $url/api/health >/dev/null; do sleep 0.5; done

# Users: $1 of them, ids contiguous (one instance hands out its blocks in order). Prints "first count".
create_users() {
  local ids
  ids=$(for _ in $(seq "$1"); do curl -sf -X POST $url/api/users; echo; done | sed -E 's/[^0-9]//g')
  local first last
  first=$(echo "$ids" | head -1); last=$(echo "$ids" | tail -1)
  [ $((last - first + 1)) -eq "$1" ] || { echo "user ids not contiguous: $first..$last" >&2; exit 1; }
  echo "$first $1"
}

# Each write run gets 64 users of its own (new users, as sign-ups would be), so its figures do not depend on what
# the runs before it wrote: a user's rows share a partition, which the emulator scans on every insert.
write_users=()
for _ in 1 2 3 4; do write_users+=("$(create_users 64)"); done
read -r read_first read_count < <(create_users 64)
echo "== giving users $read_first..$((read_first + read_count - 1)) 200 ratings each (10 requests of 20)"
# 200 distinct movies per user: consecutive ids of the distinct-movie list from a per-user offset.
sort -nu "$movies" | awk -v first="$read_first" -v count="$read_count" '
  { ids[n++] = $1 }
  END {
    for (u = first; u < first + count; u++)
      for (b = 0; b < 10; b++) {
        body = "{\"ratings\":["
        for (k = 0; k < 20; k++)
          body = body (k ? "," : "") sprintf("{\"movie_id\":%d,\"rating\":%.1f}", ids[(u * 37 + b * 20 + k) % n], ((u + k) % 10 + 1) / 2)
        print u " " body "]}"
      }
  }' > "$work/prepare.txt"
export url
xargs -P 8 -d '\n' -n 1 sh -c 'curl -sf -X POST "$url/api/users/${0%% *}/ratings" -H "Content-Type: application/json" -d "${0#* }" >/dev/null' < "$work/prepare.txt"
n=$(curl -sf "$url/api/users/$read_first/ratings" | grep -o '"movie_id"' | wc -l)
[ "$n" -eq 200 ] || { echo "user $read_first has $n ratings, not 200" >&2; exit 1; }
echo "users for the write runs (first, count): ${write_users[*]}; users with 200 ratings: $read_first..$((read_first + read_count - 1))"

cpu() { awk '{print $14 + $15}' /proc/"$1"/stat; }   # utime + stime, clock ticks
run() {   # name connections script first_user user_count [requests/s: paced]
  local name=$1 connections=$2 script=$3 first=$4 count=$5 rate=${6:-}
  RATE=$rate wrk -t2 -c"$connections" -d5s -s "$here/$script" $url -- "$first" "$count" "$movies" >/dev/null   # warm-up (paced runs at their rate)
  echo
  echo "== $name: ${rate:+RATE=$rate }wrk -t2 -c$connections -d$duration --timeout 10s --latency -s $here/$script $url -- $first $count movies.txt"
  local a0 n0 t0
  a0=$(cpu $app); n0=$(cpu $azurite_node); t0=$(date +%s.%N)
  RATE=$rate wrk -t2 -c"$connections" -d"$duration" --timeout 10s --latency -s "$here/$script" $url -- "$first" "$count" "$movies" | sed -n '/^requests:/,$p'
  awk -v a=$(( $(cpu $app) - a0 )) -v n=$(( $(cpu $azurite_node) - n0 )) -v t="$(echo "$(date +%s.%N) - $t0" | bc)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "CPU: app %.0f%%, Azurite %.0f%% of one core (%d cores here; load average %s)\n", 100 * a / hz / t, 100 * n / hz / t, '"$(nproc)"', "'"$(cut -d' ' -f1 /proc/loadavg)"'" }'
}

# Paced at the targets' rates first (the latency the targets bound, on the imported data), then closed loop (as fast
# as answers come: the maximum rate). In that order because a closed-loop batch run adds ~70,000 ratings and as many
# aggregate rows in 25 s, and the emulator's pauses grow with what it holds (its major GC marks every row: ~400 ms
# with ml-latest-small plus those runs' writes, traced with node --trace-gc). ORDER=closed-first for the other order.
if [ "${ORDER:-}" = closed-first ]; then
  run "POST /api/users/{id}/ratings (20 per request)" 32 post-user-ratings.lua ${write_users[0]}
  run "POST /api/users/{id}/ratings (20 per request), paced at 1,000 ratings/s" 32 post-user-ratings.lua ${write_users[1]} 50
  run "POST /api/rest/v1/ratings" 32 post-rating.lua ${write_users[2]}
  run "POST /api/rest/v1/ratings, paced at 500 ratings/s" 32 post-rating.lua ${write_users[3]} 500
else
  run "POST /api/users/{id}/ratings (20 per request), paced at 1,000 ratings/s" 32 post-user-ratings.lua ${write_users[1]} 50
  run "POST /api/rest/v1/ratings, paced at 500 ratings/s" 32 post-rating.lua ${write_users[3]} 500
  run "POST /api/users/{id}/ratings (20 per request)" 32 post-user-ratings.lua ${write_users[0]}
  run "POST /api/rest/v1/ratings" 32 post-rating.lua ${write_users[2]}
fi
run "GET /api/users/{id}/ratings (200 ratings each)" 64 get-user-ratings.lua "$read_first" "$read_count"

echo
echo "app RSS: $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MB, peak $(( $(awk '/VmHWM/ {print $2}' /proc/$app/status) / 1024 )) MB"
grep -iE 'warn|fail|error' "$work/app.log" | sort | uniq -c | sort -rn | head -5 || true
