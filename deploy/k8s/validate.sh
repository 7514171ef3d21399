#!/usr/bin/env bash
# Validates the manifests in deploy/k8s offline, no cluster needed:
#   1. renders kustomization.yaml with `kubectl kustomize` (when kubectl is installed; otherwise the files one by one)
#   2. checks every object with validate.mjs: the Kubernetes OpenAPI schema (npm kubernetes-models), unknown fields
#      (TypeScript with npm kubernetes-types) and references between the objects (selectors, ports, claim, Secret)
#   3. checks that the validator itself rejects a broken manifest
# Installs what it needs: Node.js and npm from Debian when missing, pinned npm packages into a cache folder.
#
#   deploy/k8s/validate.sh
#   K8S_VALIDATE_TOOLS=/some/dir deploy/k8s/validate.sh     # where the npm packages go (default ~/.cache/...)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=${K8S_VALIDATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/rnnlm-k8s-validate}
# kubernetes-models 5.1 carries the schemas of a current Kubernetes release; kubernetes-types 1.30 the types.
packages=(kubernetes-models@5.1.0 kubernetes-types@1.30.0 typescript@5.9.3 yaml@2.9.1)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; } >/dev/null ||
    { echo "Node.js and npm are needed: apt-get install nodejs npm" >&2; exit 2; }
fi

mkdir -p "$tools"
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "${packages[*]}" ]; then
  [ -f "$tools/package.json" ] || echo '{ "private": true }' >"$tools/package.json"
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error "${packages[@]}" >/dev/null)
  echo "${packages[*]}" >"$tools/.installed"
fi
# ES modules resolve packages from the script's own folder, so the script runs from beside node_modules.
cp "$here/validate.mjs" "$tools/validate.mjs"
validate() { (cd "$tools" && VALIDATE_ROOT="$here" node validate.mjs "$@"); }

status=0
if command -v kubectl >/dev/null; then
  rendered="$tools/kustomize-output.yaml"
  if kubectl kustomize "$here" >"$rendered"; then
    echo "PASS kubectl kustomize deploy/k8s ($(grep -c '^kind:' "$rendered") objects)"
  else
    echo "FAIL kubectl kustomize deploy/k8s"
    exit 1
  fi
  # The example Secret is outside the kustomization on purpose, but the trainer refers to it.
  validate "$rendered" secret.example.yaml || status=1
else
  echo "SKIP kubectl kustomize (kubectl is not installed): checking the files one by one"
  files=()
  for f in "$here"/*.yaml; do [ "${f##*/}" = kustomization.yaml ] || files+=("${f##*/}"); done
  validate "${files[@]}" || status=1
fi

# The validator must catch each kind of mistake: a misplaced field, a wrong type, a missing required field, a bad enum
# and a broken reference.
broken="$tools/broken.yaml"
cat >"$broken" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken-fields }
spec:
  selector: { matchLabels: { app: broken } }
  template:
    metadata: { labels: { app: other } }
    spec:
      resources: { limits: { cpu: "1" } }
      containers:
        - name: broken
          image: rnnlm
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /health/ready, port: web } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken-types }
spec:
  selector: { matchLabels: { app: broken } }
  template:
    metadata: { labels: { app: broken } }
    spec:
      containers:
        - name: broken
          image: rnnlm
          ports: [{ name: http, containerPort: "8080" }]
        - image: rnnlm
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: broken }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: missing }
  maxReplicas: 3
---
apiVersion: v1
kind: Service
metadata: { name: broken }
spec:
  selector: { app: nothing }
  ports: [{ port: 80, protocol: TCPX }]
YAML
expected=("unknown field 'resources'" "containerPort must be integer" "must have required property name"
  "port web" "selector.matchLabels" "missing is not in the set" "matches no pod template" "protocol must be equal")
output=$(validate "$broken" || true)
missing=()
for e in "${expected[@]}"; do grep -qF -- "$e" <<<"$output" || missing+=("$e"); done
if ((${#missing[@]} == 0)) && grep -q '0 passed, 4 failed' <<<"$output"; then
  echo "PASS the validator rejects a broken manifest (${#expected[@]} kinds of mistake)"
else
  echo "FAIL the validator missed: ${missing[*]:-a failure}"
  echo "$output"
  status=1
fi
exit "$status"
