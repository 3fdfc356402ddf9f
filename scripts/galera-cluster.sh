#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on this machine, from Debian's packages (mariadb-server, galera-4, rsync).
#
#   scripts/galera-cluster.sh up          start the three nodes (node 1 bootstraps), wait until all are Synced
#   scripts/galera-cluster.sh down        stop every node this directory started, and remove the directory
#   scripts/galera-cluster.sh status      one line per node: port, pid, wsrep state
#   scripts/galera-cluster.sh kill N      SIGKILL node N (1–3), as a crash would
#   scripts/galera-cluster.sh start N     start node N again; it rejoins by IST or SST and waits until Synced
#
# Settings (environment):
#   GALERA_DIR        where the nodes keep their datadirs, sockets, logs and pids
#                     (default: ${TMPDIR:-/tmp}/internal-transfers-galera)
#   GALERA_PORT_BASE  node N (1–3) serves SQL on BASE+N-1, group communication on BASE+100+N-1,
#                     IST on BASE+200+N-1 and SST on BASE+300+N-1 (default 13306: 13306, 13307, 13308)
# Clients: DATABASE_URL=mysql://root@127.0.0.1:13306,127.0.0.1:13307,127.0.0.1:13308/transfers
set -euo pipefail

DIR="${GALERA_DIR:-${TMPDIR:-/tmp}/internal-transfers-galera}"
BASE="${GALERA_PORT_BASE:-13306}"
PROVIDER=/usr/lib/galera/libgalera_smm.so
NODES=(1 2 3)
# The rsync daemon of an SST drops root for nobody, who could not write a root-owned datadir; as root the nodes run as mysql.
if [ "$(id -u)" = 0 ]; then RUN_AS=mysql; else RUN_AS=$(id -un); fi

log() { printf '[cluster] %s\n' "$*" >&2; }

sql_port() { echo $((BASE + $1 - 1)); }
gcomm_port() { echo $((BASE + 100 + $1 - 1)); }
node_dir() { echo "$DIR/node$1"; }
pid_of() { cat "$(node_dir "$1")/mariadbd.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
client() { mariadb --protocol=socket --socket="$(node_dir "$1")/mysqld.sock" --user=root --batch --skip-column-names "${@:2}"; }
wsrep_state() { client "$1" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true; }
cluster_size() { client "$1" -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2 || true; }

# Debian's mariadb-server ships the SST scripts; the provider is in galera-4, rsync does the SST.
ensure_packages() {
  local missing=()
  [ -f "$PROVIDER" ] || missing+=(galera-4)
  command -v rsync >/dev/null || missing+=(rsync)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "missing packages: ${missing[*]} (install them with apt-get as root)"; exit 1; fi
  log "installing ${missing[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

write_config() { # node
  local n=$1 d; d=$(node_dir "$1")
  local members=() m
  for m in "${NODES[@]}"; do members+=("127.0.0.1:$(gcomm_port "$m")"); done
  mkdir -p "$d/data" "$d/tmp"
  chown "$RUN_AS" "$DIR" "$d" "$d/data" "$d/tmp"
  cat >"$d/my.cnf" <<EOF
[mysqld]
user=$RUN_AS
datadir=$d/data
tmpdir=$d/tmp
socket=$d/mysqld.sock
pid-file=$d/mariadbd.pid
log-error=$d/error.log
port=$(sql_port "$n")
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_bin
innodb_buffer_pool_size=128M
innodb_log_file_size=64M
# Galera's requirements: row-based replication, interleaved auto-increment locks, InnoDB.
binlog_format=ROW
innodb_autoinc_lock_mode=2
default_storage_engine=InnoDB
innodb_flush_log_at_trx_commit=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=internal-transfers
wsrep_cluster_address=gcomm://$(IFS=,; echo "${members[*]}")
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$(gcomm_port "$n")
wsrep_provider_options="base_port=$(gcomm_port "$n");gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$((BASE + 200 + n - 1));gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((BASE + 300 + n - 1))
wsrep_slave_threads=2
EOF
}

wait_synced() { # node, seconds
  local n=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if ! running "$n"; then log "node $n exited; see $(node_dir "$n")/error.log"; tail -n 20 "$(node_dir "$n")/error.log" >&2 || true; return 1; fi
    [ "$(wsrep_state "$n")" = Synced ] && return 0
    sleep 0.5
  done
  log "node $n is not Synced after $2 s (state: $(wsrep_state "$n")); see $(node_dir "$n")/error.log"
  return 1
}

start_node() { # node, extra mariadbd arguments...
  local n=$1 d; d=$(node_dir "$1"); shift
  if running "$n"; then log "node $n already runs (pid $(pid_of "$n"))"; return 0; fi
  write_config "$n"
  if [ ! -d "$d/data/mysql" ] && [ "$n" = 1 ]; then
    mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1 ||
      { cat "$d/install.log" >&2; return 1; }
  fi
  # Its own session, so that a Ctrl-C of the caller does not reach it; stopped by pid only.
  setsid mariadbd --defaults-file="$d/my.cnf" --wsrep-on "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  local deadline=$((SECONDS + 30))
  until [ -s "$d/mariadbd.pid" ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  wait_synced "$n" 120
  log "node $n Synced on 127.0.0.1:$(sql_port "$n") (pid $(pid_of "$n"))"
}

up() {
  ensure_packages
  mkdir -p "$DIR"
  local started=$SECONDS
  if running 1 || running 2 || running 3; then
    for n in "${NODES[@]}"; do start_node "$n"; done
  else
    # A fresh or fully stopped cluster: node 1 forms a new one (safe_to_bootstrap marks it able to).
    [ -f "$(node_dir 1)/data/grastate.dat" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(node_dir 1)/data/grastate.dat"
    start_node 1 --wsrep-new-cluster
    start_node 2
    start_node 3
  fi
  log "3 nodes Synced (cluster size $(cluster_size 1)) in $((SECONDS - started)) s"
  echo "DATABASE_URL=mysql://root@127.0.0.1:$(sql_port 1),127.0.0.1:$(sql_port 2),127.0.0.1:$(sql_port 3)/transfers"
}

stop_node() { # node
  local n=$1 pid; pid=$(pid_of "$n")
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  log "node $n did not stop in 30 s; killing pid $pid"
  kill -KILL "$pid" 2>/dev/null || true
}

down() {
  [ -d "$DIR" ] || { log "no cluster at $DIR"; return 0; }
  for n in 3 2 1; do stop_node "$n"; done
  rm -rf "$DIR"
  log "stopped; removed $DIR"
}

status() {
  for n in "${NODES[@]}"; do
    if running "$n"; then
      echo "node$n 127.0.0.1:$(sql_port "$n") pid $(pid_of "$n") $(wsrep_state "$n") size $(cluster_size "$n")"
    else
      echo "node$n 127.0.0.1:$(sql_port "$n") stopped"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill) pid=$(pid_of "${2:?node number}"); [ -n "$pid" ] && kill -KILL "$pid" && log "node $2 killed (pid $pid)" ;;
  start) start_node "${2:?node number}" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
