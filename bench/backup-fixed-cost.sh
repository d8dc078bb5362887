#!/usr/bin/env bash
# The fixed cost of db-backup as a user meets it: `nx run app:db-backup` in a real Nx workspace, net
# of a no-op `nx run app:noop` in the same workspace (Nx's own start-up), against a bare pg_dump of
# the same `pgbench -i -s SCALE` database, ROUNDS rounds each, alternating. Prints the medians and
# the ratio (net ours / bare; the target is at most 1.10).
#   bash bench/backup-fixed-cost.sh [SCALE=10] [ROUNDS=7]
set -euo pipefail
SCALE=${1:-10}
ROUNDS=${2:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
(cd "$ROOT" && NX_DAEMON=false npx nx build pg >/dev/null)
# shellcheck source=bench/pgbench-server.sh
source "$ROOT/bench/pgbench-server.sh"

# A real Nx workspace: the built plugin as node_modules/@acme/pg, the repo's nx, one app with a
# db-backup target and a no-op target. The no-op is an executor of a plugin package too (Nx forks a
# process and loads it the same way), so the difference is what db-backup itself costs.
WS=$WORK/ws
mkdir -p "$WS/node_modules/@acme" "$WS/sql/postgres" "$WS/apps/app"
# A copy, not a link: @acme/pg then finds @acme/pg-core beside it, as in an install.
cp -r "$ROOT/dist/packages/pg" "$WS/node_modules/@acme/pg"
ln -s "$ROOT/dist/packages/core" "$WS/node_modules/@acme/pg-core"
for dep in nx @nx pg yaml tslib; do ln -s "$ROOT/node_modules/$dep" "$WS/node_modules/$dep"; done
mkdir -p "$WS/node_modules/bench-noop"
echo '{"name":"bench-noop","version":"0.0.0","executors":"./executors.json"}' > "$WS/node_modules/bench-noop/package.json"
echo '{"executors":{"noop":{"implementation":"./noop.js","schema":"./schema.json","description":"nothing"}}}' > "$WS/node_modules/bench-noop/executors.json"
echo '{"type":"object","properties":{}}' > "$WS/node_modules/bench-noop/schema.json"
echo 'module.exports = async () => ({ success: true });' > "$WS/node_modules/bench-noop/noop.js"
echo '{"name":"bench","private":true}' > "$WS/package.json"
echo '{}' > "$WS/nx.json"
printf 'modules:\n  - id: postgres\n    module: polytope/postgres\n    args: { image: "postgres:15", service-id: postgres }\n' > "$WS/polytope.yml"
echo '{"kind":"database","module":"postgres","polytopeFile":"polytope.yml"}' > "$WS/sql/postgres/acme-pg.json"
echo '{"kind":"client","modules":["postgres"]}' > "$WS/apps/app/acme-pg.json"
cat > "$WS/apps/app/project.json" <<'JSON'
{ "name": "app", "targets": {
  "db-backup": { "executor": "@acme/pg:db-backup", "options": { "database": "bench" } },
  "noop": { "executor": "bench-noop:noop" } } }
JSON
export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD=$PGPASSWORD
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true CI=true
NX="node $ROOT/node_modules/nx/dist/bin/nx.js"
(cd "$WS" && $NX run app:noop >/dev/null 2>&1) # the first run builds Nx's project graph cache

describe_run "$ROUNDS"
declare -a OURS NOOP BARE
ours() { rm -rf "$WS/backups"; settle; cd "$WS"; time_cmd OURS $NX run app:db-backup; cd - >/dev/null; }
noop() { cd "$WS"; time_cmd NOOP $NX run app:noop; cd - >/dev/null; }
bare() { rm -f "$WORK/bare.sql"; settle; time_cmd BARE "$TOOLS/pg_dump" -d bench -f "$WORK/bare.sql"; }
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then ours; noop; bare; else bare; noop; ours; fi
done
O=$(median "${OURS[@]}"); N=$(median "${NOOP[@]}"); B=$(median "${BARE[@]}")
printf 'nx run app:db-backup %7.3f s   nx run app:noop %7.3f s   net %7.3f s\n' "$O" "$N" "$(echo "$O - $N" | bc -l)"
printf 'bare pg_dump         %7.3f s   ratio (net / bare) %.3f\n' "$B" "$(echo "($O - $N) / $B" | bc -l)"
