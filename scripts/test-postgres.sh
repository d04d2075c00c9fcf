#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `start STATE_DIR` runs initdb and pg_ctl in a new temp
# folder on a free loopback port and writes the server's URI to STATE_DIR/url; `stop STATE_DIR`
# stops it and removes the folder. initdb refuses root: as root, both run as `postgres`.
set -euo pipefail

action=${1:?usage: test-postgres.sh start|stop STATE_DIR}
state=${2:?usage: test-postgres.sh start|stop STATE_DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "test-postgres: no initdb under /usr/lib/postgresql (install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  [ -f "$state/dir" ] || return 0
  local dir
  dir=$(cat "$state/dir")
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state/dir" "$state/url" "$state/ctl"
}

case "$action" in
  start)
    mkdir -p "$state"
    stop
    dir=$(mktemp -d /tmp/tr-postgres-XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    echo "$dir" > "$state/dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$opts" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    # How the tests stop and start this very server again (store outage tests).
    printf '%s\n' "$bin" "$dir/data" "$dir/server.log" "$opts" > "$state/ctl"
    echo "postgresql://postgres@127.0.0.1:$port/postgres" > "$state/url"
    echo "test PostgreSQL on 127.0.0.1:$port ($dir)"
    ;;
  stop)
    stop
    ;;
  pause|resume)
    # Stops or starts the same server again (same folder, same port): a store outage.
    mapfile -t ctl < "$state/ctl"
    if [ "$action" = pause ]; then
      as_owner "${ctl[0]}/pg_ctl" -D "${ctl[1]}" -m fast -w stop >/dev/null
    else
      as_owner "${ctl[0]}/pg_ctl" -D "${ctl[1]}" -l "${ctl[2]}" -w -o "${ctl[3]}" start >/dev/null
    fi
    ;;
  freeze|thaw)
    # Stops or continues every process of the server (SIGSTOP/SIGCONT): connections stay open
    # and nothing answers, as with a hung host.
    mapfile -t ctl < "$state/ctl"
    main=$(head -1 "${ctl[1]}/postmaster.pid")
    signal=STOP
    [ "$action" = thaw ] && signal=CONT
    kill -s "$signal" "$main" $(pgrep -P "$main") 2>/dev/null || true
    ;;
  *)
    echo "usage: test-postgres.sh start|stop|pause|resume|freeze|thaw STATE_DIR" >&2
    exit 2
    ;;
esac
