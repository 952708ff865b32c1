#!/usr/bin/env bash
# Runs a private ClickHouse for development and tests: Debian's clickhouse-server (18.16), with its
# config, data, logs and pid under ./var/clickhouse and its own loopback ports, never the system service.
#   scripts/clickhouse.sh start|stop|status|wait|install|drop-test-databases
# Ports: REKKEVIDDE_CH_TCP_PORT (default 19000), REKKEVIDDE_CH_HTTP_PORT (default 18123).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${REKKEVIDDE_CH_DIR:-$root/var/clickhouse}"
tcp_port="${REKKEVIDDE_CH_TCP_PORT:-19000}"
http_port="${REKKEVIDDE_CH_HTTP_PORT:-18123}"
pid_file="$base/clickhouse.pid"
config="$base/config.xml"

say() { printf 'clickhouse: %s\n' "$*" >&2; }

install_packages() {
  if command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1; then
    return 0
  fi
  say "installing Debian's clickhouse-server and clickhouse-client"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
  # The package may start the system service; this project never uses it.
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now clickhouse-server >/dev/null 2>&1 || true; fi
}

write_config() {
  mkdir -p "$base/data" "$base/tmp" "$base/user_files" "$base/log" "$base/format_schemas"
  # A go.mod makes var/ a module of its own, so `go test ./...` never walks into ClickHouse's data
  # directory while test databases come and go.
  local var_dir
  var_dir="$(dirname "$base")"
  [ "$var_dir" != "$root/var" ] || [ -f "$var_dir/go.mod" ] || printf '// Local data, not code: keeps ./... patterns out of this folder.\nmodule local/var\n' >"$var_dir/go.mod"
  cat >"$config" <<XML
<?xml version="1.0"?>
<!-- Written by scripts/clickhouse.sh; edits are overwritten on the next start. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>$base/log/clickhouse-server.log</log>
        <errorlog>$base/log/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp_port</tcp_port>
    <http_port>$http_port</http_port>
    <path>$base/data/</path>
    <tmp_path>$base/tmp/</tmp_path>
    <user_files_path>$base/user_files/</user_files_path>
    <format_schema_path>$base/format_schemas/</format_schema_path>
    <timezone>UTC</timezone>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mlock_executable>false</mlock_executable>
    <users_config>$base/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
</yandex>
XML
  cat >"$base/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(cat "$pid_file" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid that belongs to another program is a stale file, not our server.
  grep -q clickhouse "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

answers() {
  clickhouse-client --host 127.0.0.1 --port "$tcp_port" --query 'SELECT 1' >/dev/null 2>&1
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_ready() {
  local deadline=$((SECONDS + ${1:-60}))
  until answers; do
    if [ $SECONDS -ge $deadline ]; then
      say "did not answer on 127.0.0.1:$tcp_port in time; last log lines:"
      tail -n 20 "$base/log/clickhouse-server.err.log" >&2 2>/dev/null || true
      return 1
    fi
    if ! running_pid >/dev/null; then
      say "server exited during start-up; last log lines:"
      tail -n 20 "$base/log/clickhouse-server.err.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

start() {
  install_packages
  if running_pid >/dev/null; then
    wait_ready 60
    return 0
  fi
  if [ -f "$pid_file" ]; then
    say "removing stale pid file $pid_file"
    rm -f "$pid_file"
  fi
  for port in "$tcp_port" "$http_port"; do
    if port_taken "$port"; then
      say "port 127.0.0.1:$port is already taken by another program."
      say "Stop it, or choose other ports: REKKEVIDDE_CH_TCP_PORT=19100 REKKEVIDDE_CH_HTTP_PORT=18223 make run"
      exit 1
    fi
  done
  write_config
  say "starting on 127.0.0.1:$tcp_port (data in $base)"
  clickhouse-server --daemon --config-file="$config" --pid-file="$pid_file" >>"$base/log/stdout.log" 2>&1
  # --daemon forks; the pid file appears a moment later.
  for _ in $(seq 1 40); do [ -s "$pid_file" ] && break; sleep 0.25; done
  wait_ready 90
  say "ready on 127.0.0.1:$tcp_port"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pid_file"
    say "not running"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; say "stopped"; return 0; }
    sleep 0.25
  done
  say "did not stop in 30 s; killing $pid"
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

# drop_test_databases removes databases that tests left behind (internal/chtest names them test_…).
drop_test_databases() {
  answers || return 0
  local db
  for db in $(clickhouse-client --host 127.0.0.1 --port "$tcp_port" --query "SELECT name FROM system.databases WHERE name LIKE 'test\\_%'"); do
    clickhouse-client --host 127.0.0.1 --port "$tcp_port" --query "DROP DATABASE IF EXISTS \`$db\`" || say "could not drop $db"
  done
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  wait) wait_ready "${2:-60}" ;;
  drop-test-databases) drop_test_databases ;;
  status)
    if pid="$(running_pid)" && answers; then echo "running (pid $pid) on 127.0.0.1:$tcp_port"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status|wait|install|drop-test-databases" >&2; exit 2 ;;
esac
