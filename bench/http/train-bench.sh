#!/usr/bin/env bash
# Issue-4 pipeline benchmark: POST /api/rest/v1/recommendation-engine to the new model being served, on ml-latest-small
# in Azurite (disk persistence, as `dotnet run` uses), three runs back to back (target: 20 s each).
# Per run: POST (admin key) -> poll the run's Location until "succeeded" -> poll /user/1/recommended-movies until it
# shows the run's model version. Prints both times and the run's own stage timings from its manifest.
# Needs ../shared/data/ml-latest-small (or $MOVIERECS_DATA). Ports: Azurite 20040-20042, app 7084 (or AZURITE_PORTS="a b c",
# APP_PORT). RUNS=n runs instead of 3; APP_DLL=path serves that build of the app instead of building this one (A/B).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${MOVIERECS_DATA:-../shared/data/ml-latest-small}
ports=(${AZURITE_PORTS:-20040 20041 20042})
url=http://127.0.0.1:${APP_PORT:-7084}
key=bench-key
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"
app_dll=${APP_DLL:-src/MovieRecs.Functions/bin/Release/net10.0/MovieRecs.Functions.dll}
[ -n "${APP_DLL:-}" ] || dotnet build -c Release src/MovieRecs.Functions -v q --nologo >/dev/null
dotnet build -c Release src/MovieRecs.Cli -v q --nologo >/dev/null
[ -x tools/azurite/node_modules/.bin/azurite ] || (cd tools/azurite && npm ci --no-audit --no-fund)

work=$(mktemp -d)
tools/azurite/node_modules/.bin/azurite --silent --disableTelemetry --location "$work/azurite" \
  --blobPort ${ports[0]} --queuePort ${ports[1]} --tablePort ${ports[2]} >/dev/null 2>&1 &
azurite=$!
app=
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$azurite" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sleep 3
dotnet src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll import --source "$data" --connection "$conn" | grep -a Imported || true

AzureWebJobsStorage="$conn" ASPNETCORE_URLS=$url ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=false \
  MovieRecs__AdminKey=$key MovieRecs__Engine__QueuePollSeconds=0.5 MovieRecs__Engine__ModelPollSeconds=1 \
  Logging__LogLevel__Default=Warning dotnet "$app_dll" >"$work/app.log" 2>&1 &
app=$!
until curl -sf $url/api/health >/dev/null; do sleep 0.5; done

now() { date +%s.%N; }
for run in $(seq 1 "${RUNS:-3}"); do
  t0=$(now)
  location=$(curl -sf -X POST -H "x-functions-key: $key" -D - -o /dev/null $url/api/rest/v1/recommendation-engine | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
  until curl -sf "$url$location" | grep -q '"status":"succeeded"'; do
    curl -sf "$url$location" | grep -q '"status":"failed"' && { curl -s "$url$location"; exit 1; }
    sleep 0.2
  done
  t1=$(now)
  version=$(curl -sf "$url$location" | grep -oE '"model_version":"[^"]+"' | cut -d'"' -f4)
  # the run's own start to finish (reading, training, writing the version, activating); the manifest's duration below
  # ends before the version is written
  run_seconds=$(curl -sf "$url$location" | grep -oE '"duration_seconds":[0-9.]+' | cut -d: -f2)
  until curl -sf "$url/api/rest/v1/user/1/recommended-movies?n=10" | grep -q "\"model_version\":\"$version\""; do sleep 0.1; done
  t2=$(now)
  stages=$(curl -sf "$url/api/rest/v1/recommendation-engine/models/$version" | grep -oE '"(read|evaluation|train|cluster|ranker|duration)_seconds":[0-9.]+' | sed 's/"//g; s/_seconds//' | tr '\n' ' ')
  printf "run %d: POST -> succeeded %.1f s, POST -> served %.1f s; run start to finish %.2f s; manifest stages (s): %s\n" "$run" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)" "$run_seconds" "$stages"
done
