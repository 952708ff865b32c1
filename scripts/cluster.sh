#!/usr/bin/env bash
# A private ClickHouse cluster on loopback for `make test-cluster`: Debian's zookeeper and four
# ClickHouse 18.16 servers, 2 shards × 2 replicas, cluster name "rekkevidde", with config, data,
# logs and pids under ./var/cluster. Never the system services, never the ports of `make run`.
#   scripts/cluster.sh start|stop|status|install
#   scripts/cluster.sh kill-node N | start-node N     (N = 1..4; the cluster test uses these)
#   scripts/cluster.sh test                            (start, go test -tags cluster, stop)
# Ports: ZooKeeper REKKEVIDDE_CLUSTER_ZK_PORT (12181); server N listens on native 191N1, HTTP 191N2
# and interserver 191N3 with N-1 in place of N (19101…, 19111…, 19121…, 19131…), or from
# REKKEVIDDE_CLUSTER_PORT_BASE (19100).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${REKKEVIDDE_CLUSTER_DIR:-$root/var/cluster}"
zk_port="${REKKEVIDDE_CLUSTER_ZK_PORT:-12181}"
port_base="${REKKEVIDDE_CLUSTER_PORT_BASE:-19100}"
cluster=rekkevidde

say() { printf 'cluster: %s\n' "$*" >&2; }

tcp_port() { echo $((port_base + ($1 - 1) * 10 + 1)); }
http_port() { echo $((port_base + ($1 - 1) * 10 + 2)); }
interserver_port() { echo $((port_base + ($1 - 1) * 10 + 3)); }
shard_of() { echo "0$(((($1 - 1) / 2) + 1))"; }   # nodes 1,2 → 01; 3,4 → 02
replica_of() { echo "r$(((($1 - 1) % 2) + 1))"; } # nodes 1,3 → r1; 2,4 → r2

install_packages() {
  local missing=()
  command -v clickhouse-server >/dev/null 2>&1 || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null 2>&1 || missing+=(clickhouse-client)
  [ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} from Debian"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packages may start system services; this project never uses them.
  if command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now clickhouse-server zookeeper >/dev/null 2>&1 || true
  fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

zk_ready() {
  local reply
  # In a subshell: a refused connection must not end this script. ZooKeeper answers "imok"
  # without a newline and closes, so read's status is ignored.
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" || exit 1; printf 'ruok' >&3; r=""; read -r -t 2 r <&3; printf '%s' "$r") 2>/dev/null || true)"
  [ "$reply" = "imok" ]
}

pid_alive() { # pid_alive FILE WORD: the pid in FILE runs and its command line has WORD
  [ -f "$1" ] || return 1
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# ZooKeeper, standalone, with its own config and data directory.
start_zookeeper() {
  local dir="$base/zookeeper"
  if pid_alive "$dir/zookeeper.pid" QuorumPeerMain >/dev/null; then return 0; fi
  rm -f "$dir/zookeeper.pid"
  if port_taken "$zk_port"; then
    say "port 127.0.0.1:$zk_port is taken by another program; choose REKKEVIDDE_CLUSTER_ZK_PORT"
    exit 1
  fi
  mkdir -p "$dir/data" "$dir/log"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
  say "starting ZooKeeper on 127.0.0.1:$zk_port"
  ZOO_LOG_DIR="$dir/log" nohup java -Xmx256m -Dzookeeper.log.dir="$dir/log" \
    -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/zookeeper.pid"
  # An open port is not yet a serving ZooKeeper; a ClickHouse server that starts before the
  # handshake works gives up on its replicated tables and exits.
  for _ in $(seq 1 120); do
    zk_ready && return 0
    pid_alive "$dir/zookeeper.pid" QuorumPeerMain >/dev/null || { tail -20 "$dir/log/stdout.log" >&2; exit 1; }
    sleep 0.25
  done
  say "ZooKeeper did not open its port in time"
  exit 1
}

remote_servers() {
  echo "<remote_servers><$cluster>"
  for shard in 1 2; do
    echo "<shard><internal_replication>true</internal_replication>"
    for n in $((shard * 2 - 1)) $((shard * 2)); do
      echo "<replica><host>127.0.0.1</host><port>$(tcp_port "$n")</port></replica>"
    done
    echo "</shard>"
  done
  echo "</$cluster></remote_servers>"
}

write_node_config() {
  local n=$1 dir="$base/node$1"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log" "$dir/format_schemas"
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<!-- Written by scripts/cluster.sh; edits are overwritten on the next start. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>20M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$(tcp_port "$n")</tcp_port>
    <http_port>$(http_port "$n")</http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>$(interserver_port "$n")</interserver_http_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <timezone>UTC</timezone>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mlock_executable>false</mlock_executable>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node><session_timeout_ms>10000</session_timeout_ms></zookeeper>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
    <macros><shard>$(shard_of "$n")</shard><replica>$(replica_of "$n")</replica></macros>
    $(remote_servers)
</yandex>
XML
  # distributed_product_mode=local: the app's "newest version per key" reads nest a Distributed
  # table in an IN over another, which is right per shard because the sharding keys keep a key's
  # versions together (internal/store/ddl.go). load_balancing=in_order sends reads and writes to a
  # shard's first live replica, so a page right after a write reads where it was written.
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default>
        <max_memory_usage>1000000000</max_memory_usage>
        <distributed_product_mode>local</distributed_product_mode>
        <load_balancing>in_order</load_balancing>
    </default></profiles>
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

node_answers() { clickhouse-client --host 127.0.0.1 --port "$(tcp_port "$1")" --query 'SELECT 1' >/dev/null 2>&1; }

start_node() {
  local n=$1 dir="$base/node$1"
  if pid_alive "$dir/clickhouse.pid" clickhouse >/dev/null; then return 0; fi
  rm -f "$dir/clickhouse.pid"
  for port in "$(tcp_port "$n")" "$(http_port "$n")" "$(interserver_port "$n")"; do
    if port_taken "$port"; then
      say "port 127.0.0.1:$port is taken by another program; choose REKKEVIDDE_CLUSTER_PORT_BASE"
      exit 1
    fi
  done
  write_node_config "$n"
  clickhouse-server --daemon --config-file="$dir/config.xml" --pid-file="$dir/clickhouse.pid" >>"$dir/log/stdout.log" 2>&1
  # --daemon forks; the pid file appears a moment later.
  for _ in $(seq 1 40); do [ -s "$dir/clickhouse.pid" ] && break; sleep 0.25; done
}

wait_node() { # returns 1 when the server died or did not answer in time
  local n=$1 deadline=$((SECONDS + 90))
  until node_answers "$n"; do
    if [ $SECONDS -ge $deadline ] || ! pid_alive "$base/node$n/clickhouse.pid" clickhouse >/dev/null; then
      say "server $n did not come up on 127.0.0.1:$(tcp_port "$n"); last log lines:"
      tail -n 5 "$base/node$n/log/clickhouse-server.err.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

kill_node() {
  local pid
  if pid="$(pid_alive "$base/node$1/clickhouse.pid" clickhouse)"; then
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$base/node$1/clickhouse.pid"
  fi
}

start() {
  install_packages
  # A go.mod keeps `go test ./...` out of the servers' data directories.
  mkdir -p "$base"
  [ -f "$root/var/go.mod" ] || printf '// Local data, not code: keeps ./... patterns out of this folder.\nmodule local/var\n' >"$root/var/go.mod"
  start_zookeeper
  for n in 1 2 3 4; do start_node "$n"; done
  for n in 1 2 3 4; do
    # A server restarted on old data sometimes loses its first ZooKeeper handshake and exits;
    # a second start, with ZooKeeper settled, comes up.
    wait_node "$n" || { say "starting server $n again"; start_node "$n"; wait_node "$n" || exit 1; }
  done
  say "ready: 2 shards × 2 replicas on 127.0.0.1:$(tcp_port 1),$(tcp_port 2),$(tcp_port 3),$(tcp_port 4); ZooKeeper :$zk_port"
}

stop() {
  local pid
  for n in 1 2 3 4; do
    if pid="$(pid_alive "$base/node$n/clickhouse.pid" clickhouse)"; then
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$base/node$n/clickhouse.pid"
  done
  if pid="$(pid_alive "$base/zookeeper/zookeeper.pid" QuorumPeerMain)"; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$base/zookeeper/zookeeper.pid"
  say "stopped"
}

status() {
  for n in 1 2 3 4; do
    if node_answers "$n"; then echo "server $n (shard $(shard_of "$n"), replica $(replica_of "$n")): up on :$(tcp_port "$n")"; else echo "server $n: down"; fi
  done
}

run_test() {
  # A fresh cluster each time: the test's databases and ZooKeeper paths start empty.
  stop >/dev/null 2>&1 || true
  rm -rf "$base"
  start
  local addrs rc=0
  addrs="127.0.0.1:$(tcp_port 1),127.0.0.1:$(tcp_port 2),127.0.0.1:$(tcp_port 3),127.0.0.1:$(tcp_port 4)"
  REKKEVIDDE_TEST_CLUSTER="$addrs" REKKEVIDDE_TEST_CLUSTER_NAME="$cluster" \
    REKKEVIDDE_TEST_CLUSTER_SCRIPT="$root/scripts/cluster.sh" \
    go test -tags cluster -count=1 -v -timeout 15m -run 'TestCluster' ./internal/cluster/ || rc=$?
  stop
  return $rc
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill-node) kill_node "${2:?node number 1..4}" ;;
  start-node) start_node "${2:?node number 1..4}"; wait_node "$2" ;;
  test) run_test ;;
  *) echo "usage: $0 start|stop|status|install|kill-node N|start-node N|test" >&2; exit 2 ;;
esac
