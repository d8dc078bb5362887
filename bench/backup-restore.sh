#!/usr/bin/env bash
# db-backup against a bare pg_dump, and db-restore against a bare psql / pg_restore, on the same
# `pgbench -i -s SCALE` database, ROUNDS rounds each, in one run. Prints the median times and the
# ratio ours / bare (the target is at most 1.05: our overhead only). The ratio is the median of the
# rounds' own ratios: each round times ours and bare back to back, so a slow spell of the machine
# (a checkpoint, another process) weighs on both sides of one ratio instead of on one median.
#   bash bench/backup-restore.sh [SCALE=20] [ROUNDS=9]
set -euo pipefail
SCALE=${1:-20}
ROUNDS=${2:-9}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$ROOT/dist/packages/core/src/commands/db-backup/db-backup.js" ] || (cd "$ROOT" && npx nx build pg >/dev/null)
# shellcheck source=bench/pgbench-server.sh
source "$ROOT/bench/pgbench-server.sh"

# A workspace for the executors: the module's marker, the app's marker, the env it reads.
WS=$WORK/ws
mkdir -p "$WS/sql/postgres" "$WS/apps/api"
echo '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}' > "$WS/sql/postgres/acme-pg.json"
echo '{"kind":"client","modules":["postgres"]}' > "$WS/apps/api/acme-pg.json"
printf 'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: { image: "postgres:15", service-id: postgres }\n' > "$WS/polytope.yml"
export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD=$PGPASSWORD
export BENCH_TIME_FILE=$WORK/elapsed
# ours VAR executor options: appends the executor's own time (the call, without Node's start-up)
ours() {
  local var=$1; shift
  node "$ROOT/bench/run-executor.cjs" "$WS" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
  eval "$var+=($(cat "$BENCH_TIME_FILE"))"
}

report() { # label, name of ours array, name of bare array: medians and the median paired ratio
  local -n o=$2 b=$3
  local ratios=() i
  for i in "${!o[@]}"; do ratios+=("$(echo "${o[$i]} / ${b[$i]}" | bc -l)"); done
  printf '%-34s ours %7.3f s   bare %7.3f s   ratio %.3f   (rounds %s)\n' "$1" "$(median "${o[@]}")" \
    "$(median "${b[@]}")" "$(median "${ratios[@]}")" "$(printf '%.2f ' $(printf '%s\n' "${ratios[@]}" | sort -g))"
}

describe_run "$ROUNDS"

declare -a OB BB OR BR
run_format() { # label, our backup options, bare pg_dump args, extension, kind, jobs
  local label=$1 opts=$2 dumpargs=$3 ext=$4 kind=$5 jobs=${6:-}
  local mode=--single-transaction; [ -n "$jobs" ] && mode=--jobs=$jobs
  OB=(); BB=(); OR=(); BR=()
  our_backup() { rm -rf "$WS/backups"; settle; ours OB db-backup "{\"database\":\"bench\",$opts}"; }
  bare_backup() { rm -rf "$WORK/bare.$ext"; settle; time_cmd BB "$TOOLS/pg_dump" -d bench $dumpargs -f "$WORK/bare.$ext"; }
  our_restore() {
    dropdb --if-exists ours_r 2>/dev/null; settle
    ours OR db-restore "{\"database\":\"ours_r\",\"file\":\"$(ls -d "$WS"/backups/postgres/bench-*)\",\"createDatabase\":true${jobs:+,\"jobs\":$jobs}}"
  }
  bare_restore() {
    dropdb --if-exists bare_r 2>/dev/null; settle
    if [ "$kind" = plain ]; then
      time_cmd BR bash -c "createdb bare_r && '$TOOLS/psql' -X -q -v ON_ERROR_STOP=1 --single-transaction -d bare_r -f '$WORK/bare.$ext'"
    else
      time_cmd BR bash -c "createdb bare_r && '$TOOLS/pg_restore' --exit-on-error $mode -d bare_r '$WORK/bare.$ext'"
    fi
  }
  for r in $(seq "$ROUNDS"); do
    # Alternate who goes first, so neither always meets a warmer cache.
    if [ $((r % 2)) = 1 ]; then our_backup; bare_backup; our_restore; bare_restore
    else bare_backup; our_backup; bare_restore; our_restore; fi
  done
  dropdb --if-exists ours_r 2>/dev/null; dropdb --if-exists bare_r 2>/dev/null
  report "db-backup  $label" OB BB
  report "db-restore $label" OR BR
}
run_format plain '"format":"plain"' '--format=p' sql plain
run_format custom '"format":"custom"' '--format=c' dump archive
run_format 'directory --jobs 2' '"format":"directory","jobs":2' '--format=d --jobs=2' dir archive 2
