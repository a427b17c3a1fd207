#!/usr/bin/env bash
# Prepares system-level test peers before `npm test` (run as the npm pretest step).
# Idempotent and fast when already done: only installs/compiles what is missing or stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/test/.kafka"
SRC="$ROOT/test/setup/mock-kafka.c"
BIN="$OUT/mock-kafka"

# Kafka: librdkafka's mock cluster (a real wire-protocol broker), unless tests use KAFKA_BROKERS.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ] || ! command -v cc >/dev/null 2>&1; then
    echo "[prepare] installing librdkafka-dev and a C compiler (apt-get)" >&2
    SUDO=""
    if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends librdkafka-dev gcc libc6-dev >/dev/null
  fi
  if [ ! -x "$BIN" ] || [ "$SRC" -nt "$BIN" ]; then
    mkdir -p "$OUT"
    cc -O2 -o "$BIN.tmp" "$SRC" -lrdkafka
    mv "$BIN.tmp" "$BIN"
    echo "[prepare] built $BIN" >&2
  fi
fi

# Postgres: Debian's postgresql server, so the suites that matter run on a real server as well as PGlite
# (test/helpers/postgres.ts initdb's a throwaway cluster and starts it as the postgres system user).
if [ -z "${DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "[prepare] installing postgresql (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The package's own cluster is not used (nor started: there is no init system here).
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
