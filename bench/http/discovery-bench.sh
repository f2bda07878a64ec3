#!/usr/bin/env bash
# Issue-4 and issue-5 serving benchmarks on ml-latest-small, app (Release) and Azurite on this machine, loopback:
#   1. training through storage (`movierecs train`: rating log replay, hold-out evaluation, model, clusters)
#   2. GET /api/rest/v1/user/{id}/recommended-movies?n=10, 64 connections       (target >= 8,000 req/s, p99 <= 15 ms)
#   3. GET /api/rest/v1/movies/{id}/similar?limit=10 (hybrid), 64 connections    (target p99 <= 5 ms)
#   4. GET /api/users/{id}/recommendations?strategy=genre-weighted, 64 connections (target p99 <= 10 ms)
# Needs wrk (apt-get install wrk) and ../shared/data/ml-latest-small (or $MOVIERECS_DATA). Env: DURATION (default 30s).
# Azurite runs in memory (these runs only read storage). Ports: Azurite 20020-20022, app 7083.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=bench/http
data=${MOVIERECS_DATA:-../shared/data/ml-latest-small}
duration=${DURATION:-30s}
ports=(20020 20021 20022)
url=http://127.0.0.1:7083
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
[ -f "$data/ratings.csv" ] || { echo "ml-latest-small not found at $data"; exit 1; }

dotnet build -c Release src/MovieRecs.Functions -v q --nologo >/dev/null
dotnet build -c Release src/MovieRecs.Cli -v q --nologo >/dev/null
[ -x tools/azurite/node_modules/.bin/azurite ] || (cd tools/azurite && npm ci --no-audit --no-fund)
cli() { dotnet src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll "$@"; }

work=$(mktemp -d)
tools/azurite/node_modules/.bin/azurite --silent --disableTelemetry --inMemoryPersistence \
  --blobPort ${ports[0]} --queuePort ${ports[1]} --tablePort ${ports[2]} >/dev/null 2>&1 &
azurite=$!
app=
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$azurite" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sleep 3

echo "== import"
cli import --source "$data" --connection "$conn" | tail -1
echo "== train from storage: /usr/bin/time -v movierecs train --connection ..."
/usr/bin/time -v dotnet src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll train --connection "$conn" 2>"$work/time.txt" | tail -3
grep -E "Elapsed \(wall|Maximum resident" "$work/time.txt"

AzureWebJobsStorage="$conn" ASPNETCORE_URLS=$url ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=false \
  Logging__LogLevel__Default=Warning dotnet src/MovieRecs.Functions/bin/Release/net10.0/MovieRecs.Functions.dll >"$work/app.log" 2>&1 &
app=$!
until curl -sf "$url/api/rest/v1/user/1/recommended-movies?n=10" | grep -q '"model_version":"'; do sleep 0.5; done
echo "the model's timings (seconds): $(curl -sf "$url/api/rest/v1/recommendation-engine/models" | grep -oE '"(read|evaluation|train|cluster|total)_seconds":[0-9.]+|"cluster_k":[0-9]+' | head -6 | tr '\n' ' ')"
tail -n +2 "$data/movies.csv" | cut -d, -f1 > "$work/movies.txt"

run() {   # name script args...
  local name=$1 script=$2; shift 2
  wrk -t2 -c64 -d5s -s "$here/$script" $url -- "$@" >/dev/null   # warm-up
  echo
  echo "== $name: wrk -t2 -c64 -d$duration --latency -s $here/$script $url -- $*"
  wrk -t2 -c64 -d"$duration" --latency -s "$here/$script" $url -- "$@" | sed -n '/^requests:/,$p'
  echo "load average $(cut -d' ' -f1 /proc/loadavg)"
}
run "GET /api/rest/v1/user/{id}/recommended-movies?n=10" recommended-movies.lua 1 610
[ -f "$here/similar.lua" ] && run "GET /api/rest/v1/movies/{id}/similar?limit=10" similar.lua "$work/movies.txt"
run "GET /api/users/{id}/recommendations?strategy=genre-weighted" genre-weighted.lua 1 610
echo
echo "app RSS: $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MB, peak $(( $(awk '/VmHWM/ {print $2}' /proc/$app/status) / 1024 )) MB"
