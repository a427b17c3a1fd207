#!/usr/bin/env bash
# Prepares system-level test peers before `npm test` (run as the npm pretest step).
# Idempotent and fast when already done: only installs/compiles what is missing or stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/test/.kafka"
SRC="$ROOT/test/setup/mock-kafka.c"
BIN="$OUT/mock-kafka"

# Installs Debian packages (as root, or through sudo); `apt-get update` once per run.
UPDATED=""
apt_install() {
  local sudo=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$UPDATED" ]; then
    $sudo apt-get update -qq
    UPDATED=1
  fi
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Kafka: librdkafka's mock cluster (a real wire-protocol broker), unless tests use KAFKA_BROKERS.
if [ -z "${KAFKA_BROKERS:-}" ]; then
  if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ] || ! command -v cc >/dev/null 2>&1; then
    echo "[prepare] installing librdkafka-dev and a C compiler (apt-get)" >&2
    apt_install librdkafka-dev gcc libc6-dev
  fi
  if [ ! -x "$BIN" ] || [ "$SRC" -nt "$BIN" ]; then
    mkdir -p "$OUT"
    cc -O2 -o "$BIN.tmp" "$SRC" -lrdkafka
    mv "$BIN.tmp" "$BIN"
    echo "[prepare] built $BIN" >&2
  fi
fi

# Renovate's published config schema, for the spec of renovate.json: only that one file of the
# package the npm registry serves (Renovate itself is not installed). A custom manager in
# renovate.json keeps this version current.
RENOVATE_VERSION=44.121.2
SCHEMA="$ROOT/test/.renovate/renovate-schema.json"
if [ ! -f "$SCHEMA" ] || ! grep -q "\"x-renovate-version\": \"$RENOVATE_VERSION\"" "$SCHEMA"; then
  TMP="$(mktemp -d)"
  (cd "$TMP" && npm pack "renovate@$RENOVATE_VERSION" --silent >/dev/null)
  tar -xzf "$TMP/renovate-$RENOVATE_VERSION.tgz" -C "$TMP" package/renovate-schema.json
  mkdir -p "$(dirname "$SCHEMA")"
  mv "$TMP/package/renovate-schema.json" "$SCHEMA"
  rm -rf "$TMP"
  echo "[prepare] fetched Renovate $RENOVATE_VERSION's config schema" >&2
fi

# openssl: the Postgres TLS spec (services/shared/test/db-tls.test.ts) issues its CA and server certificates.
if ! command -v openssl >/dev/null 2>&1; then
  echo "[prepare] installing openssl (apt-get)" >&2
  apt_install openssl
fi

# Postgres: Debian's postgresql server, so the suites that matter run on a real server as well as PGlite
# (test/helpers/postgres.ts initdb's a throwaway cluster and starts it as the postgres system user).
if [ -z "${DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "[prepare] installing postgresql (apt-get)" >&2
  # The package's own cluster is not used (nor started: there is no init system here).
  apt_install postgresql
fi
