#!/bin/bash
# Accepts the official image's flags (--connect, --innodb_initialized); both mean "the server answers".
exec mariadb-admin --user=healthcheck --password=healthcheck --host=localhost ping --silent >/dev/null
