#!/usr/bin/env bash
# Lints the OpenAPI document that the built API serves (run `dotnet build RnnLm.Api.sln -c Release` first) with the
# linters pinned in package-lock.json: Redocly's recommended rules and Spectral's spectral:oas. Any error fails the run;
# warnings are printed. Two are expected: Redocly's info-license and Spectral's info-contact ask for a license and a
# contact in the document's info, and this project has chosen neither.
set -euo pipefail
# Node.js, npm and curl from Debian when the machine lacks them (as root or with passwordless sudo).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
for tool in npm curl; do
  if ! command -v "$tool" >/dev/null; then
    package=$([ "$tool" = npm ] && echo "nodejs npm" || echo "$tool")
    # shellcheck disable=SC2086
    { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $package; } >/dev/null ||
      { echo "Linting the OpenAPI document needs $tool and it cannot be installed here (not root, no passwordless sudo): apt-get install -y $package" >&2; exit 1; }
  fi
done
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${OPENAPI_LINT_PORT:-18091}"
work="$(mktemp -d)"
api=""
stop_api() {
  if [[ -n "$api" ]]; then kill "$api" 2>/dev/null || true; wait "$api" 2>/dev/null || true; api=""; fi
}
trap 'stop_api; rm -rf "$work"' EXIT

# The linters, exactly as locked, outside the work tree.
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error)

# The document as the current code serves it: the built API on loopback, a throwaway data directory, stopped at once.
(cd "$root/src/RnnLm.Api" && exec env RnnLm__DataDirectory="$work/data" dotnet bin/Release/net10.0/RnnLm.Api.dll --urls "http://127.0.0.1:$port") >"$work/api.log" 2>&1 &
api=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 "$api" 2>/dev/null || { echo "The API did not start:"; cat "$work/api.log"; exit 1; }
  sleep 0.5
done
curl -sSf "http://127.0.0.1:$port/swagger/v1/swagger.json" -o "$work/openapi.json"
stop_api

cd "$work"
npx --yes redocly lint openapi.json --config "$here/redocly.yaml"
npx --yes spectral lint openapi.json --ruleset "$here/spectral.yaml"
