#!/usr/bin/env bash
# What a run left behind. Lists the processes of the kinds Scale Lab starts (nginx, mariadbd, redis-server,
# haproxy, wrk, Chromium, the upstream watcher, the APIs' and tools' node dist/*.js, vitest) and the Docker
# containers, services, networks, volumes, secrets and configs named or labelled scale-lab* (and containers
# of testcontainers); whatever is there now and was not in the snapshot taken before the run is a leftover.
# Of a process tree only its top counts (nginx's master, not its workers; a new worker of an nginx that ran
# before is not ours). Things that are still going away (docker stack rm is asynchronous) get some time.
#
# Usage: leftovers.sh snapshot FILE                 record what is there now
#        leftovers.sh check FILE NAME [SECONDS]     wait up to SECONDS (default 120) until nothing is there
#                                                   that FILE does not list; prints "ok   NAME" or
#                                                   "FAIL NAME" and the leftovers, and exits 1 on FAIL
set -uo pipefail

docker_bin="${DOCKER:-/usr/bin/docker}"
[ -x "$docker_bin" ] || docker_bin=docker

# Given to awk through its environment, so that awk's own command line does not match.
export LEFTOVER_PROCESSES='^([^ ]*/)?(nginx|mariadbd|mysqld|redis-server|haproxy|wrk|chromium|chrome|chrome_crashpad_handler|headless_shell)(:| |$)|watch-upstreams\.sh|nginx-entrypoint\.sh|/dist/(src/)?[a-z-]+\.js|vitest|stub-replica'

process_table() { # "PID PPID ARGS" of every process that has a command line, from /proc (no procps needed)
  local dir stat fields args
  for dir in /proc/[0-9]*; do
    { read -r stat <"$dir/stat" && mapfile -d '' args <"$dir/cmdline"; } 2>/dev/null || continue
    [ "${#args[@]}" -gt 0 ] || continue
    read -ra fields <<<"${stat##*) }" # after "pid (comm) ": state ppid …
    echo "${dir#/proc/} ${fields[1]} ${args[*]}"
  done
}

processes() { # "process PID ARGS" for the top of each matching process tree
  process_table | awk '
    { pid = $1; ppid = $2; sub(/^ *[0-9]+ +[0-9]+ +/, ""); args[pid] = $0; parent[pid] = ppid }
    END {
      for (pid in args) if (args[pid] ~ ENVIRON["LEFTOVER_PROCESSES"]) matching[pid] = 1
      for (pid in matching) if (!(parent[pid] in matching)) print "process " pid " " args[pid]
    }'
}

docker_objects() { # "KIND NAME" for what is named or labelled scale-lab*
  "$docker_bin" info >/dev/null 2>&1 || return 0
  local format='{{.Names}} {{.Label "com.docker.compose.project"}} {{.Label "com.docker.stack.namespace"}} {{.Label "org.testcontainers"}}'
  "$docker_bin" ps -a --format "$format" | awk '$0 ~ /(^| )scale-lab|true$/ { print "container " $1 }'
  local format='{{.Name}} {{.Label "com.docker.compose.project"}} {{.Label "com.docker.stack.namespace"}}'
  local kind
  for kind in network volume; do
    "$docker_bin" "$kind" ls --format "$format" | awk -v kind="$kind" '$0 ~ /(^| )scale-lab/ { print kind " " $1 }'
  done
  # Swarm only: elsewhere these commands fail, and there is nothing of the kind.
  "$docker_bin" service ls --format '{{.Name}}' 2>/dev/null | awk '/^scale-lab/ { print "service " $1 }'
  for kind in secret config; do
    "$docker_bin" "$kind" ls --format "$format" 2>/dev/null | awk -v kind="$kind" '$0 ~ /(^| )scale-lab/ { print kind " " $1 }'
  done
}

inventory() {
  processes
  docker_objects
}

new_since() { # snapshot file -> what is there now and not in it
  inventory | grep -vxF -f "$1" | sort
}

case "${1:-}" in
  snapshot)
    inventory | sort > "${2:?usage: leftovers.sh snapshot FILE}"
    ;;
  check)
    snapshot="${2:?usage: leftovers.sh check FILE NAME [SECONDS]}"
    name="${3:?usage: leftovers.sh check FILE NAME [SECONDS]}"
    deadline=$((SECONDS + ${4:-120}))
    while :; do
      left="$(new_since "$snapshot")"
      [ -z "$left" ] || [ "$SECONDS" -ge "$deadline" ] && break
      sleep 1
    done
    if [ -z "$left" ]; then
      echo "ok   $name"
    else
      echo "FAIL $name"
      sed 's/^/       left: /' <<<"$left"
      exit 1
    fi
    ;;
  *)
    sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac
