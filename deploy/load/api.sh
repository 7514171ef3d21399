# Sourced by the load scripts (run from the repository root, with BASE, LOG and DATA set):
#   start_api ENV=VALUE...   starts the built API on $BASE with those environment settings, makes the script stop it and
#                            remove $DATA when it exits, and waits up to 60 s for /health/ready (exit 1 with its log if not).
start_api() {
    env "$@" dotnet src/RnnLm.Api/bin/Release/net10.0/RnnLm.Api.dll --urls "$BASE" --contentRoot "$PWD/src/RnnLm.Api" >"$LOG" 2>&1 &
    API_PID=$!
    trap 'kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
    for _ in $(seq 1 120); do
        if curl -sf "$BASE/health/ready" >/dev/null; then return 0; fi
        if ! kill -0 "$API_PID" 2>/dev/null; then echo "the API did not start:" >&2; cat "$LOG" >&2; exit 1; fi
        sleep 0.5
    done
    echo "the API was not ready after 60 s" >&2
    cat "$LOG" >&2
    exit 1
}
