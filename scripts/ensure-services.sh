#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer for the test suite, and print the URLs to use.
#
# Order of preference, for each server: the URL already in the environment; a local server
# already running; a local server we can start (Debian's pg_ctlcluster, redis-server);
# a Debian package we can install (as root, with apt-get). Otherwise one line says what to
# install, and the script exits non-zero: tests never fall back to SQLite or to mocks.
# Safe to run again and again.
set -euo pipefail

log() { echo "[services] $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
can_apt() { [ "$(id -u)" = 0 ] && have apt-get; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; apt_updated=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dms}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

pg_host_port() { python3 - "$DATABASE_URL" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5432)
PY
}
read -r PGH PGP < <(pg_host_port)

pg_up() {
  if have pg_isready; then pg_isready -q -h "$PGH" -p "$PGP"; else
    python3 -c "import socket,sys; socket.create_connection(('$PGH',$PGP),2)" 2>/dev/null; fi
}

if ! pg_up; then
  if ! have pg_ctlcluster && can_apt; then apt_install postgresql; fi
  if have pg_ctlcluster; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      log "starting PostgreSQL $version"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 2>&1 || true
    done
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if ! pg_up; then
  echo "PostgreSQL is not reachable at $PGH:$PGP: install it (Debian: apt-get install -y postgresql) or set DATABASE_URL." >&2
  exit 1
fi

redis_host_port() { python3 - "$REDIS_URL" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 6379)
PY
}
read -r RH RP < <(redis_host_port)
redis_up() { python3 - "$RH" "$RP" <<'PY'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)
    s.sendall(b"PING\r\n"); ok = s.recv(16).startswith(b"+PONG")
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}
if ! redis_up; then
  if ! have redis-server && can_apt; then apt_install redis-server; fi
  if have redis-server; then
    log "starting redis-server on $RH:$RP"
    mkdir -p /tmp/dms-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$RP" --save "" --appendonly no \
      --dir /tmp/dms-redis --logfile /tmp/dms-redis/redis.log >&2 || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
fi
if ! redis_up; then
  echo "Redis is not reachable at $RH:$RP: install it (Debian: apt-get install -y redis-server) or set REDIS_URL." >&2
  exit 1
fi

echo "DATABASE_URL=$DATABASE_URL"
echo "REDIS_URL=$REDIS_URL"
