#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on localhost for the store tests, and print the URL to
# export as ZKGATE_TEST_POSTGRES_URL.
#
# Usage: eval "$(bash scripts/start_test_postgres.sh)"     # exports ZKGATE_TEST_POSTGRES_URL
#        bash scripts/start_test_postgres.sh stop
#
# Installs Debian's postgresql when no server binaries are found (needs root and apt-get).  The
# cluster lives in $PGTEST_DIR (default /tmp/zkgate-test-postgres), listens on 127.0.0.1:$PGTEST_PORT
# (default 54329) only, trusts local connections, and runs as a non-root user (postgres when
# started as root).  Everything it says goes to stderr; stdout carries only the export line.
set -euo pipefail

PGTEST_DIR=${PGTEST_DIR:-/tmp/zkgate-test-postgres}
PGTEST_PORT=${PGTEST_PORT:-54329}
PGTEST_DB=${PGTEST_DB:-zkgate_test}

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; return 0; fi
    return 1
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ]; then
    echo "installing postgresql (apt-get) ..." >&2
    if [ "$(id -u)" -ne 0 ]; then echo "no PostgreSQL found and not root: install postgresql first" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BINDIR=$(find_bindir)
fi

if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=(runuser -u postgres --)
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PGTEST_DIR" postgres
    DBUSER=postgres
else
    RUN_AS=()
    DBUSER=$(id -un)
fi

if [ "${1:-start}" = "stop" ]; then
    "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGTEST_DIR/data" -m fast stop >&2 || true
    exit 0
fi

mkdir -p "$PGTEST_DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$PGTEST_DIR"
if [ ! -f "$PGTEST_DIR/data/PG_VERSION" ]; then
    "${RUN_AS[@]}" "$BINDIR/initdb" -D "$PGTEST_DIR/data" -U "$DBUSER" --auth=trust -E UTF8 >&2
fi
if ! "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGTEST_DIR/data" status >/dev/null 2>&1; then
    "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PGTEST_PORT -k $PGTEST_DIR -c fsync=on -c max_connections=100" start >&2
fi
if ! "${RUN_AS[@]}" "$BINDIR/psql" -h 127.0.0.1 -p "$PGTEST_PORT" -U "$DBUSER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$PGTEST_DB'" | grep -q 1; then
    "${RUN_AS[@]}" "$BINDIR/createdb" -h 127.0.0.1 -p "$PGTEST_PORT" -U "$DBUSER" "$PGTEST_DB" >&2
fi
echo "PostgreSQL ready on 127.0.0.1:$PGTEST_PORT, database $PGTEST_DB" >&2
echo "export ZKGATE_TEST_POSTGRES_URL=postgresql://$DBUSER@127.0.0.1:$PGTEST_PORT/$PGTEST_DB"
