#!/usr/bin/env bash
# One POST /rescore of 1,000 hypotheses (100 Brown test sentences, 10 hypotheses each: the synthetic n-best of
# `rnnlm bench --rescore`), timed end to end with curl on loopback: $WARMUP requests first, then $REQUESTS timed ones,
# one at a time. Prints the minimum, median and maximum seconds and stops the API. Needs only curl.
#
#   deploy/load/rescore.sh [model.rnnlm]
#   REQUESTS=50 deploy/load/rescore.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-5098}
WARMUP=${WARMUP:-10}
REQUESTS=${REQUESTS:-20}
MODEL=${1:-${RnnLm__ModelPath:-models/brown-default.rnnlm}}
BASE="http://127.0.0.1:$PORT"
LOG=$(mktemp -t rnnlm-rescore-api.XXXXXX.log)
DATA=$(mktemp -d -t rnnlm-rescore-data.XXXXXX)
BODY="$DATA/request.json"

[ -f "$MODEL" ] || { echo "model file '$MODEL' does not exist; pass one as the first argument" >&2; exit 2; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    dotnet build src/RnnLm.Api -c Release -v quiet -nologo >/dev/null
    dotnet build src/RnnLm.Cli -c Release -v quiet -nologo >/dev/null
fi

dotnet src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll bench --rescore --model "$MODEL" --utterances 100 --hypotheses 10 --threads 1 \
    --request-out "$BODY" --json >/dev/null
# shellcheck source=deploy/load/api.sh
. deploy/load/api.sh
start_api RnnLm__ModelPath="$(realpath "$MODEL")" RnnLm__DataDirectory="$DATA" ASPNETCORE_ENVIRONMENT=Production

post() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "$BASE/rescore" -H 'Content-Type: application/json' --data-binary "@$BODY"; }
for _ in $(seq 1 "$WARMUP"); do post >/dev/null; done
times=$(for _ in $(seq 1 "$REQUESTS"); do post; done)
if grep -qv '^200 ' <<<"$times"; then echo "a request failed: $times" >&2; exit 1; fi
sort -n -k2 <<<"$times" | awk -v n="$REQUESTS" '{ t[NR] = $2 } END {
    printf "POST /rescore, 1,000 hypotheses (%d requests after warm-up): min %.3f s, median %.3f s, max %.3f s\n", n, t[1], t[int((n + 1) / 2)], t[n] }'
