#!/bin/sh
# Entry point of Scale Lab's nginx images (proxy, cdn, front). Renders the nginx.conf template with the
# variables named in TEMPLATE_VARS (plus RUN_DIR), writes the first upstream lists and starts the watcher
# that keeps them current (when UPSTREAMS is set), then runs nginx in the foreground as PID 1, so
# docker stop's SIGQUIT is a graceful shutdown. Runs unprivileged: everything it writes is in RUN_DIR.
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
if [ -n "${UPSTREAMS:-}" ]; then watch-upstreams.sh & fi
exec nginx -e stderr -c "$conf" -g 'daemon off;'
