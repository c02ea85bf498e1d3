#!/bin/sh
# Keeps nginx's upstream server lists equal to what Docker's DNS says the replicas are.
#
# Docker answers a service name with every replica's address (compose: the service name; Swarm with
# endpoint_mode dnsrr: the service name too), but nginx resolves upstream names once, at start, and its
# re-resolving `server … resolve` needs nginx 1.27.3+. So: look the names up every RESOLVE_INTERVAL
# seconds with getent (a fresh query each time, whatever the DNS TTL), rewrite the list when it changed,
# and reload nginx gracefully (old workers finish their requests).
#
# UPSTREAMS: space-separated name=host:port[,host:port…], e.g. "woody_api=woody-api:3000 front=front:8080".
# Several targets per name serve the local stack (infra/local), whose replicas share 127.0.0.1 and differ by
# port; an empty list (name=) leaves only a marked-down server.
# NGINX_PID: the nginx it serves (the entrypoint passes its own pid, which nginx takes over by exec; default
# the parent's). The loop ends when that process is gone, so nothing that stops nginx leaves the loop behind.
# Usage: watch-upstreams.sh --once (write the lists, no reload) | watch-upstreams.sh (loop while nginx runs)
set -u
run_dir="${RUN_DIR:-/tmp/nginx}"
dir="$run_dir/upstreams"
conf="$run_dir/nginx.conf"
interval="${RESOLVE_INTERVAL:-2}"
nginx_pid="${NGINX_PID:-$PPID}"
mkdir -p "$dir"

render() { # comma-separated host:port targets -> prints the server lines for one upstream
  lines=""
  for target in $(printf '%s' "$1" | tr ',' ' '); do
    host="${target%:*}"; port="${target##*:}"
    for address in $(getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | sort -u); do
      lines="${lines}server $address:$port max_fails=1 fail_timeout=5s;
"
    done
  done
  if [ -z "$lines" ]; then
    # An upstream needs a server: a marked-down one answers 502 until a replica appears.
    echo "server 127.0.0.1:9 down; # no replica of ${1:-this upstream} resolved"
    return
  fi
  printf '%s' "$lines"
}

sync_all() { # prints "changed" when any list changed
  for entry in $UPSTREAMS; do
    name="${entry%%=*}"
    next="$(render "${entry#*=}")"
    if [ ! -f "$dir/$name.conf" ] || [ "$next" != "$(cat "$dir/$name.conf")" ]; then
      printf '%s\n' "$next" > "$dir/$name.conf.tmp" && mv "$dir/$name.conf.tmp" "$dir/$name.conf"
      echo "watch-upstreams: $name -> $(printf '%s' "$next" | awk '{print $2}' | tr -d ';' | tr '\n' ' ')" >&2
      echo changed
    fi
  done
}

if [ "${1:-}" = --once ]; then sync_all >/dev/null; exit 0; fi

while sleep "$interval" && kill -0 "$nginx_pid" 2>/dev/null; do
  if [ -n "$(sync_all)" ]; then
    if nginx -e stderr -t -q -c "$conf" 2>/dev/null; then nginx -e stderr -s reload -c "$conf"; else echo "watch-upstreams: nginx -t failed, not reloading" >&2; fi
  fi
done
