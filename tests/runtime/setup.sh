#!/usr/bin/env bash
# Sets up what the runtime tests (tests/runtime, pytest marker `runtime`) run on, and is safe to run again:
#   1. the Dapr runtime built from Go modules (daprd with the components the generated code uses, the scheduler,
#      sentry (the certificate authority of mTLS, for the access-control test),
#      the Dapr CLI), cached by Dapr version and a hash of tests/runtime/go under the user cache dir;
#   2. Redis and PostgreSQL (Debian packages, installed with apt-get when missing and run as root) and a
#      single-node KRaft Kafka broker (the org.apache.kafka jars, fetched with Maven), each started on loopback
#      on its own port unless it already answers there;
#   3. runtime.env in the cache dir: where all of that is, read by tests/runtime/environment.py.
# Needs Go (see tests/runtime/go/go.mod for the version), Java 17 and Maven for Kafka.
# Usage: setup.sh [all|runtime|servers]   (default all; runtime.env is written when both are there)
# Environment: DAPR_CODER_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/async-dapr-coder),
# DAPR_CODER_SERVERS_DIR (default /tmp/async-dapr-coder-servers), DAPR_CODER_NO_KAFKA=1 to skip Kafka,
# DAPR_CODER_OLDEST=1 for the oldest supported release instead (daprd and the scheduler of Dapr 1.15 from
# go-1.15, the same CLI): written to runtime-oldest.env, used when DAPR_CODER_DAPR_VERSION=oldest.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
DAPR_VERSION=1.18.3          # github.com/dapr/dapr in go/go.mod
GO_DIR=go
ENV_NAME=runtime
if [ "${DAPR_CODER_OLDEST:-}" = "1" ]; then
  DAPR_VERSION=1.15.0        # github.com/dapr/dapr in go-1.15/go.mod: the oldest release the README supports
  GO_DIR=go-1.15
  ENV_NAME=runtime-oldest
fi
KAFKA_VERSION=4.1.1          # kafka.version in kafka/pom.xml
CLI_VERSION=1.16.5           # github.com/dapr/cli in go/cli/go.mod
REDIS_PORT=16379
POSTGRES_PORT=15432
KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
# A second listener that the broker advertises at KAFKA_RELAY_PORT, where no one listens until a test puts a
# relay there (tests/runtime/tcp_cut.py): clients that bootstrap through the relay stay on it, so the test can
# cut the broker off ("broker down at publish") without touching the other clients on KAFKA_PORT.
KAFKA_RELAYED_PORT=19094
KAFKA_RELAY_PORT=19095
CACHE="${DAPR_CODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/async-dapr-coder}"
SERVERS="${DAPR_CODER_SERVERS_DIR:-/tmp/async-dapr-coder-servers}"
mkdir -p "$CACHE" "$SERVERS"

say() { echo "runtime setup: $*"; }
die() { echo "runtime setup: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, seconds, what
  for _ in $(seq 1 "$(($2 * 2))"); do port_open "$1" && return 0; sleep 0.5; done
  die "$3 did not open 127.0.0.1:$1 within $2 s"
}

WHAT="${1:-all}"
case "$WHAT" in all|runtime|servers) ;; *) die "usage: $0 [all|runtime|servers]" ;; esac

# --- 1. the runtime ----------------------------------------------------------------------------------------
build_runtime() {
command -v go >/dev/null || die "Go is not installed: the runtime tests need it to build daprd (go/go.mod)"
SOURCES_HASH="$(cd "$HERE/$GO_DIR" && { go version; find . -name 'go.mod' -o -name 'go.sum' -o -name '*.go' | sort \
  | xargs cat; } | sha256sum | cut -c1-12)"
RUNTIME="$CACHE/dapr-$DAPR_VERSION-$SOURCES_HASH"
if [ -x "$RUNTIME/bin/daprd" ] && [ -x "$RUNTIME/bin/scheduler" ] && [ -x "$RUNTIME/bin/sentry" ] \
  && [ -x "$RUNTIME/bin/dapr" ]; then
  say "reusing $RUNTIME"
else
  say "building daprd, scheduler, sentry and the CLI (Dapr $DAPR_VERSION) into $RUNTIME: a cold build takes a while"
  start=$(date +%s)
  rm -rf "$RUNTIME.tmp" && mkdir -p "$RUNTIME.tmp/bin"
  (cd "$HERE/$GO_DIR" && go build -trimpath -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" \
    -o "$RUNTIME.tmp/bin/" ./cmd/daprd ./cmd/scheduler ./cmd/sentry)
  (cd "$HERE/go/cli" && go build -trimpath -ldflags "-s -w -X main.version=$CLI_VERSION" -o "$RUNTIME.tmp/bin/dapr" .)
  rm -rf "$RUNTIME" && mv "$RUNTIME.tmp" "$RUNTIME"
  say "built in $(( $(date +%s) - start )) s"
fi
echo "$RUNTIME/bin" > "$CACHE/$ENV_NAME-bin"
}

# --- 2. the servers ----------------------------------------------------------------------------------------
need_package() {  # command, Debian package
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || die "$1 is missing: install Debian's $2 package (apt-get install $2)"
  say "installing $2"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

start_servers() {
need_package redis-server redis-server
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  say "Redis answers on $REDIS_PORT"
else
  mkdir -p "$SERVERS/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$SERVERS/redis" --daemonize yes \
    --logfile "$SERVERS/redis/redis.log" --pidfile "$SERVERS/redis/redis.pid" --save "" --appendonly no
  wait_port "$REDIS_PORT" 20 Redis
  say "Redis started on $REDIS_PORT"
fi

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
[ -n "$PG_BIN" ] || { need_package psql postgresql; PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"; }
as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
PG_DATA="$SERVERS/postgres"
if port_open "$POSTGRES_PORT"; then
  say "PostgreSQL answers on $POSTGRES_PORT"
else
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DATA"; chmod 755 "$SERVERS"; fi
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $PG_DATA -c max_connections=300 -c fsync=off" start >/dev/null
  say "PostgreSQL started on $POSTGRES_PORT"
fi

KAFKA_BROKERS=""
KAFKA_RELAY=""  # the relayed listener and the address it advertises
if [ "${DAPR_CODER_NO_KAFKA:-}" != "1" ]; then
  command -v java >/dev/null || die "Java is missing: Kafka needs Java 17 (or set DAPR_CODER_NO_KAFKA=1)"
  KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
  if [ ! -f "$KAFKA_LIBS/.complete" ]; then
    command -v mvn >/dev/null || die "Maven is missing: it fetches the Kafka jars (or set DAPR_CODER_NO_KAFKA=1)"
    say "fetching the Kafka $KAFKA_VERSION jars with Maven"
    rm -rf "$KAFKA_LIBS" && mkdir -p "$KAFKA_LIBS"
    mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS"
    touch "$KAFKA_LIBS/.complete"
  fi
  KAFKA_DIR="$SERVERS/kafka"
  if port_open "$KAFKA_PORT" && ! port_open "$KAFKA_RELAYED_PORT" && [ -f "$KAFKA_DIR/kafka.pid" ]; then
    say "Kafka answers on $KAFKA_PORT without its relayed listener: restarting it"
    kill "$(cat "$KAFKA_DIR/kafka.pid")" 2>/dev/null || true
    for _ in $(seq 60); do port_open "$KAFKA_PORT" || break; sleep 1; done
  fi
  if port_open "$KAFKA_PORT"; then
    say "Kafka answers on $KAFKA_PORT"
  else
    mkdir -p "$KAFKA_DIR"
    cat > "$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,RELAYED://127.0.0.1:$KAFKA_RELAYED_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,RELAYED://127.0.0.1:$KAFKA_RELAY_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,RELAYED:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.partitions=1
auto.create.topics.enable=true
EOF
    if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
      cluster_id="$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
      java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$KAFKA_DIR/server.properties" >/dev/null 2>&1
    fi
    nohup java -Xms256m -Xmx512m -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      > "$KAFKA_DIR/kafka.log" 2>&1 &
    echo $! > "$KAFKA_DIR/kafka.pid"
    wait_port "$KAFKA_PORT" 90 Kafka
    say "Kafka started on $KAFKA_PORT"
  fi
  KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
  KAFKA_RELAY="127.0.0.1:$KAFKA_RELAYED_PORT 127.0.0.1:$KAFKA_RELAY_PORT"
fi
echo "$KAFKA_BROKERS" > "$SERVERS/kafka-brokers"
echo "$KAFKA_RELAY" > "$SERVERS/kafka-relay"
}

[ "$WHAT" = servers ] || build_runtime
[ "$WHAT" = runtime ] || start_servers
[ -f "$CACHE/$ENV_NAME-bin" ] && [ -f "$SERVERS/kafka-brokers" ] || { say "done ($WHAT)"; exit 0; }

# --- 3. where it all is ------------------------------------------------------------------------------------
cat > "$CACHE/$ENV_NAME.env" <<EOF
DAPR_VERSION=$DAPR_VERSION
DAPR_RUNTIME_BIN=$(cat "$CACHE/$ENV_NAME-bin")
REDIS_HOST=127.0.0.1:$REDIS_PORT
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$POSTGRES_PORT
KAFKA_BROKERS=$(cat "$SERVERS/kafka-brokers")
KAFKA_RELAY=$(cat "$SERVERS/kafka-relay" 2>/dev/null)
EOF
say "ready: $CACHE/$ENV_NAME.env"
