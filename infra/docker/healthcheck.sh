#!/bin/bash
# HEALTHCHECK without curl (neither the official nginx image nor a minimal one needs it): one HTTP/1.0
# request over bash's /dev/tcp, healthy when the status line says 200.
set -eu
exec 3<>"/dev/tcp/127.0.0.1/${1:-8080}"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${2:-/healthz}" >&3
read -r -t 3 status_line <&3
[[ "$status_line" == *" 200 "* ]]
