#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for the SQL-server variants of the tests.
#
#   scripts/test-services.sh start   start both (or reuse the ones already started) and
#                                    print the lines to eval:
#                                      export MASKFLEET_TEST_POSTGRES_URL=postgresql://...
#                                      export MASKFLEET_TEST_MYSQL_URL=mysql://...
#   scripts/test-services.sh stop    stop both and remove their data
#   scripts/test-services.sh status  say what runs
#
# The servers are Debian's (postgresql, mariadb-server; see scripts/debian-test-packages.txt),
# listen on 127.0.0.1 only, on free ports, with a random password, and keep their data in
# build/test-services (MASKFLEET_TEST_SERVICES_DIR overrides). They are tuned for tests, not
# for keeping data: no fsync. As root they run as the packages' own unprivileged users
# (postgres, mysql), since PostgreSQL refuses to run as root.
#
# Everything else goes to stderr, so that `eval "$(scripts/test-services.sh start)"` works.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${MASKFLEET_TEST_SERVICES_DIR:-$root/build/test-services}

log() { printf '\033[1m[test-services]\033[0m %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Runs "$@" as the unprivileged user $1 when we are root, as ourselves otherwise.
as_user() {
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_password() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }

# A folder owned by $1 in which it can write; under build/ if $1 can reach it, else in /tmp
# (a checkout under a private home folder is not reachable by the postgres user).
service_dir() {
  local user=$1 name=$2 d
  d=$dir/$name
  if [ -f "$dir/$name.location" ]; then
    cat "$dir/$name.location"
    return
  fi
  mkdir -p "$d"
  [ "$(id -u)" -eq 0 ] && chown "$user:" "$d"
  if ! as_user "$user" test -w "$d"; then
    d=$(mktemp -d /tmp/maskfleet-test-$name.XXXXXX)
    chmod 755 "$d"
    [ "$(id -u)" -eq 0 ] && chown "$user:" "$d"
  fi
  echo "$d" > "$dir/$name.location"
  echo "$d"
}

pg_bin() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$b" ] && [ -x "$b/pg_ctl" ] || die "PostgreSQL server not installed (Debian package postgresql)"
  echo "$b"
}

pg_running() {
  local d
  [ -f "$dir/postgres.location" ] || return 1
  d=$(cat "$dir/postgres.location")
  [ -f "$d/data/postmaster.pid" ] && as_user postgres "$(pg_bin)/pg_ctl" -D "$d/data" status >/dev/null 2>&1
}

start_postgres() {
  local bin d port pw user=postgres
  [ "$(id -u)" -eq 0 ] || user=$(id -un)
  bin=$(pg_bin)
  if pg_running; then
    log "PostgreSQL: reusing the running server"
    return
  fi
  d=$(service_dir "$user" postgres)
  if [ ! -f "$d/data/PG_VERSION" ]; then
    port=$(free_port)
    pw=$(random_password)
    echo "$port" > "$dir/postgres.port"
    echo "$pw" > "$dir/postgres.password"
    as_user "$user" rm -rf "$d/data"
    (umask 077; echo "$pw" > "$d/pwfile")
    [ "$(id -u)" -eq 0 ] && chown "$user:" "$d/pwfile"
    as_user "$user" "$bin/initdb" -D "$d/data" -U maskfleet --pwfile="$d/pwfile" \
      --auth=scram-sha-256 --encoding=UTF8 --no-locale >"$dir/postgres-initdb.log" 2>&1 ||
      die "PostgreSQL initdb failed; see $dir/postgres-initdb.log"
    rm -f "$d/pwfile"
    cat >> "$d/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  port=$(cat "$dir/postgres.port")
  pw=$(cat "$dir/postgres.password")
  log "PostgreSQL: starting on 127.0.0.1:$port"
  as_user "$user" "$bin/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start >/dev/null ||
    die "PostgreSQL did not start; see $d/server.log"
  PGPASSWORD=$pw "$bin/psql" -h 127.0.0.1 -p "$port" -U maskfleet -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = 'maskfleet_test'" | grep -q 1 ||
    PGPASSWORD=$pw "$bin/psql" -h 127.0.0.1 -p "$port" -U maskfleet -d postgres -qc \
      "CREATE DATABASE maskfleet_test" >/dev/null
}

stop_postgres() {
  local d user=postgres
  [ "$(id -u)" -eq 0 ] || user=$(id -un)
  [ -f "$dir/postgres.location" ] || return 0
  d=$(cat "$dir/postgres.location")
  if pg_running; then
    log "PostgreSQL: stopping"
    as_user "$user" "$(pg_bin)/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$d" "$dir/postgres.location" "$dir/postgres.port" "$dir/postgres.password"
}

mysql_running() {
  local d
  [ -f "$dir/mariadb.location" ] || return 1
  d=$(cat "$dir/mariadb.location")
  [ -S "$d/mysqld.sock" ] && mariadb-admin --no-defaults --socket="$d/mysqld.sock" -uroot ping >/dev/null 2>&1
}

start_mariadb() {
  local d port pw user=mysql user_opt=()
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    die "MariaDB server not installed (Debian package mariadb-server)"
  if [ "$(id -u)" -eq 0 ]; then user_opt=(--user=mysql); else user=$(id -un); fi
  if mysql_running; then
    log "MariaDB: reusing the running server"
    return
  fi
  d=$(service_dir "$user" mariadb)
  if [ ! -d "$d/data/mysql" ]; then
    port=$(free_port)
    pw=$(random_password)
    echo "$port" > "$dir/mariadb.port"
    echo "$pw" > "$dir/mariadb.password"
    mariadb-install-db --no-defaults --datadir="$d/data" "${user_opt[@]}" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/mariadb-install.log" 2>&1 ||
      die "mariadb-install-db failed; see $dir/mariadb-install.log"
  fi
  port=$(cat "$dir/mariadb.port")
  pw=$(cat "$dir/mariadb.password")
  log "MariaDB: starting on 127.0.0.1:$port"
  setsid /usr/sbin/mariadbd --no-defaults --datadir="$d/data" "${user_opt[@]}" \
    --bind-address=127.0.0.1 --port="$port" --socket="$d/mysqld.sock" \
    --pid-file="$d/mysqld.pid" --log-error="$d/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M --max-connections=300 \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    mysql_running && break
    sleep 0.5
  done
  mysql_running || die "MariaDB did not start; see $d/error.log"
  mariadb --no-defaults --socket="$d/mysqld.sock" -uroot <<EOF
CREATE USER IF NOT EXISTS 'maskfleet'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'maskfleet'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS maskfleet_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
EOF
}

stop_mariadb() {
  local d pid
  [ -f "$dir/mariadb.location" ] || return 0
  d=$(cat "$dir/mariadb.location")
  if [ -f "$d/mysqld.pid" ]; then
    pid=$(cat "$d/mysqld.pid")
    log "MariaDB: stopping"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  rm -rf "$d" "$dir/mariadb.location" "$dir/mariadb.port" "$dir/mariadb.password"
}

print_exports() {
  printf 'export MASKFLEET_TEST_POSTGRES_URL=postgresql://maskfleet:%s@127.0.0.1:%s/maskfleet_test ; ' \
    "$(cat "$dir/postgres.password")" "$(cat "$dir/postgres.port")"
  printf 'export MASKFLEET_TEST_MYSQL_URL=mysql://maskfleet:%s@127.0.0.1:%s/maskfleet_test\n' \
    "$(cat "$dir/mariadb.password")" "$(cat "$dir/mariadb.port")"
}

mkdir -p "$dir"
case "${1:-}" in
  start)
    start_postgres
    start_mariadb
    print_exports
    ;;
  stop)
    stop_postgres
    stop_mariadb
    ;;
  status)
    pg_running && log "PostgreSQL: running on port $(cat "$dir/postgres.port")" || log "PostgreSQL: stopped"
    mysql_running && log "MariaDB: running on port $(cat "$dir/mariadb.port")" || log "MariaDB: stopped"
    ;;
  *)
    die "usage: $0 start|stop|status"
    ;;
esac
