#!/usr/bin/env bash
# db-migrate against a bare dbmate with the same DATABASE_URL, on 50 small migrations into an empty
# database, ROUNDS rounds, in one run: against `dbmate up` (what the migrations issue names; it also
# checks that the database exists) and `dbmate migrate` (the command db-migrate runs). Prints median
# times and the ratio ours / bare (the target is at most 1.10), net of the safety backup, whose cost
# is reported on its own line. The ratio is the median of the rounds' own ratios: each round times
# ours and bare back to back, so a slow spell of the machine weighs on both sides of one ratio.
#   bash bench/db-migrate.sh [ROUNDS=9] [MIGRATIONS=50]
set -euo pipefail
ROUNDS=${1:-9}
COUNT=${2:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DBMATE=$ROOT/node_modules/@dbmate/linux-x64/bin/dbmate
[ -x "$DBMATE" ] || { echo "bench: dbmate is missing: npm ci" >&2; exit 1; }
[ -f "$ROOT/dist/packages/core/src/commands/db-migrate/db-migrate.js" ] || (cd "$ROOT" && npx nx build pg >/dev/null)
# The shared bench server (its small pgbench database is not used here).
SCALE=1
# shellcheck source=bench/pgbench-server.sh
source "$ROOT/bench/pgbench-server.sh"

WS=$WORK/ws
MIG=$WS/sql/postgres/migrations
mkdir -p "$MIG" "$WS/apps/api"
echo '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}' > "$WS/sql/postgres/acme-pg.json"
printf 'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: { image: "postgres:15", service-id: postgres }\n' > "$WS/polytope.yml"
for i in $(seq "$COUNT"); do
  printf -- '-- migrate:up\nCREATE TABLE t%s (id int PRIMARY KEY, v text);\nINSERT INTO t%s VALUES (1, %s);\n\n-- migrate:down\nDROP TABLE t%s;\n' \
    "$i" "$i" "'x'" "$i" > "$MIG/$(printf '20260101%06d' "$i")_t$i.sql"
done
export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD=$PGPASSWORD
export BENCH_TIME_FILE=$WORK/elapsed BENCH_PROJECT=postgres
fresh() { dropdb --if-exists "$1" 2>/dev/null; createdb "$1"; }
ours() { # database, options
  node "$ROOT/bench/run-executor.cjs" "$WS" db-migrate "{\"database\":\"$1\"$2}" >/dev/null 2>&1 || { echo "bench: db-migrate failed" >&2; exit 1; }
  cat "$BENCH_TIME_FILE"
}
bare() { # database, dbmate command
  local t0 t1
  t0=$(now)
  DATABASE_URL="postgres://postgres:$PGPASSWORD@127.0.0.1:$PORT/$1?sslmode=disable" "$DBMATE" --env-file /dev/null -d "$MIG" --no-dump-schema "$2" >/dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc
}
declare -a O B U S
for r in $(seq "$ROUNDS"); do
  fresh ours_db; fresh bare_db; fresh up_db; fresh safe_db
  # Alternate who goes first, so neither always meets a warmer cache.
  if [ $((r % 2)) = 1 ]; then
    O+=("$(ours ours_db ',"noBackup":true')"); B+=("$(bare bare_db migrate)"); U+=("$(bare up_db up)")
  else
    U+=("$(bare up_db up)"); B+=("$(bare bare_db migrate)"); O+=("$(ours ours_db ',"noBackup":true')")
  fi
  S+=("$(ours safe_db '')")
done
paired() { # name of ours array, name of bare array: the median of the rounds' ratios, and the rounds
  local -n o=$1 b=$2
  local ratios=() i
  for i in "${!o[@]}"; do ratios+=("$(echo "${o[$i]} / ${b[$i]}" | bc -l)"); done
  printf 'ratio %.3f   (rounds %s)' "$(median "${ratios[@]}")" "$(printf '%.2f ' $(printf '%s\n' "${ratios[@]}" | sort -g))"
}
echo "$COUNT migrations into an empty database, $ROUNDS rounds, PostgreSQL $(psql -XAt -d postgres -c 'SHOW server_version'), dbmate $("$DBMATE" --version | awk '{print $3}')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
om=$(median "${O[@]}"); bm=$(median "${B[@]}"); um=$(median "${U[@]}"); sm=$(median "${S[@]}")
printf '%-34s ours %7.3f s   bare %7.3f s   %s\n' "db-migrate --noBackup / dbmate up" "$om" "$um" "$(paired O U)"
printf '%-34s ours %7.3f s   bare %7.3f s   %s\n' "db-migrate --noBackup / migrate" "$om" "$bm" "$(paired O B)"
printf '%-34s %7.3f s (with it %.3f s)\n' "safety backup (reported apart)" "$(echo "$sm - $om" | bc -l)" "$sm"
