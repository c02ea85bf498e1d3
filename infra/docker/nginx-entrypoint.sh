#!/bin/sh
# Entry point of Scale Lab's nginx images (proxy, cdn, front). Renders the nginx.conf template with the
# variables named in TEMPLATE_VARS (plus RUN_DIR), writes the first upstream lists and starts the watcher
# that keeps them current (when UPSTREAMS is set), then runs nginx in the foreground as PID 1, so
# docker stop's SIGQUIT is a graceful shutdown. Runs unprivileged: everything it writes is in RUN_DIR.
# The local stack (infra/local) runs the same script on 127.0.0.1, without UPSTREAMS: it writes the lists
# itself (watch-upstreams.sh --once) and reloads when replicas change.
# Usage: nginx-entrypoint.sh (render, check, run) | nginx-entrypoint.sh --check (render and check only)
set -eu
export RUN_DIR="${RUN_DIR:-/tmp/nginx}"
template="${NGINX_TEMPLATE:-/etc/scale-lab/nginx.conf.template}"
conf="$RUN_DIR/nginx.conf"
mkdir -p "$RUN_DIR/upstreams"

sed_args=""
for name in RUN_DIR ${TEMPLATE_VARS:-}; do
  value="$(printenv "$name" || true)"
  case "$value" in
    *[\'\"\;\{\}\|\\\ ]*) echo "$name='$value' is not a valid value (no quotes, spaces, ; { } | or \\)" >&2; exit 64 ;;
  esac
  sed_args="$sed_args -e s|\${$name}|$value|g"
done
# shellcheck disable=SC2086 # word splitting of the sed expressions is intended
sed $sed_args "$template" > "$conf"
if grep -n '\${[A-Z_]*}' "$conf" >&2; then echo "variables above are not in TEMPLATE_VARS" >&2; exit 64; fi

if [ -n "${UPSTREAMS:-}" ]; then watch-upstreams.sh --once; fi
nginx -e stderr -t -q -c "$conf"
if [ "${1:-}" = --check ]; then exit 0; fi
# The watcher follows this pid, nginx's once exec'd below, and ends when it is gone.
if [ -n "${UPSTREAMS:-}" ]; then NGINX_PID=$$ watch-upstreams.sh & fi
# Started by root (the local stack run as root; the images never are), nginx would hand its workers to
# "nobody", who may not read the site or write RUN_DIR: NGINX_USER=root keeps them with their owner.
user_directive=""
if [ -n "${NGINX_USER:-}" ]; then user_directive="user ${NGINX_USER};"; fi
exec nginx -e stderr -c "$conf" -g "daemon off; $user_directive"
