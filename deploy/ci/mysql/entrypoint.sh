#!/usr/bin/env bash
# The official mysql image's entry point, as far as docker-compose.yml uses it, on Debian's MariaDB:
# on a new data volume it creates root (MYSQL_ROOT_PASSWORD, also from any host, as the official image
# does), the database MYSQL_DATABASE and its owner MYSQL_USER/MYSQL_PASSWORD, then runs
# /docker-entrypoint-initdb.d/*.sql; then the server runs with the command's options. MySQL-only
# options are dropped with a note: MariaDB always has GTIDs (no --gtid-mode / --enforce-gtid-consistency).
set -euo pipefail
datadir=/var/lib/mysql
options=()
for option in "$@"; do
  case "$option" in
    --gtid-mode=*|--enforce-gtid-consistency=*) echo "mariadb: ignoring the MySQL-only option $option" ;;
    *) options+=("$option") ;;
  esac
done

if [ ! -d "$datadir/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is required for a new database}"
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db > /dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  init_pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket=/run/mysqld/init.sock -uroot ping --silent 2>/dev/null && break
    sleep 0.5
  done
  sql() { mariadb --socket=/run/mysqld/init.sock -uroot "$@"; }
  sql <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
CREATE USER 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
  sql() { mariadb --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" "$@"; }
  if [ -n "${MYSQL_DATABASE:-}" ]; then
    sql -e "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`"
  fi
  if [ -n "${MYSQL_USER:-}" ]; then
    sql -e "CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD:?MYSQL_PASSWORD is required with MYSQL_USER}'"
    [ -n "${MYSQL_DATABASE:-}" ] && sql -e "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%'"
  fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "mariadb: running $f"
    sql "${MYSQL_DATABASE:-mysql}" < "$f"
  done
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$init_pid" || true
  echo "mariadb: new database initialised"
fi
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 "${options[@]}"
