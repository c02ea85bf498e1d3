#!/bin/bash
set -euo pipefail
file_env() { local var="$1" file_var="${1}_FILE"; if [ -n "${!file_var:-}" ]; then export "$var"="$(< "${!file_var}")"; fi; }
file_env MARIADB_PASSWORD
file_env MARIADB_ROOT_PASSWORD
if [ ! -d /var/lib/mysql/mysql ]; then
  echo "stand-in mariadb: initialising /var/lib/mysql"
  chown -R mysql:mysql /var/lib/mysql
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=normal >/dev/null
  root_password="${MARIADB_ROOT_PASSWORD:-}"
  [ -z "$root_password" ] && root_password="$(head -c 18 /dev/urandom | base64)"
  # --bootstrap reads one statement per line and starts without grant tables: load them first.
  sql="FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '${root_password}';
CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY 'healthcheck';"
  if [ -n "${MARIADB_ROOT_HOST:-}" ] && [ "$MARIADB_ROOT_HOST" != localhost ]; then
    sql+=$'\n'"CREATE USER 'root'@'${MARIADB_ROOT_HOST}' IDENTIFIED BY '${root_password}';"
    sql+=$'\n'"GRANT ALL ON *.* TO 'root'@'${MARIADB_ROOT_HOST}' WITH GRANT OPTION;"
  fi
  if [ -n "${MARIADB_DATABASE:-}" ]; then sql+=$'\n'"CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;"; fi
  if [ -n "${MARIADB_USER:-}" ]; then
    sql+=$'\n'"CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD:?MARIADB_PASSWORD is required with MARIADB_USER}';"
    if [ -n "${MARIADB_DATABASE:-}" ]; then sql+=$'\n'"GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'%';"; fi
  fi
  printf '%s\n' "$sql" | mariadbd --user=mysql --bootstrap >/dev/null
fi
if [ "$1" = mariadbd ]; then shift; exec mariadbd --user=mysql --bind-address=0.0.0.0 --skip-name-resolve "$@"; fi
exec "$@"
