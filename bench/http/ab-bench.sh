#!/usr/bin/env bash
# A/B of two builds of the app in the same hour on the same machine (the machines are shared and noisy: a ratio of runs
# side by side means more than one absolute figure). Usage: bench/http/ab-bench.sh DIR_A DIR_B [ROUNDS]
# DIR_A and DIR_B are checkouts of this repository (e.g. `git worktree add /tmp/a <commit>`); each is built in Release.
# To compare one build with itself under other settings, pass a symlink to it as DIR_B and set B_ENV.
#   1. import of ml-latest-small into a fresh Azurite on disk, A then B, ROUNDS times (/usr/bin/time)   target <= 30 s
#   2. one Azurite in memory with ml-latest-small imported and a model trained; then, A, B, A, B ... each app in turn:
#      GET /api/rest/v1/movies?search=star&limit=10, 64 connections             target >= 15,000 req/s, p99 <= 10 ms
#      GET /api/rest/v1/user/{id}/recommended-movies?n=10, 64 connections        target >= 8,000 req/s, p99 <= 15 ms
#      POST /api/rest/v1/ratings paced at 500/s, 32 connections, 64 new users    target p99 <= 100 ms
#      app RSS after the runs
# Needs wrk and ../shared/data/ml-latest-small (or $MOVIERECS_DATA). Env: DURATION (default 20s), B_ENV (extra
# environment for B's app, e.g. "DOTNET_gcServer=1" to compare a GC mode), IMPORT=0 to skip part 1. Ports: Azurite 20050-20055, app 7085.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); rounds=${3:-2}
data=${MOVIERECS_DATA:-$here/../../../shared/data/ml-latest-small}
duration=${DURATION:-20s}
url=http://127.0.0.1:7085
azurite_bin=$here/../../tools/azurite/node_modules/.bin/azurite
[ -x "$azurite_bin" ] || (cd "$here/../../tools/azurite" && npm ci --no-audit --no-fund)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
conn() { echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$(($1 + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$(($1 + 2))/devstoreaccount1;"; }
for dir in "$a" "$b"; do
  [ "$dir" = "$b" ] && [ "$(cd "$a" && pwd -P)" = "$(cd "$b" && pwd -P)" ] && break   # one build compared with itself (B_ENV)
  dotnet build -c Release "$dir/src/MovieRecs.Functions" -v q --nologo >/dev/null
  dotnet build -c Release "$dir/src/MovieRecs.Cli" -v q --nologo >/dev/null
done
name() { [ "$1" = "$a" ] && echo "A" || echo "B"; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
start_azurite() {   # port [--inMemoryPersistence | --location DIR]
  "$azurite_bin" --silent --disableTelemetry --blobPort "$1" --queuePort $(($1 + 1)) --tablePort $(($1 + 2)) "${@:2}" >/dev/null 2>&1 &
  pids+=($!); sleep 3
}

echo "== 1. import of $data (Azurite on disk), $rounds rounds of A then B; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  [ "${IMPORT:-1}" = 0 ] && break
  for dir in "$a" "$b"; do
    mkdir -p "$work/import-$round-$(name "$dir")"
    start_azurite 20050 --location "$work/import-$round-$(name "$dir")"
    printf "%s round %d: " "$(name "$dir")" "$round"
    /usr/bin/time -f "wall %e s, CPU user %U s sys %S s, peak RSS %M KB" \
      dotnet "$dir/src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll" import --source "$data" --connection "$(conn 20050)" 2>&1 >/dev/null | tail -1
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
  done
done

echo
echo "== 2. serving: one Azurite in memory, ml-latest-small imported and trained (with B's CLI)"
start_azurite 20053 --inMemoryPersistence
dotnet "$b/src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll" import --source "$data" --connection "$(conn 20053)" | tail -1
dotnet "$b/src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll" train --connection "$(conn 20053)" | tail -1
tail -n +2 "$data/movies.csv" | cut -d, -f1 > "$work/movies.txt"

run_wrk() {   # label connections script args... (RATE from the environment)
  local label=$1 connections=$2 script=$3; shift 3
  wrk -t2 -c"$connections" -d5s --timeout 10s -s "$here/$script" $url -- "$@" >/dev/null   # warm-up
  printf "   %-22s " "$label"
  wrk -t2 -c"$connections" -d"$duration" --timeout 10s --latency -s "$here/$script" $url -- "$@" | grep -E '^requests:|^latency' | tr '\n' ' '
  echo
}
for round in $(seq "$rounds"); do
  for dir in "$a" "$b"; do
    extra=()
    [ "$dir" = "$b" ] && [ -n "${B_ENV:-}" ] && read -r -a extra <<< "$B_ENV"
    env "${extra[@]}" AzureWebJobsStorage="$(conn 20053)" ASPNETCORE_URLS=$url ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=false \
      Logging__LogLevel__Default=Warning dotnet "$dir/src/MovieRecs.Functions/bin/Release/net10.0/MovieRecs.Functions.dll" >"$work/app.log" 2>&1 &
    app=$!; pids+=($app)
    until curl -sf "$url/api/rest/v1/user/1/recommended-movies?n=10" | grep -q '"model_version":"'; do sleep 0.5; done
    first=$(curl -sf -X POST $url/api/users | grep -oE '[0-9]+' | head -1)
    for _ in $(seq 63); do curl -sf -X POST $url/api/users >/dev/null; done
    echo "$(name "$dir") round $round (load average $(cut -d' ' -f1 /proc/loadavg)):"
    run_wrk "search" 64 search.lua
    run_wrk "recommended-movies" 64 recommended-movies.lua 1 610
    RATE=500 run_wrk "ratings paced 500/s" 32 post-rating.lua "$first" 64 "$work/movies.txt"
    echo "   RSS $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MB, peak $(( $(awk '/VmHWM/ {print $2}' /proc/$app/status) / 1024 )) MB"
    kill "$app"; wait "$app" 2>/dev/null || true; unset 'pids[-1]'
  done
done
