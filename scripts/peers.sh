#!/usr/bin/env bash
# Real test servers ("peers") for opsctl, all on 127.0.0.1 with fixed high ports.
#
#   scripts/peers.sh install              # apt/pip packages, Kubernetes build (idempotent; root)
#   scripts/peers.sh k8s-build            # only build (or find cached) the Kubernetes binaries
#   scripts/peers.sh start [SERVICE...]   # start (default: all), wait until each answers
#   scripts/peers.sh stop  [SERVICE...]   # stop by PID, wait for exit (idempotent)
#   scripts/peers.sh status [SERVICE...]  # print which are up; exit 3 if any is down
#   scripts/peers.sh env                  # rewrite and print the env file
#
# SERVICES: moto moto-auth postgres postgres-replica pdns pebble pebble-valid nginx etcd
#           kube-etcd kube-apiserver kube-controller-manager kwok  (`kube` = these four;
#           details in scripts/k8s/peers-kube.sh)
#
# State, logs, PID files and the env file live in ${OPSCTL_PEERS_DIR:-<repo>/.peers}.
# Every `start` of a service wipes that service's state (fresh database, fresh certs,
# empty moto). After `start`, <dir>/env holds KEY=value lines (values unquoted) for the
# services that are up; `stop` rewrites it, and removes it once nothing is up.
#
# Ports: moto 25100, moto with IAM auth enforced 25101, postgres 25110 (its streaming
# replica, made with pg_basebackup, 25111), PowerDNS API
# 25120 / DNS 25121, Pebble ACME 25130 / management 25131 (challenge ports it dials:
# http-01 25132, tls-alpn-01 25133), Pebble in always-valid mode (for DNS providers it
# cannot query, e.g. Route 53 in moto) 25134 / management 25135, nginx TLS 25140, etcd client 25150 / peer 25151,
# Kubernetes: its own etcd 25160 / peer 25161, kube-apiserver HTTPS 25162, kwok's kubelet endpoint 25163.
#
# Env-file keys for the Kubernetes control plane (present while kube-apiserver is up):
#   KUBE_API_URL            https://127.0.0.1:<port>
#   KUBE_VERSION            what the server reports (v1.34.2)
#   KUBE_CA_CERT            CA of the serving certificate and of client certificates
#   KUBE_ADMIN_KUBECONFIG   static token in system:masters (seeding, controllers, kwok)
#   KUBE_MTLS_KUBECONFIG    client certificate user opsctl-mtls-deployer (group opsctl:deployers)
#   KUBE_TOKEN_KUBECONFIG   static bearer token user opsctl-token-deployer (group opsctl:deployers)
#   KUBE_VIEWER_KUBECONFIG  service account opsctl-system/opsctl-viewer: get/list/watch
#                           deployments, no patch (an RBAC-limited identity)
#   KUBE_CLIENT_CERT/KEY    the mTLS user's certificate and key (PEM files)
#   KUBE_SA_DIR             in-cluster files (token, ca.crt, namespace) of the service
#                           account opsctl-system/opsctl-deployer
#   KUBE_SA_SIGNING_KEY     the service-account token signing key (to mint expired tokens)
#   KUBE_SYSTEM_NAMESPACE   opsctl-system;  KUBE_NODE: the kwok node pods must name
#   KUBE_POD_LOGS, KUBE_POD_PREVIOUS_LOGS  files every container serves as its current and
#                           previous log (CRI format); kwok answers pods/log from them
#   KUBE_CONTROLLERS=1, KUBE_KWOK=1  when kube-controller-manager / kwok are up
# opsctl:deployers may get/list/watch/patch/update apps/deployments in every namespace.
#
# Tunables (environment):
#   OPSCTL_PEERS_DIR                 state dir (default <repo>/.peers)
#   OPSCTL_PEERS_PORT_OFFSET         added to every port (default 0)
#   OPSCTL_PEERS_PYTHON              python with moto installed (default python3)
#   OPSCTL_CACHE_DIR                 where built Kubernetes binaries are cached (default ~/.cache/opsctl)
#   OPSCTL_K8S_VERSION               Kubernetes version to build (default v1.34.2)
#   OPSCTL_PEERS_TIMEOUT             readiness timeout per service, seconds (default 60)
#   OPSCTL_PEBBLE_VALIDITY_SECONDS   Pebble certificateValidityPeriod (default 7776000 = 90 d)
#   PEBBLE_VA_ALWAYS_VALID, PEBBLE_WFE_NONCEREJECT (default 0), PEBBLE_AUTHZREUSE,
#   PEBBLE_VA_NOSLEEP (default 1)    passed through to Pebble
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_DIR="${OPSCTL_PEERS_DIR:-$ROOT/.peers}"
TIMEOUT="${OPSCTL_PEERS_TIMEOUT:-60}"
ALL_SERVICES=(moto moto-auth postgres postgres-replica pdns pebble pebble-valid nginx etcd
  kube-etcd kube-apiserver kube-controller-manager kwok)

# Ports sit below Linux's ephemeral range (32768-60999), so an outgoing connection can
# never be holding one when a server starts.
# OPSCTL_PEERS_PORT_OFFSET shifts every port, so two checkouts can run their peers side by side.
OFF="${OPSCTL_PEERS_PORT_OFFSET:-0}"
MOTO_PORT=$((25100 + OFF))
MOTO_AUTH_PORT=$((25101 + OFF))
PG_PORT=$((25110 + OFF))
PG_REPLICA_PORT=$((25111 + OFF))
PDNS_API_PORT=$((25120 + OFF))
PDNS_DNS_PORT=$((25121 + OFF))
PEBBLE_PORT=$((25130 + OFF))
PEBBLE_MGMT_PORT=$((25131 + OFF))
PEBBLE_HTTP01_PORT=$((25132 + OFF))
PEBBLE_TLSALPN_PORT=$((25133 + OFF))
PEBBLE_VALID_PORT=$((25134 + OFF))
PEBBLE_VALID_MGMT_PORT=$((25135 + OFF))
NGINX_PORT=$((25140 + OFF))
ETCD_PORT=$((25150 + OFF))
ETCD_PEER_PORT=$((25151 + OFF))

PG_PASSWORD="opsctl-test-pw"
PDNS_KEY="pdns-test-key"
PG_BIN=""

log() { printf '[peers] %s\n' "$*" >&2; }
die() { printf '[peers] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# alive = exists and is not a zombie (PID 1 here may reap exited children slowly)
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st; st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
pidfile() { printf '%s/%s.pid' "$PEERS_DIR" "$1"; }
svc_cmd_pattern() {
  case "$1" in
    moto | moto-auth) echo 'moto' ;;
    postgres | postgres-replica) echo 'postgres' ;;
    pdns) echo 'pdns_server' ;;
    pebble | pebble-valid) echo 'pebble' ;;
    nginx) echo 'nginx' ;;
    etcd) echo 'etcd --name opsctl-peers' ;;
    kube-etcd) echo 'etcd --name opsctl-kube' ;;
    kube-apiserver | kube-controller-manager | kwok) echo "$1" ;;
  esac
}
# PID from the PID file, only if that process is still the one we started
svc_pid() {
  local f pid; f="$(pidfile "$1")"
  [ -s "$f" ] || return 0
  pid="$(head -n1 "$f")"
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$(svc_cmd_pattern "$1")" && echo "$pid"
  return 0
}
svc_up() { pid_alive "$(svc_pid "$1")"; }

port_busy() {
  # true if something listens on 127.0.0.1:$1 (TCP)
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { PG_BIN="$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { PG_BIN="$(dirname "$(command -v initdb)")"; return 0; }
  die "PostgreSQL server binaries not found (run: $0 install)"
}

python_bin() {
  local py="${OPSCTL_PEERS_PYTHON:-python3}"
  # resolve shims (pyenv) to the real interpreter so the PID we record is python's
  "$py" -c 'import sys; print(sys.executable)'
}

wait_for() { # wait_for NAME FUNC : retry FUNC until it succeeds, the process dies, or timeout
  local name="$1" fn="$2" deadline=$((SECONDS + TIMEOUT))
  while :; do
    if "$fn" >/dev/null 2>&1; then return 0; fi
    if ! svc_up "$name"; then
      log "$name exited during start-up; last log lines:"
      tail -n 25 "$PEERS_DIR/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$name not ready after ${TIMEOUT}s; last log lines:"
      tail -n 25 "$PEERS_DIR/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------- install

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

cmd_install() {
  is_root || die "install must run as root"
  export DEBIAN_FRONTEND=noninteractive
  # Not servers, but what the suite runs shipped artifacts with: qemu-user-static and the
  # aarch64 glibc (libc6-arm64-cross) execute the linux-arm64 binary.
  local want=(pdns-server pdns-backend-sqlite3 sqlite3 pebble nginx etcd-server etcd-client
    openssl curl ca-certificates libfaketime qemu-user-static libc6-arm64-cross pgbackrest)
  local missing=() p pg_pkg="" updated=0
  # PostgreSQL: any installed server binaries will do; else postgresql-15 (or `postgresql`).
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then pg_pkg=postgresql-15; fi
  # nginx: accept any installed flavour (nginx, nginx-light, nginx-core, ...)
  if [ -x /usr/sbin/nginx ]; then want=("${want[@]/nginx/}"); fi
  # Go builds the Kubernetes binaries (scripts/k8s/build.sh); any Go will do, an old one
  # fetches the toolchain Kubernetes needs from the module proxy.
  if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then want+=(golang-go); fi
  for p in "${want[@]}"; do
    [ -n "$p" ] || continue
    pkg_installed "$p" || missing+=("$p")
  done
  if [ -n "$pg_pkg" ] || [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get update"
    apt-get update -qq
    updated=1
    if [ -n "$pg_pkg" ]; then
      if apt-cache show postgresql-15 >/dev/null 2>&1; then missing+=(postgresql-15); else missing+=(postgresql); fi
    fi
    # Keep package scripts from starting system services (nginx on :80, postgres on
    # :5432, pdns on :53, etcd on :2379): our servers use their own ports and dirs.
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; own_policy=1
    fi
    log "apt-get install ${missing[*]}"
    local rc=0
    apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
      >/tmp/opsctl-peers-apt.log 2>&1 || rc=$?
    [ "$own_policy" -eq 1 ] && rm -f "$policy"
    if [ "$rc" -ne 0 ]; then tail -n 40 /tmp/opsctl-peers-apt.log >&2; die "apt-get install failed"; fi
    # Belt and braces: if an init system started them anyway, stop them.
    if [ -d /run/systemd/system ]; then
      local unit
      for unit in nginx postgresql pdns etcd; do
        systemctl is-active --quiet "$unit" 2>/dev/null && { systemctl stop "$unit" || true; systemctl disable "$unit" >/dev/null 2>&1 || true; }
      done
    fi
  fi
  [ "$updated" -eq 1 ] || log "apt packages already installed"

  local py; py="${OPSCTL_PEERS_PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || die "$py not found"
  if "$py" -c 'import moto, moto.server, flask, flask_cors, boto3' >/dev/null 2>&1; then
    log "moto already installed ($("$py" -c 'import moto; print(moto.__version__)'))"
  else
    log "pip install 'moto[server]'"
    if ! "$py" -m pip install -q --disable-pip-version-check 'moto[server]'; then
      # Debian's own python3 refuses system-wide installs (PEP 668)
      PIP_BREAK_SYSTEM_PACKAGES=1 "$py" -m pip install -q --disable-pip-version-check 'moto[server]'
    fi
    "$py" -c 'import moto.server' || die "moto server not importable after install"
  fi
  bash "$ROOT/scripts/k8s/build.sh" || die "building the Kubernetes binaries failed"
  log "install done"
}

# ---------------------------------------------------------------------------- helpers

# Spawn a daemon in the background, record its PID.  spawn NAME CMD...
spawn() {
  local name="$1"; shift
  : >"$PEERS_DIR/$name.log"
  ( cd "$PEERS_DIR" && exec "$@" ) </dev/null >>"$PEERS_DIR/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
  # Until the subshell has exec'd, its command line is this script's, and svc_up would
  # call a starting server dead: wait (up to 2 s) for the exec.
  local i
  for i in $(seq 1 20); do [ -n "$(svc_pid "$name")" ] && break; sleep 0.1; done
}

check_ports_free() { # NAME PORT...
  local name="$1" p; shift
  for p in "$@"; do
    port_busy "$p" && die "$name: port 127.0.0.1:$p is already in use (another peers dir? run status/stop)"
  done
  return 0
}

sigv4_ec2() { # PORT AKID SECRET ACTION-QUERY  -> prints "HTTP_CODE BODY"
  curl -sS -m 5 -o - -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:ec2" --user "$2:$3" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "$4" "http://127.0.0.1:$1/"
}

# ---------------------------------------------------------------------------- moto

start_moto_common() { # NAME PORT [auth]
  local name="$1" port="$2" auth="${3:-}" py dir="$PEERS_DIR/$1"
  py="$(python_bin)"
  check_ports_free "$name" "$port"
  rm -rf "$dir"; mkdir -p "$dir"
  local envs=(MOTO_RECORDER_FILEPATH="$dir/recording.jsonl" MOTO_PORT="$port")
  if [ -n "$auth" ]; then
    envs+=(INITIAL_NO_AUTH_ACTION_COUNT=0)
  fi
  # libfaketime: write e.g. "-40d" into $dir/faketime (MOTO_CLOCK_FILE, MOTO_AUTH_CLOCK_FILE)
  # to move moto's clock (volume CreateTime, snapshot StartTime ...), "+0" to come back; an
  # absolute "2020-01-02 03:04:05" freezes it. The file is re-read on every clock call.
  local lib
  lib="$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -n1 || true)"
  [ -n "$lib" ] || die "libfaketime not found (run: $0 install)"
  echo "+0" >"$dir/faketime"
  envs+=(LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$dir/faketime" FAKETIME_NO_CACHE=1
    DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1)
  spawn "$name" env "${envs[@]}" "$py" -m moto.server -H 127.0.0.1 -p "$port"
}

ready_moto() {
  local out; out="$(sigv4_ec2 "$MOTO_PORT" test test 'Action=DescribeVolumes&Version=2016-11-15')"
  [ "$(tail -n1 <<<"$out")" = 200 ] && grep -q DescribeVolumesResponse <<<"$out"
}
ready_moto_auth() {
  # a real call with unknown credentials must be refused (proves auth is enforced)
  local out; out="$(sigv4_ec2 "$MOTO_AUTH_PORT" AKIAUNKNOWNPEERS0000 nosecret 'Action=DescribeVolumes&Version=2016-11-15')"
  local code; code="$(tail -n1 <<<"$out")"
  case "$code" in
    200) log "moto-auth: unknown credentials were accepted: auth is NOT enforced"; return 1 ;;
    4??) grep -q -E 'AuthFailure|InvalidClientTokenId' <<<"$out" ;;
    *) return 1 ;;
  esac
}
start_moto() { start_moto_common moto "$MOTO_PORT"; }
start_moto_auth() { start_moto_common moto-auth "$MOTO_AUTH_PORT" auth; }

# ---------------------------------------------------------------------------- postgres


as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The data dir must be reachable by the postgres user: if the peers dir is not (e.g. a
# checkout under /root), it goes to /tmp and <peers>/postgres is a symlink to it.
start_postgres() {
  find_pg_bin
  check_ports_free postgres "$PG_PORT"
  local link="$PEERS_DIR/postgres"
  if [ -L "$link" ]; then rm -rf "$(readlink "$link")"; rm -f "$link"; else rm -rf "$link"; fi
  local PG_BASE="$link"
  mkdir -p "$PG_BASE"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "no postgres user (run: $0 install)"
    chown postgres: "$PG_BASE"
    if ! runuser -u postgres -- test -w "$PG_BASE"; then
      rmdir "$PG_BASE"
      PG_BASE="$(mktemp -d /tmp/opsctl-peers-postgres.XXXXXX)"
      chown postgres: "$PG_BASE"
      ln -s "$PG_BASE" "$link"
    fi
  fi
  local data="$PG_BASE/data"
  as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$PEERS_DIR/postgres-initdb.log" 2>&1 \
    || { cat "$PEERS_DIR/postgres-initdb.log" >&2; die "initdb failed"; }
  cat >>"$data/postgresql.conf" <<EOF
# opsctl peers
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
log_min_messages = warning
EOF
  cat >"$data/pg_hba.conf" <<'EOF'
# opsctl peers: superuser postgres without password from loopback, others by password
local all all                trust
host  all postgres 127.0.0.1/32 trust
host  all all      127.0.0.1/32 scram-sha-256
host  replication postgres 127.0.0.1/32 trust
EOF
  : >"$PG_BASE/postgres.log"
  is_root && chown postgres: "$data/postgresql.conf" "$data/pg_hba.conf" "$PG_BASE/postgres.log"
  ln -sf "$PG_BASE/postgres.log" "$PEERS_DIR/postgres.log"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$PG_BASE/postgres.log" -w -t "$TIMEOUT" -s start \
    || { tail -n 30 "$PG_BASE/postgres.log" >&2; die "postgres did not start"; }
  head -n1 "$data/postmaster.pid" >"$(pidfile postgres)"
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
  "${psql[@]}" -c "CREATE ROLE opsctl LOGIN PASSWORD '$PG_PASSWORD'" \
    -c "CREATE DATABASE opsctl OWNER opsctl" >/dev/null
}

ready_postgres() {
  [ -n "$PG_BIN" ] || find_pg_bin
  [ "$(PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -tA -h 127.0.0.1 -p "$PG_PORT" \
    -U opsctl -d opsctl -c 'SELECT current_user')" = opsctl ]
}

# A hot standby of postgres (pg_basebackup -R: streaming replication from PG_PORT). It
# keeps its own statistics (pg_stat_user_indexes counts the scans run on it), which is
# what db-maintenance's replica checks read. Needs postgres up; a (re)start of postgres
# restarts it too, since a fresh primary is a different cluster.
start_postgres_replica() {
  find_pg_bin
  svc_up postgres || die "postgres-replica needs postgres running (start: $0 start postgres postgres-replica)"
  check_ports_free postgres-replica "$PG_REPLICA_PORT"
  local link="$PEERS_DIR/postgres-replica" base
  if [ -L "$link" ]; then rm -rf "$(readlink "$link")"; rm -f "$link"; else rm -rf "$link"; fi
  # beside the primary's base dir, which is known to be reachable by the postgres user
  base="$(dirname "$(readlink -f "$PEERS_DIR/postgres/data")")-replica"
  rm -rf "$base"; mkdir -p "$base"
  is_root && chown postgres: "$base"
  [ "$base" = "$link" ] || ln -s "$base" "$link"
  local data="$base/data"
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$data" -R -X stream \
    --no-sync -c fast >"$PEERS_DIR/postgres-replica-basebackup.log" 2>&1 \
    || { cat "$PEERS_DIR/postgres-replica-basebackup.log" >&2; die "pg_basebackup failed"; }
  # later lines win in postgresql.conf: only the port and the standby settings differ
  cat >>"$data/postgresql.conf" <<EOF
# opsctl peers: replica
port = $PG_REPLICA_PORT
hot_standby = on
EOF
  : >"$base/postgres.log"
  is_root && chown postgres: "$data/postgresql.conf" "$base/postgres.log"
  ln -sf "$base/postgres.log" "$PEERS_DIR/postgres-replica.log"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$base/postgres.log" -w -t "$TIMEOUT" -s start \
    || { tail -n 30 "$base/postgres.log" >&2; die "postgres-replica did not start"; }
  head -n1 "$data/postmaster.pid" >"$(pidfile postgres-replica)"
}

ready_postgres_replica() {
  [ -n "$PG_BIN" ] || find_pg_bin
  # in recovery, streaming from the primary, and reachable as opsctl
  [ "$(PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -tA -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U postgres -d postgres \
    -c "SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')")" = t ] &&
    [ "$(PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -tA -h 127.0.0.1 -p "$PG_REPLICA_PORT" \
      -U opsctl -d opsctl -c 'SELECT current_user')" = opsctl ]
}

# ---------------------------------------------------------------------------- PowerDNS

start_pdns() {
  local dir="$PEERS_DIR/pdns" schema
  check_ports_free pdns "$PDNS_API_PORT" "$PDNS_DNS_PORT"
  rm -rf "$dir"; mkdir -p "$dir"
  schema="$(ls /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql 2>/dev/null | head -n1 || true)"
  [ -n "$schema" ] || die "pdns sqlite schema not found (run: $0 install)"
  sqlite3 "$dir/pdns.sqlite3" <"$schema"
  cat >"$dir/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$dir/pdns.sqlite3
local-address=127.0.0.1
local-port=$PDNS_DNS_PORT
api=yes
api-key=$PDNS_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$PDNS_API_PORT
webserver-allow-from=127.0.0.0/8
socket-dir=$dir
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
loglevel=4
zone-cache-refresh-interval=0
default-soa-content=ns1.opsctl.test. hostmaster.@ 0 10800 3600 604800 3600
EOF
  spawn pdns /usr/sbin/pdns_server --config-dir="$dir"
}

ready_pdns() {
  curl -fsS -m 3 -H "X-API-Key: $PDNS_KEY" "http://127.0.0.1:$PDNS_API_PORT/api/v1/servers/localhost" \
    | grep -q '"daemon_type"'
}

# ---------------------------------------------------------------------------- certs

# make_cert DIR NAME CA_DIR|"" : EC P-256 leaf for 127.0.0.1/localhost (self-signed if no CA)
make_ca() {
  local dir="$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=opsctl peers test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1
}
make_leaf() { # DIR CA_DIR
  local dir="$1" ca="$2"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$dir/key.pem" -out "$dir/leaf.csr" >/dev/null 2>&1
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$dir/leaf.ext"
  openssl x509 -req -in "$dir/leaf.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
    -days 825 -extfile "$dir/leaf.ext" -out "$dir/cert.pem" >/dev/null 2>&1
  rm -f "$dir/leaf.csr" "$dir/leaf.ext"
}
make_selfsigned() { # DIR
  local dir="$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj "/CN=localhost" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -addext "extendedKeyUsage=serverAuth" \
    >/dev/null 2>&1
}

# ---------------------------------------------------------------------------- Pebble

start_pebble_common() { # NAME PORT MGMT_PORT HTTP01_PORT TLSALPN_PORT [always-valid]
  local name="$1" port="$2" mgmt="$3" http01="$4" tlsalpn="$5" valid="${6:-}" dir="$PEERS_DIR/$1"
  check_ports_free "$name" "$port" "$mgmt"
  rm -rf "$dir"; mkdir -p "$dir"
  if ! { make_ca "$dir" && make_leaf "$dir" "$dir"; }; then die "openssl failed for $name certs"; fi
  cat >"$dir/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mgmt",
    "certificate": "$dir/cert.pem",
    "privateKey": "$dir/key.pem",
    "httpPort": $http01,
    "tlsPort": $tlsalpn,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "certificateValidityPeriod": ${OPSCTL_PEBBLE_VALIDITY_SECONDS:-7776000}
  }
}
EOF
  local envs=(PEBBLE_VA_NOSLEEP="${PEBBLE_VA_NOSLEEP:-1}" PEBBLE_WFE_NONCEREJECT="${PEBBLE_WFE_NONCEREJECT:-0}")
  if [ -n "$valid" ]; then envs+=(PEBBLE_VA_ALWAYS_VALID=1)
  elif [ -n "${PEBBLE_VA_ALWAYS_VALID:-}" ]; then envs+=(PEBBLE_VA_ALWAYS_VALID="$PEBBLE_VA_ALWAYS_VALID"); fi
  [ -n "${PEBBLE_AUTHZREUSE:-}" ] && envs+=(PEBBLE_AUTHZREUSE="$PEBBLE_AUTHZREUSE")
  spawn "$name" env "${envs[@]}" /usr/bin/pebble -config "$dir/pebble-config.json" \
    -dnsserver "127.0.0.1:$PDNS_DNS_PORT"
}

start_pebble() { start_pebble_common pebble "$PEBBLE_PORT" "$PEBBLE_MGMT_PORT" "$PEBBLE_HTTP01_PORT" "$PEBBLE_TLSALPN_PORT"; }
# Never dials a challenge port: always-valid mode skips validation.
start_pebble_valid() {
  start_pebble_common pebble-valid "$PEBBLE_VALID_PORT" "$PEBBLE_VALID_MGMT_PORT" "$((25136 + OFF))" "$((25137 + OFF))" always-valid
}

ready_pebble_common() { # NAME PORT MGMT_PORT
  local dir="$PEERS_DIR/$1"
  curl -fsS -m 3 --cacert "$dir/ca.pem" "https://127.0.0.1:$2/dir" | grep -q newNonce || return 1
  # the issuing root changes on every start: save it for tests
  curl -fsS -m 3 --cacert "$dir/ca.pem" "https://127.0.0.1:$3/roots/0" -o "$dir/issuer-root.pem.tmp" \
    && grep -q 'BEGIN CERTIFICATE' "$dir/issuer-root.pem.tmp" && mv "$dir/issuer-root.pem.tmp" "$dir/issuer-root.pem"
}
ready_pebble() { ready_pebble_common pebble "$PEBBLE_PORT" "$PEBBLE_MGMT_PORT"; }
ready_pebble_valid() { ready_pebble_common pebble-valid "$PEBBLE_VALID_PORT" "$PEBBLE_VALID_MGMT_PORT"; }

# ---------------------------------------------------------------------------- nginx

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

start_nginx() {
  local dir="$PEERS_DIR/nginx" bin; bin="$(nginx_bin)"
  [ -x "$bin" ] || die "nginx not found (run: $0 install)"
  check_ports_free nginx "$NGINX_PORT"
  rm -rf "$dir"; mkdir -p "$dir/tmp" "$dir/logs"
  make_selfsigned "$dir" || die "openssl failed for nginx cert"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 128; }
http {
  access_log $dir/logs/access.log;
  client_body_temp_path $dir/tmp/client_body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  default_type text/plain;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    server_name localhost;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    location / { return 200 "opsctl peers nginx\n"; }
  }
}
EOF
  # NGINX_RELOAD: validate the config, send HUP, then wait until the served
  # certificate is the one on disk (reload is asynchronous).
  cat >"$dir/reload.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
NGX=(${bin} -p $dir/ -c $dir/nginx.conf -e $dir/logs/error.log)
"\${NGX[@]}" -t -q
"\${NGX[@]}" -s reload
want="\$(openssl x509 -in $dir/cert.pem -noout -fingerprint -sha256)"
for _ in \$(seq 1 100); do
  got="\$(openssl s_client -connect 127.0.0.1:$NGINX_PORT -servername localhost </dev/null 2>/dev/null \\
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null || true)"
  [ "\$got" = "\$want" ] && exit 0
  sleep 0.1
done
echo "nginx reload: served certificate did not change within 10 s" >&2
exit 1
EOF
  chmod +x "$dir/reload.sh"
  spawn nginx "$bin" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
}

ready_nginx() {
  curl -fsS -m 3 --cacert "$PEERS_DIR/nginx/cert.pem" "https://127.0.0.1:$NGINX_PORT/" | grep -q 'opsctl peers nginx'
}

# ---------------------------------------------------------------------------- etcd

start_etcd() {
  local dir="$PEERS_DIR/etcd"
  command -v etcd >/dev/null 2>&1 || die "etcd not found (run: $0 install)"
  check_ports_free etcd "$ETCD_PORT" "$ETCD_PEER_PORT"
  rm -rf "$dir"; mkdir -p "$dir"
  spawn etcd etcd --name opsctl-peers --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "opsctl-peers=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --unsafe-no-fsync --logger zap --log-outputs stderr --log-level warn
}

ready_etcd() {
  ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$ETCD_PORT" --command-timeout=3s \
    put opsctl-peers/ready "$$" >/dev/null &&
    ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$ETCD_PORT" --command-timeout=3s \
      del opsctl-peers/ready >/dev/null
}

# ---------------------------------------------------------------------------- Kubernetes

# shellcheck source=k8s/peers-kube.sh
. "$ROOT/scripts/k8s/peers-kube.sh"

# ---------------------------------------------------------------------------- env file

write_env() {
  local f="$PEERS_DIR/env" tmp="$PEERS_DIR/env.tmp"
  {
    echo "# written by scripts/peers.sh; services that are up"
    echo "OPSCTL_PEERS_DIR=$PEERS_DIR"
    if svc_up moto; then
      echo "MOTO_URL=http://127.0.0.1:$MOTO_PORT"
      [ -f "$PEERS_DIR/moto/faketime" ] && echo "MOTO_CLOCK_FILE=$PEERS_DIR/moto/faketime"
    fi
    if svc_up moto-auth; then
      echo "MOTO_AUTH_URL=http://127.0.0.1:$MOTO_AUTH_PORT"
      [ -f "$PEERS_DIR/moto-auth/faketime" ] && echo "MOTO_AUTH_CLOCK_FILE=$PEERS_DIR/moto-auth/faketime"
    fi
    if svc_up postgres; then
      echo "PG_URL=postgres://opsctl:$PG_PASSWORD@127.0.0.1:$PG_PORT/opsctl"
      echo "PG_ADMIN_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    fi
    if svc_up postgres-replica; then
      echo "PG_REPLICA_URL=postgres://opsctl:$PG_PASSWORD@127.0.0.1:$PG_REPLICA_PORT/opsctl"
      echo "PG_REPLICA_ADMIN_URL=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/postgres"
    fi
    if svc_up pdns; then
      echo "PDNS_API_URL=http://127.0.0.1:$PDNS_API_PORT"
      echo "PDNS_API_KEY=$PDNS_KEY"
      echo "PDNS_DNS_PORT=$PDNS_DNS_PORT"
    fi
    if svc_up pebble; then
      echo "PEBBLE_DIRECTORY_URL=https://127.0.0.1:$PEBBLE_PORT/dir"
      echo "PEBBLE_MGMT_URL=https://127.0.0.1:$PEBBLE_MGMT_PORT"
      echo "PEBBLE_CA_CERT=$PEERS_DIR/pebble/ca.pem"
      [ -f "$PEERS_DIR/pebble/issuer-root.pem" ] && echo "PEBBLE_ISSUER_ROOT=$PEERS_DIR/pebble/issuer-root.pem"
      echo "PEBBLE_CERT_VALIDITY_SECONDS=$(sed -n 's/.*"certificateValidityPeriod": *\([0-9]*\).*/\1/p' "$PEERS_DIR/pebble/pebble-config.json")"
    fi
    if svc_up pebble-valid; then
      echo "PEBBLE_VALID_DIRECTORY_URL=https://127.0.0.1:$PEBBLE_VALID_PORT/dir"
      echo "PEBBLE_VALID_CA_CERT=$PEERS_DIR/pebble-valid/ca.pem"
      [ -f "$PEERS_DIR/pebble-valid/issuer-root.pem" ] && echo "PEBBLE_VALID_ISSUER_ROOT=$PEERS_DIR/pebble-valid/issuer-root.pem"
    fi
    if svc_up nginx; then
      echo "NGINX_URL=https://127.0.0.1:$NGINX_PORT"
      echo "NGINX_CERT=$PEERS_DIR/nginx/cert.pem"
      echo "NGINX_KEY=$PEERS_DIR/nginx/key.pem"
      echo "NGINX_RELOAD=$PEERS_DIR/nginx/reload.sh"
    fi
    svc_up etcd && echo "ETCD_URL=http://127.0.0.1:$ETCD_PORT"
    kube_env
    true
  } >"$tmp"
  mv "$tmp" "$f"
}

# ---------------------------------------------------------------------------- commands

select_services() { # validates args, prints service list
  local s a
  if [ "$#" -eq 0 ]; then printf '%s\n' "${ALL_SERVICES[@]}"; return; fi
  # `kube` names the whole control plane
  local args=()
  for a in "$@"; do
    if [ "$a" = kube ]; then args+=("${KUBE_SERVICES[@]}"); else args+=("$a"); fi
  done
  set -- "${args[@]}"
  for a in "$@"; do
    local ok=0
    for s in "${ALL_SERVICES[@]}"; do [ "$a" = "$s" ] && ok=1; done
    [ "$ok" -eq 1 ] || die "unknown service '$a' (known: ${ALL_SERVICES[*]} kube)"
  done
  # keep canonical order (pdns before pebble, ...)
  for s in "${ALL_SERVICES[@]}"; do
    for a in "$@"; do [ "$a" = "$s" ] && { echo "$s"; break; }; done
  done
}

fn_name() { echo "${1//-/_}"; }

ensure_gitignore() {
  [ "$PEERS_DIR" = "$ROOT/.peers" ] || return 0
  local gi="$ROOT/.gitignore"
  grep -qxF '.peers/' "$gi" 2>/dev/null || echo '.peers/' >>"$gi"
}

cmd_start() {
  local services; mapfile -t services < <(select_services "$@")
  case "$PEERS_DIR" in *[[:space:]]*) die "OPSCTL_PEERS_DIR must not contain whitespace";; esac
  mkdir -p "$PEERS_DIR"
  PEERS_DIR="$(cd "$PEERS_DIR" && pwd)"
  ensure_gitignore
  command -v curl >/dev/null 2>&1 || die "curl not found (run: $0 install)"
  local t0=$SECONDS s to_wait=() failed=0
  # postgres last: initdb runs while the others boot; its replica after it is ready
  local replica=0
  for s in "${services[@]}"; do
    [ "$s" = postgres-replica ] && { replica=1; continue; }
    [ "$s" = postgres ] && continue
    if svc_up "$s"; then log "$s already running (pid $(svc_pid "$s"))"; continue; fi
    rm -f "$(pidfile "$s")"
    "start_$(fn_name "$s")"
    to_wait+=("$s")
  done
  for s in "${services[@]}"; do
    [ "$s" = postgres ] || continue
    if svc_up postgres; then log "postgres already running (pid $(svc_pid postgres))"; continue; fi
    rm -f "$(pidfile postgres)"
    # a replica of the previous primary cannot follow a fresh one
    if svc_up postgres-replica; then stop_one postgres-replica; replica=1; fi
    start_postgres
    to_wait+=(postgres)
  done
  for s in "${to_wait[@]}"; do
    if wait_for "$s" "ready_$(fn_name "$s")"; then
      log "$s ready (pid $(svc_pid "$s"))"
    else
      failed=1
    fi
  done
  if [ "$replica" -eq 1 ]; then
    if svc_up postgres-replica; then log "postgres-replica already running (pid $(svc_pid postgres-replica))"
    elif ! svc_up postgres; then log "postgres-replica needs postgres"; failed=1
    else
      rm -f "$(pidfile postgres-replica)"
      start_postgres_replica
      if wait_for postgres-replica ready_postgres_replica; then log "postgres-replica ready (pid $(svc_pid postgres-replica))"; else failed=1; fi
    fi
  fi
  write_env
  log "started in $((SECONDS - t0))s; env: $PEERS_DIR/env"
  [ "$failed" -eq 0 ] || die "some services failed to start (logs in $PEERS_DIR)"
}

stop_one() {
  local s="$1" pid sig=TERM i
  pid="$(svc_pid "$s")"
  if ! pid_alive "$pid"; then rm -f "$(pidfile "$s")"; return 0; fi
  case "$s" in postgres | postgres-replica) sig=INT ;; esac   # fast shutdown
  kill -s "$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$s (pid $pid) did not exit after 15s: SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  # nginx workers follow their master; give them a moment
  if [ "$s" = nginx ]; then
    for i in $(seq 1 50); do pgrep -P "$pid" >/dev/null 2>&1 || break; sleep 0.1; done
  fi
  rm -f "$(pidfile "$s")"
  log "$s stopped"
}

cmd_stop() {
  local services; mapfile -t services < <(select_services "$@")
  [ -d "$PEERS_DIR" ] || { log "nothing to stop ($PEERS_DIR does not exist)"; return 0; }
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do stop_one "${services[$i]}"; done
  write_env
  # nothing left up: remove the env file so tests report "not running"
  grep -q '_URL=' "$PEERS_DIR/env" || rm -f "$PEERS_DIR/env"
}

cmd_status() {
  local services; mapfile -t services < <(select_services "$@")
  local s down=0
  for s in "${services[@]}"; do
    if svc_up "$s"; then printf '%-24s up    pid %s\n' "$s" "$(svc_pid "$s")"
    else printf '%-24s down\n' "$s"; down=1; fi
  done
  [ "$down" -eq 0 ] || return 3
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    install) cmd_install ;;
    k8s-build) bash "$ROOT/scripts/k8s/build.sh" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) mkdir -p "$PEERS_DIR"; write_env; cat "$PEERS_DIR/env" ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
