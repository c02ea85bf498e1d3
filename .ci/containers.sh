#!/usr/bin/env bash
# CI only: proves the container story end to end on this machine. Installs Debian's docker.io and
# docker-compose, starts dockerd, builds stand-ins for the official base images (no registry is
# reachable here: .ci/stand-ins), builds every image with `nx run-many -t docker-build`, validates
# docker-compose.yml and stack.yml, then runs the compose project and the Swarm stack and smoke-tests
# them (.ci/smoke.mjs), and runs the main job's --quick run on each (loadtests/test/quick-run.test.ts).
# Closes with "containers: N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOCKER=/usr/bin/docker # Debian's client: BuildKit without buildx, and `stack deploy` of 20.10
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
export SITE_PORT=18080 MOVIE_PORT=18000 CDN_PORT=18081 HAPROXY_SITE_PORT=18090 HAPROXY_MOVIE_PORT=18001 HAPROXY_STATS_PORT=18404
passed=0
failed=0
step() { printf '\033[1m[containers]\033[0m %s\n' "$*" >&2; }
result() { # name, status
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}
# shellcheck source=counts.sh
source .ci/counts.sh
count_smoke() { # adds the counts of the log's "smoke (...): N passed, N failed" line
  local smoke_passed smoke_failed
  read -r smoke_passed smoke_failed < <(counts "$1" '^smoke \(')
  passed=$((passed + smoke_passed))
  failed=$((failed + smoke_failed))
}
# Runs one vitest file of a project (with an environment assignment) and adds its test counts.
vitest_counts() { # project-dir, test file, VAR=value
  local log status summary run_passed run_failed
  log="$(mktemp)"
  (cd "$1" && env "$3" npx vitest run "$2") 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  summary="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests ' | tail -1)"
  run_passed="$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)"
  run_failed="$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)"
  [ "$status" -ne 0 ] && [ "$run_failed" -eq 0 ] && run_failed=1
  passed=$((passed + run_passed))
  failed=$((failed + run_failed))
}
# The real --quick run and its report checks (loadtests/test/quick-run.test.ts) against this target.
quick_run() {
  vitest_counts loadtests test/quick-run.test.ts "SCALE_LAB_TARGET=$1"
}
finish() {
  echo "containers: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

missing=()
[ -x /usr/bin/docker ] && command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! "$DOCKER" info >/dev/null 2>&1; then
  step "starting dockerd"
  (dockerd >/var/tmp/scale-lab-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
  "$DOCKER" info >/dev/null 2>&1 || { tail -20 /var/tmp/scale-lab-dockerd.log; exit 1; }
fi

step "stand-in base images"
.ci/stand-ins/build.sh

step "nx run-many -t docker-build"
log="$(mktemp)"
status=0
nx run-many -t docker-build --output-style=stream-without-prefixes 2>&1 | tee "$log" || status=$?
# Nx exits 0 with "No tasks were run" when no project has the target: that is a failure here.
images=6
if [ "$status" -eq 0 ] && sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -q "Successfully ran target docker-build for $images projects"; then
  result "nx run-many -t docker-build built $images images" 0
else
  result "nx run-many -t docker-build built $images images" 1
  finish
fi
for image in woody-api movie-api front proxy cdn haproxy; do
  version="$(node -p "require('./$( [ "$image" = haproxy ] && echo infra || echo apps)/$image/package.json').version")"
  "$DOCKER" image inspect "scale-lab/$image:$version" "scale-lab/$image:latest" >/dev/null 2>&1
  result "image scale-lab/$image:$version and :latest exist" $?
done

step "routing parity: the local nginx, the proxy image and the HAProxy image (infra/docker/test/routing-parity.test.ts)"
set +e
vitest_counts infra/docker test/routing-parity.test.ts SCALE_LAB_PARITY_DOCKER=1
set -e

docker-compose -f docker-compose.yml config -q
result "docker-compose config accepts docker-compose.yml" $?
if docker stack config --help >/dev/null 2>&1; then
  docker stack config -c stack.yml >/dev/null
  result "docker stack config accepts stack.yml" $?
fi

step "compose: up, smoke, scale"
project=scale-lab-ci-compose
docker-compose -p "$project" down -v --remove-orphans >/dev/null 2>&1 || true
set +e
docker-compose -p "$project" --profile haproxy up -d 2>&1 | tail -3
result "docker-compose up (with the haproxy profile)" "${PIPESTATUS[0]}"
smoke_log="$(mktemp)"
node .ci/smoke.mjs --mode compose --name "$project" --site "http://127.0.0.1:$SITE_PORT" \
  --movie "http://127.0.0.1:$MOVIE_PORT" --cdn "http://127.0.0.1:$CDN_PORT" | tee "$smoke_log"
count_smoke "$smoke_log"
for path in /api/ping /api/products/last; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HAPROXY_SITE_PORT$path")"
  [ "$code" = 200 ]; result "haproxy: GET $path → $code" $?
done
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HAPROXY_MOVIE_PORT/moviesbytitle?title=The%20Good%20Dinosaur")"
[ "$code" = 200 ]; result "haproxy: movie LB → $code" $?
# Read the whole page first: grep -q would stop reading early and, with pipefail, fail curl's pipe.
stats="$(curl -s "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv")"
grep -q '^woody_api,woody' <<<"$stats"
result "haproxy: stats page lists the woody replicas" $?
docker-compose -p "$project" --profile haproxy down -v --remove-orphans >/dev/null 2>&1

step "compose: the main job's --quick run (./scale-lab run --quick --target compose)"
quick_run compose
set -e

step "swarm: deploy stack.yml, smoke, scale, rolling update, remove"
if [ "$("$DOCKER" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  "$DOCKER" swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
stack=scale-lab-ci
set +e
"$DOCKER" stack deploy -c stack.yml "$stack"
result "docker stack deploy -c stack.yml" $?
node .ci/smoke.mjs --mode swarm --name "$stack" --site "http://127.0.0.1:$SITE_PORT" \
  --movie "http://127.0.0.1:$MOVIE_PORT" --cdn "http://127.0.0.1:$CDN_PORT" | tee "$smoke_log"
count_smoke "$smoke_log"
"$DOCKER" stack rm "$stack" >/dev/null
for _ in $(seq 1 60); do [ -z "$("$DOCKER" ps -q --filter "label=com.docker.stack.namespace=$stack")" ] && break; sleep 1; done
[ -z "$("$DOCKER" ps -q --filter "label=com.docker.stack.namespace=$stack")" ]
result "docker stack rm: no container left" $?
# stack rm returns before the containers are gone, and a volume in use cannot be removed: retry, bounded.
for _ in $(seq 1 60); do
  "$DOCKER" volume rm "${stack}_db-data" >/dev/null 2>&1 || ! "$DOCKER" volume inspect "${stack}_db-data" >/dev/null 2>&1 && break
  sleep 1
done
! "$DOCKER" volume inspect "${stack}_db-data" >/dev/null 2>&1
result "docker stack rm: database volume removed" $?

step "swarm: the main job's --quick run (./scale-lab run --quick --target swarm)"
quick_run swarm
set -e
finish
