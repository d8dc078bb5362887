#!/usr/bin/env bash
# The acme-pg command line against the tools it wraps, on the same local server, in one run:
#   acme-pg db-check   vs  psql -X -c 'select 1'   (target: at most 2 x), ROUNDS_CHECK rounds
#   acme-pg db-backup  vs  pg_dump                  (target: at most 1.05 x), ROUNDS rounds
# of a `pgbench -i -s SCALE` database. Whole processes, as a user or a CI script runs them: Node's
# own start-up is in our time. It is also reported apart (`node -e 0`), with db-check net of it.
# Ratios are medians of each round's own ratio (ours and bare run back to back, alternating).
#   bash bench/cli.sh [SCALE=10] [ROUNDS=7] [ROUNDS_CHECK=21]
set -euo pipefail
SCALE=${1:-10}
ROUNDS=${2:-7}
ROUNDS_CHECK=${3:-21}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
(cd "$ROOT" && NX_DAEMON=false npx nx build pg >/dev/null)
# shellcheck source=bench/pgbench-server.sh
source "$ROOT/bench/pgbench-server.sh"

# A folder with no monorepo tool: a package.json, polytope.yml, the database folder's marker.
WS=$WORK/ws
mkdir -p "$WS/sql/postgres"
echo '{"name":"bench","private":true}' > "$WS/package.json"
printf 'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: { image: "postgres:15", service-id: postgres }\n' > "$WS/polytope.yml"
echo '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}' > "$WS/sql/postgres/acme-pg.json"
export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD=$PGPASSWORD POSTGRES_DB=bench
ACME="node $ROOT/dist/packages/core/src/cli/acme-pg.js"
cd "$WS"
$ACME db-check >/dev/null # warms the tool-version cache, as any earlier run would have

ratios() { # name of ours array, name of bare array → the median of the per-round ratios
  local -n o=$1 b=$2
  local r=() i
  for i in "${!o[@]}"; do r+=("$(echo "${o[$i]} / ${b[$i]}" | bc -l)"); done
  median "${r[@]}"
}

describe_run "$ROUNDS"
declare -a OC BC NODE OB BB
for r in $(seq "$ROUNDS_CHECK"); do
  if [ $((r % 2)) = 1 ]; then
    time_cmd OC $ACME db-check; time_cmd BC "$TOOLS/psql" -X -d bench -c 'select 1'; time_cmd NODE node -e 0
  else
    time_cmd NODE node -e 0; time_cmd BC "$TOOLS/psql" -X -d bench -c 'select 1'; time_cmd OC $ACME db-check
  fi
done
for r in $(seq "$ROUNDS"); do
  ours() { rm -rf "$WS/backups"; settle; time_cmd OB $ACME db-backup; }
  bare() { rm -f "$WORK/bare.sql"; settle; time_cmd BB "$TOOLS/pg_dump" -d bench -f "$WORK/bare.sql"; }
  if [ $((r % 2)) = 1 ]; then ours; bare; else bare; ours; fi
done
oc=$(median "${OC[@]}"); bc_=$(median "${BC[@]}"); nd=$(median "${NODE[@]}")
declare -a NET
for i in "${!OC[@]}"; do NET+=("$(echo "${OC[$i]} - ${NODE[$i]}" | bc -l)"); done
printf '%-28s ours %7.3f s   bare %7.3f s   ratio %.3f\n' "acme-pg db-check / psql" "$oc" "$bc_" "$(ratios OC BC)"
printf '%-28s node -e 0 %7.3f s; db-check net of it %7.3f s, ratio %.3f\n' "Node's own start-up" "$nd" "$(median "${NET[@]}")" "$(ratios NET BC)"
printf '%-28s ours %7.3f s   bare %7.3f s   ratio %.3f\n' "acme-pg db-backup / pg_dump" "$(median "${OB[@]}")" "$(median "${BB[@]}")" "$(ratios OB BB)"
declare -a NETB
for i in "${!OB[@]}"; do NETB+=("$(echo "${OB[$i]} - $nd" | bc -l)"); done
printf '%-28s net of node -e 0 %7.3f s, ratio %.3f\n' "acme-pg db-backup" "$(median "${NETB[@]}")" "$(ratios NETB BB)"
