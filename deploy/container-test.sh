#!/usr/bin/env bash
# End-to-end test of the container image with podman: build, run as uid 10001 on loopback, health check, scoring,
# prediction, a tiny training job, and a restart on the same named volume that must keep jobs and models.
# Removes everything it started on exit. Prints a PASS or FAIL line per check and "N passed, N failed" last.
#
#   deploy/container-test.sh
#   CONTAINER_TEST_SKIP_JOBS=1 deploy/container-test.sh     # no training job (a build without the jobs API)
#
# Settings (environment):
#   RNNLM_SHARED_DIR            folder holding containers/standin-images.sh (default: ../shared beside the repository,
#                               then /work/shared)
#   SDK_IMAGE, RUNTIME_IMAGE    base images; when both are set the stand-ins are not built (e.g. the real mcr images)
#   IMAGE                       tag to build (default localhost/rnnlm:container-test)
#   CONTAINER_TEST_NETWORK      "publish" (default: -p 127.0.0.1:PORT:8080) or "host" (--network=host, the app
#                               listening on 127.0.0.1:PORT), for machines where podman's bridge network does not work
#   CONTAINER_TEST_SKIP_JOBS=1  skip the training job and the checks that depend on it
#   CONTAINER_TEST_KEEP_IMAGE=1 keep the image afterwards (it is removed by default; the layer cache stays)
#   READY_TIMEOUT (60), JOB_TIMEOUT (120)  seconds
# shellcheck disable=SC2015  # "test && pass || fail": pass only echoes, so it never fails
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

IMAGE=${IMAGE:-localhost/rnnlm:container-test}
NETWORK_MODE=${CONTAINER_TEST_NETWORK:-publish}
SKIP_JOBS=${CONTAINER_TEST_SKIP_JOBS:-0}
READY_TIMEOUT=${READY_TIMEOUT:-60}
JOB_TIMEOUT=${JOB_TIMEOUT:-120}
API_KEY="container-test-$RANDOM$RANDOM"
tag="rnnlm-ctest-$$"
volume="$tag-data"
containers=()
passed=0
failed=0
work=$(mktemp -d -t rnnlm-ctest.XXXXXX)

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
summary() { echo "wall time ${SECONDS}s"; echo "container-test: $passed passed, $failed failed"; }
# A failure the later checks cannot go on from: show the container's last log lines, then stop.
die() {
  fail "$*"
  if ((${#containers[@]})); then
    echo "--- last log lines of ${containers[-1]}"
    podman logs --tail 30 "${containers[-1]}" 2>&1 || true
  fi
  exit 1
}

cleanup() {
  local status=$?
  set +e
  for c in "${containers[@]}"; do podman rm -f -v "$c" >/dev/null 2>&1; done
  podman volume rm -f "$volume" >/dev/null 2>&1
  [ "${CONTAINER_TEST_KEEP_IMAGE:-0}" = 1 ] || podman rmi "$IMAGE" >/dev/null 2>&1
  rm -rf "$work"
  summary
  ((failed == 0)) || status=1
  exit "$status"
}
trap cleanup EXIT

# --- tools --------------------------------------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
for tool in curl jq; do
  if ! command -v "$tool" >/dev/null; then
    { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool"; } >/dev/null ||
      { echo "cannot install $tool (not root and no passwordless sudo): install it and rerun" >&2; exit 2; }
  fi
done

if [ -n "${SDK_IMAGE:-}" ] && [ -n "${RUNTIME_IMAGE:-}" ]; then
  command -v podman >/dev/null || { echo "podman is not installed" >&2; exit 2; }
else
  shared=""
  for candidate in "${RNNLM_SHARED_DIR:-}" "$repo/../shared" /work/shared; do
    if [ -n "$candidate" ] && [ -x "$candidate/containers/standin-images.sh" ]; then shared=$candidate; break; fi
  done
  [ -n "$shared" ] || { echo "containers/standin-images.sh not found: set RNNLM_SHARED_DIR to the shared folder" >&2; exit 2; }
  # Installs podman/runc if missing, builds the stand-in base images once, and prints the settings podman needs here.
  settings=$("$shared/containers/standin-images.sh")
  eval "$(grep '^export ' <<<"$settings")"
  SDK_IMAGE=localhost/dotnet-sdk:10.0
  RUNTIME_IMAGE=localhost/dotnet-aspnet:10.0
fi

# --- helpers ------------------------------------------------------------------------------------------------------
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    # Nothing answers a connect on a free port.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2
  return 1
}

# start NAME: runs the image on a fresh free port with the named volume at /data; sets $base.
start() {
  local name=$1 port
  port=$(free_port)
  local network=(-p "127.0.0.1:$port:8080")
  [ "$NETWORK_MODE" = host ] && network=(--network=host -e "ASPNETCORE_URLS=http://127.0.0.1:$port")
  containers+=("$name")
  # Podman here has no systemd to run health check timers: the check is run by hand below.
  podman run -d --name "$name" "${network[@]}" -v "$volume:/data" -e "RnnLm__ApiKey=$API_KEY" "$IMAGE" \
    >"$work/run-$name.log" 2>&1 || { cat "$work/run-$name.log"; die "podman run $name"; }
  base="http://127.0.0.1:$port"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS -m 2 "$base/health/ready" >"$work/ready.json" 2>/dev/null; do
    [ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || die "$name exited before it was ready"
    ((SECONDS < deadline)) || die "$name not ready within ${READY_TIMEOUT}s"
    sleep 1
  done
  pass "$name ready on $base ($(jq -r .status "$work/ready.json"))"
}

# request METHOD PATH [curl args...]: body to $work/body.json, status code to $code.
request() {
  local method=$1 path=$2
  shift 2
  code=$(curl -sS -m 30 -X "$method" -o "$work/body.json" -D "$work/headers.txt" -w '%{http_code}' "$@" "$base$path") || code=000
}

check_serving() {
  request POST /score -H 'Content-Type: application/json' -d '{"text":"The jury said it."}'
  if [ "$code" = 200 ] && jq -e '.perplexity | type == "number" and . > 0' "$work/body.json" >/dev/null; then
    pass "POST /score: perplexity $(jq .perplexity "$work/body.json")"
  else
    fail "POST /score: HTTP $code $(head -c 300 "$work/body.json")"
  fi
  request GET '/next?prefix=The%20jury&top=5'
  if [ "$code" = 200 ] && jq -e '.candidates | length == 5' "$work/body.json" >/dev/null; then
    pass "GET /next: $(jq -c '[.candidates[].token]' "$work/body.json")"
  else
    fail "GET /next: HTTP $code $(head -c 300 "$work/body.json")"
  fi
}

check_model_listed() {
  request GET /models -H "X-Api-Key: $API_KEY"
  if [ "$code" = 200 ] && jq -e --arg id "$model_id" 'any(.models[]; .id == $id)' "$work/body.json" >/dev/null; then
    pass "GET /models lists $model_id"
  else
    fail "GET /models does not list $model_id: HTTP $code $(head -c 300 "$work/body.json")"
  fi
}

# --- build --------------------------------------------------------------------------------------------------------
echo "building $IMAGE from $SDK_IMAGE and $RUNTIME_IMAGE"
build_started=$SECONDS
# --format docker: the OCI image format has no HEALTHCHECK, so podman would drop it.
if podman build --network=host --format docker --build-arg "SDK_IMAGE=$SDK_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" \
  -t "$IMAGE" . >"$work/build.log" 2>&1; then
  pass "podman build ($((SECONDS - build_started))s)"
else
  tail -30 "$work/build.log"
  die "podman build"
fi

podman volume create "$volume" >/dev/null

# --- first container ----------------------------------------------------------------------------------------------
first="$tag-1"
start "$first"
wait_ready "$first"

uid=$(podman exec "$first" id -u 2>&1) || true
[ "$uid" = 10001 ] && pass "runs as uid $uid" || fail "runs as uid $uid, expected 10001"

if podman healthcheck run "$first" >"$work/health.log" 2>&1; then
  pass "podman healthcheck run: healthy"
else
  fail "podman healthcheck run: $(cat "$work/health.log")"
fi

check_serving

# The volume must be writable by uid 10001 and outlive the container.
podman exec "$first" touch /data/.container-test && pass "/data is writable by uid 10001" || fail "/data is not writable"

if [ "$SKIP_JOBS" = 1 ]; then
  echo "SKIP training job, GET /jobs/{id}, GET /models (CONTAINER_TEST_SKIP_JOBS=1)"
else
  job='{"name":"container-test","train":["the cat sat .","the dog sat .","the cat ran .","a dog ran .","the dog sat on the mat ."],
        "valid":["the cat sat ."],"hidden":16,"embedding":16,"output":"classes","classes":4,"maxEpochs":2,"minCount":1}'

  request POST /jobs -H 'Content-Type: application/json' -d "$job"
  [[ $code == 401 || $code == 403 ]] && pass "POST /jobs without X-Api-Key: $code" || fail "POST /jobs without X-Api-Key: HTTP $code"

  request POST /jobs -H 'Content-Type: application/json' -H "X-Api-Key: $API_KEY" -d "$job"
  job_id=$(jq -r '.id // empty' "$work/body.json" 2>/dev/null || true)
  location=$(tr -d '\r' <"$work/headers.txt" | sed -n 's/^[Ll]ocation: *//p')
  if [ "$code" = 202 ] && [ -n "$job_id" ] && [[ $location == */jobs/"$job_id" ]]; then
    pass "POST /jobs: 202, job $job_id, Location $location"
  else
    die "POST /jobs: HTTP $code, Location '$location', $(head -c 300 "$work/body.json")"
  fi

  deadline=$((SECONDS + JOB_TIMEOUT))
  status=""
  while :; do
    request GET "/jobs/$job_id" -H "X-Api-Key: $API_KEY"
    status=$(jq -r '.status // empty' "$work/body.json" 2>/dev/null || true)
    case $status in succeeded | failed | cancelled) break ;; esac
    ((SECONDS < deadline)) || break
    sleep 2
  done
  model_id=$(jq -r '.modelId // empty' "$work/body.json" 2>/dev/null || true)
  if [ "$status" = succeeded ] && [ -n "$model_id" ]; then
    pass "job $job_id succeeded with model $model_id"
  else
    die "job $job_id: status '${status:-none}' after $((JOB_TIMEOUT))s at most: $(head -c 500 "$work/body.json")"
  fi
  check_model_listed
fi

# --- a new container on the same volume ---------------------------------------------------------------------------
podman rm -f "$first" >/dev/null 2>&1
second="$tag-2"
start "$second"
wait_ready "$second"
check_serving
podman exec "$second" test -f /data/.container-test && pass "/data kept across containers" || fail "/data lost across containers"

if [ "$SKIP_JOBS" != 1 ]; then
  request GET "/jobs/$job_id" -H "X-Api-Key: $API_KEY"
  status=$(jq -r '.status // empty' "$work/body.json" 2>/dev/null || true)
  [ "$status" = succeeded ] && pass "after restart job $job_id is still succeeded" ||
    fail "after restart job $job_id: HTTP $code, status '$status'"
  check_model_listed
fi
