#!/usr/bin/env bash
# Issue-2 benchmarks: ml-latest-small import time into Azurite, search throughput/latency under wrk,
# and the app's memory with that catalog loaded. Needs wrk (apt-get install wrk) and the data in
# ../shared/data/ml-latest-small. Uses its own Azurite on ports 20000-20002 and the app on 7081.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${MOVIERECS_DATA:-../shared/data/ml-latest-small}
ports=(20000 20001 20002)
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"

dotnet build -c Release src/MovieRecs.Cli -v q --nologo >/dev/null
dotnet build -c Release src/MovieRecs.Functions -v q --nologo >/dev/null
[ -x tools/azurite/node_modules/.bin/azurite ] || (cd tools/azurite && npm ci --no-audit --no-fund)

location=$(mktemp -d)
tools/azurite/node_modules/.bin/azurite --silent --disableTelemetry --location "$location" \
  --blobPort ${ports[0]} --queuePort ${ports[1]} --tablePort ${ports[2]} >/dev/null 2>&1 &
azurite=$!
app=
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$azurite" 2>/dev/null; wait 2>/dev/null; rm -rf "$location"; }
trap cleanup EXIT
sleep 3

echo "== import of $data into Azurite"
/usr/bin/time -f "wall %e s, peak RSS %M KB" dotnet src/MovieRecs.Cli/bin/Release/net10.0/movierecs.dll import --source "$data" --connection "$conn" | tail -3

echo "== app (Release) with the imported catalog"
AzureWebJobsStorage="$conn" ASPNETCORE_URLS=http://127.0.0.1:7081 ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=false \
  dotnet src/MovieRecs.Functions/bin/Release/net10.0/MovieRecs.Functions.dll >/dev/null 2>&1 &
app=$!
until curl -sf http://127.0.0.1:7081/api/health >/dev/null; do sleep 0.5; done
curl -s http://127.0.0.1:7081/api/health; echo
echo "RSS after catalog load: $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MB"

url="http://127.0.0.1:7081/api/rest/v1/movies?search=star&limit=10"
wrk -t2 -c64 -d5s "$url" >/dev/null   # warm-up
echo "== wrk -t2 -c64 -d30s --latency $url"
wrk -t2 -c64 -d30s --latency "$url"
echo "RSS after load: $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MB, peak $(( $(awk '/VmHWM/ {print $2}' /proc/$app/status) / 1024 )) MB"
