#!/usr/bin/env bash
# Load test of GET /next, POST /score and POST /sessions/{id}/tokens on loopback, with wrk (Debian: apt-get install -y wrk).
#
# Starts the API on 127.0.0.1:$PORT with the model given (or RnnLm__ModelPath, or models/brown-default.rnnlm),
# waits for /health/ready, warms up ($WARMUP flat out on each endpoint, 15 s: with 5 s the first paced run still met the
# runtime tiering up the LSTM path, p99 26-30 ms against 2 ms after 15 s), then runs for each endpoint:
#   paced  $RATE requests/s over $PACED_CONNECTIONS connections: wrk has no constant-rate mode, so wrk.lua schedules
#          each request in a slot 1/RATE apart; unlike wrk2 it does not correct coordinated omission (latency is
#          measured from the actual send). The summary shows the rate reached.
#   max    as many requests/s as $MAX_CONNECTIONS connections get
# Every run is bounded by $DURATION and by $MAX_REQUESTS requests (a run that reaches the cap still divides by $DURATION:
# its req/s is then a floor, and the summary says so). Prints a summary and stops the API.
# The sessions scenario first creates $SESSIONS sessions (fresh ones for each run), then each request adds one token to
# one of them, the sessions in turn, each reading the tokens of $SESSION_TOKENS over and over (sentences ended by </s>).
# $SCENARIOS picks the scenarios (default: next score sessions).
# With WITH_JOB=1 it measures GET /next instead with and without a training job running in the same process: the
# paced and max runs first idle, then again while a Brown job ($JOB_SETTINGS) trains, after which the job is cancelled.
#
#   deploy/load/run.sh [model.rnnlm]
#   RATE=500 DURATION=30s deploy/load/run.sh /tmp/model.rnnlm
#   WITH_JOB=1 deploy/load/run.sh
#   SCENARIOS=sessions deploy/load/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-5099}
RATE=${RATE:-1000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-15s}
MAX_REQUESTS=${MAX_REQUESTS:-2000000}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-16}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-16}
THREADS=${THREADS:-1}
REQUEST_LOGGING=${REQUEST_LOGGING:-on}
WITH_JOB=${WITH_JOB:-0}
JOB_SETTINGS=${JOB_SETTINGS:-'{"name":"load test","corpus":"brown","threads":1}'}
MODEL=${1:-${RnnLm__ModelPath:-models/brown-default.rnnlm}}
BASE="http://127.0.0.1:$PORT"
NEXT_PATH="/next?prefix=The%20jury&top=10"
SCENARIOS=${SCENARIOS:-next score sessions}
SESSIONS=${SESSIONS:-32}
SESSION_TOKENS=${SESSION_TOKENS:-'The jury said it did find no evidence that any irregularities took place . </s>'}
HERE=deploy/load
LOG=$(mktemp -t rnnlm-load-api.XXXXXX.log)
DATA=$(mktemp -d -t rnnlm-load-data.XXXXXX)
KEY="load-$RANDOM$RANDOM"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
[ -f "$MODEL" ] || { echo "model file '$MODEL' does not exist; pass one as the first argument" >&2; exit 2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    dotnet build src/RnnLm.Api -c Release -v quiet -nologo >/dev/null
fi

settings=(RnnLm__ModelPath="$(realpath "$MODEL")" RnnLm__DataDirectory="$DATA" RnnLm__ApiKey="$KEY" ASPNETCORE_ENVIRONMENT=Production)
if [ "$REQUEST_LOGGING" = off ]; then
    # Request lines are logged at Information: raising this category's level silences them.
    settings+=("Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware=Warning")
fi
# shellcheck source=deploy/load/api.sh
. "$HERE/api.sh"
start_api "${settings[@]}"

# memory LABEL: the service's resident set (VmRSS) now and its peak so far (VmHWM), in MB, appended to $MEMORY.
MEMORY=$(mktemp -t rnnlm-load-memory.XXXXXX)
memory() {
    awk -v label="$1" '/^VmRSS:/ {rss = $2} /^VmHWM:/ {hwm = $2} END {printf "%s %.0f %.0f\n", label, rss / 1024, hwm / 1024}' \
        "/proc/$API_PID/status" >>"$MEMORY"
}

# run LABEL PATH BODY RATE CONNECTIONS DURATION
run() {
    WRK_LABEL=$1 WRK_BODY=$3 WRK_RATE=$4 WRK_THREADS=$THREADS WRK_MAX_REQUESTS=$MAX_REQUESTS \
        wrk -t"$THREADS" -c"$5" -d"$6" --timeout 5s -s "$HERE/wrk.lua" "$BASE$2" | grep '^RESULT' || true
    memory "after-$1"
}
memory after-start

# sessions_run LABEL RATE CONNECTIONS DURATION: $SESSIONS new sessions, then one token a request.
sessions_run() {
    local ids=() id
    for _ in $(seq 1 "$SESSIONS"); do
        id=$(curl -s -X POST "$BASE/sessions" -H 'Content-Type: application/json' -d '{"top":10}' | grep -oE '"id":"[^"]+"' | cut -d'"' -f4)
        [ -n "$id" ] || { echo "no session was created" >&2; return 1; }
        ids+=("$id")
    done
    WRK_SESSIONS="${ids[*]}" WRK_TOKENS=$SESSION_TOKENS run "$1" /sessions "" "$2" "$3" "$4"
    for id in "${ids[@]}"; do curl -s -X DELETE "$BASE/sessions/$id" >/dev/null; done
    memory "$1-ended" # the sessions keep the tokens they were fed (within RnnLm:MaxSessionBytes) until they end
}

wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }

model_json=$(curl -s "$BASE/model")
field() { grep -oE "\"$1\":(\"[^\"]*\"|[^,}]*)" <<<"$model_json" | head -n 1 | cut -d: -f2- | tr -d '"'; }
echo "model:   $(field id) from $(realpath "$MODEL"): $(field architecture), |V| $(field vocabularySize), hidden $(field hidden), sha256 $(field sha256)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs; request logging $REQUEST_LOGGING"
if wants next || [ "$WITH_JOB" = 1 ]; then run warmup-next "$NEXT_PATH" "" 0 "$MAX_CONNECTIONS" "$WARMUP" >/dev/null; fi
if wants score; then run warmup-score /score "$HERE/score-body.json" 0 "$MAX_CONNECTIONS" "$WARMUP" >/dev/null; fi
if wants sessions; then sessions_run warmup-sessions 0 "$MAX_CONNECTIONS" "$WARMUP" >/dev/null; fi

if [ "$WITH_JOB" = 1 ]; then
    results=$(
        run "next-paced-$RATE" "$NEXT_PATH" "" "$RATE" "$PACED_CONNECTIONS" "$DURATION"
        run next-max "$NEXT_PATH" "" 0 "$MAX_CONNECTIONS" "$DURATION"
        job=$(curl -s -X POST "$BASE/jobs" -H 'Content-Type: application/json' -H "X-Api-Key: $KEY" -d "$JOB_SETTINGS" | grep -oE '"id":"[^"]+"' | cut -d'"' -f4)
        [ -n "$job" ] || { echo "the job was not accepted" >&2; exit 1; }
        for _ in $(seq 1 240); do
            state=$(curl -s "$BASE/jobs/$job")
            if grep -q '"status":"running"' <<<"$state" && grep -q '"progress":{"epoch"' <<<"$state"; then break; fi
            sleep 0.5
        done
        echo "job $job training: $(curl -s "$BASE/jobs/$job" | grep -oE '"settings":\{[^}]*\}')" >&2
        run "next-paced-$RATE-job" "$NEXT_PATH" "" "$RATE" "$PACED_CONNECTIONS" "$DURATION"
        run next-max-job "$NEXT_PATH" "" 0 "$MAX_CONNECTIONS" "$DURATION"
        echo "job $job status before cancelling: $(curl -s "$BASE/jobs/$job" | grep -oE '"status":"[a-z]+"|"wordsPerSecond":[0-9.]+' | head -n 2 | tr '\n' ' ')" >&2
        curl -s -X DELETE "$BASE/jobs/$job" -H "X-Api-Key: $KEY" >/dev/null
    )
else
    results=$(
        if wants next; then
            run "next-paced-$RATE" "$NEXT_PATH" "" "$RATE" "$PACED_CONNECTIONS" "$DURATION"
            run next-max "$NEXT_PATH" "" 0 "$MAX_CONNECTIONS" "$DURATION"
        fi
        if wants score; then
            run "score-paced-$RATE" /score "$HERE/score-body.json" "$RATE" "$PACED_CONNECTIONS" "$DURATION"
            run score-max /score "$HERE/score-body.json" 0 "$MAX_CONNECTIONS" "$DURATION"
        fi
        if wants sessions; then
            sessions_run "sessions-paced-$RATE" "$RATE" "$PACED_CONNECTIONS" "$DURATION"
            sessions_run sessions-max 0 "$MAX_CONNECTIONS" "$DURATION"
        fi
    )
fi

echo
printf '%-18s %10s %9s %9s %9s %9s %8s %8s\n' run requests req/s p50_ms p99_ms max_ms non2xx sockerr
echo "$results" | sed -E 's/RESULT ([^ ]+) requests=([^ ]+) seconds=[^ ]+ rps=([^ ]+) p50_ms=([^ ]+) p90_ms=[^ ]+ p99_ms=([^ ]+) p999_ms=[^ ]+ max_ms=([^ ]+) non2xx=([^ ]+) socket_errors=([^ ]+)/\1 \2 \3 \4 \5 \6 \7 \8/' |
    while read -r label requests rps p50 p99 max non2xx sockerr; do
        printf '%-18s %10s %9s %9s %9s %9s %8s %8s\n' "$label" "$requests" "$rps" "$p50" "$p99" "$max" "$non2xx" "$sockerr"
        if [ "$requests" -ge $((MAX_REQUESTS * 95 / 100)) ]; then
            echo "  ^ $label reached MAX_REQUESTS ($MAX_REQUESTS) before $DURATION: wrk divides by $DURATION, so its req/s is a floor; raise MAX_REQUESTS"
        fi
    done
echo
echo "GET $NEXT_PATH, POST /score with $HERE/score-body.json, POST /sessions/{id}/tokens with one token ($SESSIONS sessions in turn); paced runs: $PACED_CONNECTIONS connections, max runs: $MAX_CONNECTIONS; $THREADS wrk thread(s), $DURATION each."
echo "Paced runs schedule $RATE requests/s (wrk with a Lua scheduler, not wrk2): latencies are measured from each request's actual send."
echo "Service memory (MB; resident set after each run and the peak so far; runs after warm-up should not grow it):"
awk '{printf "  %-26s rss %5d  peak %5d\n", $1, $2, $3}' "$MEMORY"
rm -f "$MEMORY"
echo "Server 5xx responses during the runs: $(curl -s "$BASE/metrics" | awk '/^http_requests_received_total\{code="5/ {s += $2} END {print s + 0}')"
