#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for the tests: scripts/test starts one for the whole suite, and
# test/multinode runs this script to start, stop and restart clusters of its own.
#
#   scripts/pg.sh bindir                      print the directory of the server binaries; exit 1 if absent
#   scripts/pg.sh install                     install Debian's postgresql package (root) if the binaries are absent
#   scripts/pg.sh init DIR PORT [NAME=VALUE…] create a cluster in DIR listening on 127.0.0.1:PORT only, with
#                                             trust authentication for the user postgres and extra settings
#   scripts/pg.sh start DIR                   start it and wait until it accepts connections
#   scripts/pg.sh stop DIR                    fast shutdown (sessions are cut, every commit is kept)
#   scripts/pg.sh destroy DIR                 stop it if it runs and delete DIR
#   scripts/pg.sh freeport                    print a loopback TCP port that nothing listens on
#
# initdb and the server refuse to run as root, so as root they run as the postgres system user that
# the Debian package creates; DIR is then owned by that user.
set -euo pipefail

pg_bindir() {
	local d
	if [[ -n "${LATCHKEY_PG_BINDIR:-}" && -x "$LATCHKEY_PG_BINDIR/pg_ctl" ]]; then
		echo "$LATCHKEY_PG_BINDIR"
		return 0
	fi
	# Debian keeps the server binaries out of PATH, one directory per major version: take the newest.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	done
	if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
		dirname "$(readlink -f "$(command -v pg_ctl)")"
		return 0
	fi
	return 1
}

pg_install() {
	if pg_bindir >/dev/null; then
		return 0
	fi
	if [[ "$(id -u)" != 0 ]]; then
		echo "pg.sh: PostgreSQL server binaries not found, and installing them needs root (apt-get install postgresql)" >&2
		return 1
	fi
	echo "pg.sh: installing PostgreSQL from Debian's packages" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	apt-get install -y -qq postgresql </dev/null >/dev/null
	pg_bindir >/dev/null
}

# as_owner runs a command as the cluster's owner: postgres when we are root, else ourselves. It
# runs in DIR so that the postgres user never needs access to the caller's working directory.
as_owner() {
	local dir="$1"
	shift
	if [[ "$(id -u)" == 0 ]]; then
		(cd "$dir" && runuser -u postgres -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

pg_init() {
	local dir="$1" port="$2" bin setting
	shift 2
	bin="$(pg_bindir)" || { echo "pg.sh: PostgreSQL server binaries not found" >&2; return 1; }
	mkdir -p "$dir"
	chmod 700 "$dir"
	if [[ "$(id -u)" == 0 ]]; then
		id postgres >/dev/null 2>&1 || { echo "pg.sh: running as root needs the postgres system user" >&2; return 1; }
		chown postgres: "$dir"
	fi
	if ! as_owner "$dir" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		return 1
	fi
	{
		echo "# written by scripts/pg.sh"
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "max_connections = 200"
		for setting in "$@"; do
			echo "${setting%%=*} = '${setting#*=}'"
		done
	} >>"$dir/data/postgresql.conf"
}

pg_start() {
	local dir="$1" bin
	bin="$(pg_bindir)"
	if ! as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null; then
		tail -n 50 "$dir/postgres.log" >&2 || true
		return 1
	fi
}

pg_stop() {
	local dir="$1" bin
	bin="$(pg_bindir)"
	as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

pg_destroy() {
	local dir="$1" bin
	[[ -d "$dir" ]] || return 0
	if [[ -f "$dir/data/postmaster.pid" ]] && bin="$(pg_bindir)"; then
		as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

pg_freeport() {
	local port _
	for _ in $(seq 200); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "pg.sh: found no free port" >&2
	return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	cmd="${1:-}"
	shift || true
	case "$cmd" in
	bindir) pg_bindir ;;
	install) pg_install ;;
	init) [[ $# -ge 2 ]] || { echo "usage: pg.sh init DIR PORT [NAME=VALUE…]" >&2; exit 2; }; pg_init "$@" ;;
	start) [[ $# -eq 1 ]] || { echo "usage: pg.sh start DIR" >&2; exit 2; }; pg_start "$1" ;;
	stop) [[ $# -eq 1 ]] || { echo "usage: pg.sh stop DIR" >&2; exit 2; }; pg_stop "$1" ;;
	destroy) [[ $# -eq 1 ]] || { echo "usage: pg.sh destroy DIR" >&2; exit 2; }; pg_destroy "$1" ;;
	freeport) pg_freeport ;;
	*)
		sed -n '2,15p' "$0" >&2
		exit 2
		;;
	esac
fi
