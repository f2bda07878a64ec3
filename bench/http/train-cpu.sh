#!/usr/bin/env bash
# Training runs of one app start against an Azurite that already holds ml-latest-small (imported once, so A and B can
# alternate without an import each): RUNS runs as train-bench.sh does them (POST, poll the run, poll until served), and
# per run the CPU (user + sys) of the app, of Azurite and of the app's threads by name (/proc), so a warm run's
# CPU can be split into training (.NET_TP_Worker), JIT (.NET_Tiered_Com), GC (.NET_Server_GC, .NET_BGC).
# Usage: bench/http/train-cpu.sh APP_DLL [RUNS] [NAME=VALUE ...]   (the pairs go into the app's environment)
# Env: AZURITE_PORTS="blob queue table" of the running Azurite (default 20150 20151 20152), APP_PORT (default 7185).
set -uo pipefail
dll=$1; runs=${2:-4}; shift; shift || true
ports=(${AZURITE_PORTS:-20150 20151 20152})
url=http://127.0.0.1:${APP_PORT:-7185}
key=bench-key
conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"
work=$(mktemp -d)
env "$@" AzureWebJobsStorage="$conn" ASPNETCORE_URLS=$url ASPNETCORE_ENVIRONMENT=Production MovieRecs__SeedDemoData=false \
  MovieRecs__AdminKey=$key MovieRecs__Engine__QueuePollSeconds=0.5 MovieRecs__Engine__ModelPollSeconds=1 \
  Logging__LogLevel__Default=Warning dotnet "$dll" >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf $url/api/health >/dev/null; do kill -0 $app || { tail "$work/app.log"; exit 1; }; sleep 0.5; done
azurite=$(pgrep -f "azurite.*--blobPort ${ports[0]}" | head -1)
cpu() { awk '{print ($14 + $15) / 100}' /proc/$1/stat; }
threads() { for t in /proc/$app/task/*; do echo "${t##*/} $(tr ' ' '_' < $t/comm 2>/dev/null) $(sed 's/.*) //' $t/stat 2>/dev/null | awk '{print ($12 + $13) / 100}')"; done 2>/dev/null; }
now() { date +%s.%N; }
sleep 2
for run in $(seq 1 "$runs"); do
  threads >"$work/before"; c0=$(cpu $app); a0=$(cpu $azurite); load=$(cut -d' ' -f1 /proc/loadavg); t0=$(now)
  location=$(curl -sf -X POST -H "x-functions-key: $key" -D - -o /dev/null $url/api/rest/v1/recommendation-engine | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
  until curl -sf "$url$location" | grep -q '"status":"succeeded"'; do
    curl -sf "$url$location" | grep -q '"status":"failed"' && { curl -s "$url$location"; exit 1; }
    sleep 0.2
  done
  version=$(curl -sf "$url$location" | grep -oE '"model_version":"[^"]+"' | cut -d'"' -f4)
  run_seconds=$(curl -sf "$url$location" | grep -oE '"duration_seconds":[0-9.]+' | cut -d: -f2) # the run's start to finish
  until curl -sf "$url/api/rest/v1/user/1/recommended-movies?n=10" | grep -q "\"model_version\":\"$version\""; do sleep 0.1; done
  t2=$(now); c1=$(cpu $app); a1=$(cpu $azurite); threads >"$work/after"
  stages=$(curl -sf "$url/api/rest/v1/recommendation-engine/models/$version" | grep -oE '"(read|train|cluster|ranker|duration)_seconds":[0-9.]+|"model_sha256":"[0-9a-f]{12}' | sed 's/"//g; s/_seconds//' | tr '\n' ' ')
  printf "%s run %d (load %s): POST -> served %.1f s, run start to finish %.2f s, app cpu %.2f s, azurite cpu %.2f s; %s\n" "$(date -u +%H:%M:%S)" "$run" "$load" \
    "$(echo "$t2 - $t0" | bc)" "$run_seconds" "$(echo "$c1 - $c0" | bc)" "$(echo "$a1 - $a0" | bc)" "$stages"
  awk 'NR == FNR {b[$1] = $3; next} {s[$2] += $3 - ($1 in b ? b[$1] : 0)} END {for (k in s) if (s[k] >= 0.01) printf "%s %.2f\n", k, s[k]}' \
    "$work/before" "$work/after" | sort -k2 -nr | tr '\n' ' ' | sed 's/^/    threads: /; s/$/\n/'
  sleep 1
done
