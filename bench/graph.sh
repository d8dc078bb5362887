#!/usr/bin/env bash
# Cost of @acme/pg's inference: a cold `nx show projects` (no daemon, no graph cache) on a workspace
# of N projects (a few of them using a database): with no plugin, with an installed plugin that
# does nothing on the same files (what Nx charges for any plugin), and with @acme/pg registered in
# nx.json, ROUNDS rounds each in rotating order; with Nx's default plugin isolation and in process.
# Prints the medians, the ratios (target: at most 1.05) and the plugin's own load time.
#   bash bench/graph.sh [N=1000] [ROUNDS=9]
set -euo pipefail
N=${1:-1000}
ROUNDS=${2:-9}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$ROOT/dist/packages/pg/src/index.js" ] || (cd "$ROOT" && npx nx build pg >/dev/null)
WS=$(mktemp -d /tmp/acme-pg-graph.XXXXXX)
trap '[ -n "${KEEP_WS:-}" ] || rm -rf "$WS"' EXIT

# The workspace: the repo's node_modules (nx $(node -p "require('$ROOT/node_modules/nx/package.json').version")), the built plugin as @acme/pg.
mkdir -p "$WS/node_modules"
for entry in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
  [ "$(basename "$entry")" = @acme ] || ln -s "$entry" "$WS/node_modules/$(basename "$entry")"
done
mkdir -p "$WS/node_modules/@acme"
# A copy, not a link: @acme/pg then finds @acme/pg-core beside it, as in an install.
cp -r "$ROOT/dist/packages/pg" "$WS/node_modules/@acme/pg"
ln -s "$ROOT/dist/packages/core" "$WS/node_modules/@acme/pg-core"
echo '{ "name": "@graph/source", "private": true }' > "$WS/package.json"
node - "$WS" "$N" <<'JS'
const fs = require('fs'), path = require('path');
const [ws, n] = [process.argv[2], Number(process.argv[3])];
for (let i = 0; i < n; i++) {
  const name = `p${String(i).padStart(4, '0')}`;
  const dir = path.join(ws, 'libs', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'project.json'), JSON.stringify({ name, root: `libs/${name}` }));
  fs.writeFileSync(path.join(dir, 'index.ts'), 'export {};\n');
  // One project in fifty uses the database.
  if (i % 50 === 0) fs.writeFileSync(path.join(dir, 'acme-pg.json'), JSON.stringify({ kind: 'client', modules: ['postgres'] }));
}
fs.mkdirSync(path.join(ws, 'sql/postgres'), { recursive: true });
fs.writeFileSync(path.join(ws, 'sql/postgres/project.json'), JSON.stringify({ name: 'postgres', root: 'sql/postgres' }));
fs.writeFileSync(path.join(ws, 'sql/postgres/acme-pg.json'), JSON.stringify({ kind: 'database', module: 'postgres', polytopeFile: 'polytope.yml' }));
JS
# A plugin that does nothing on the same files: what Nx charges for any plugin.
mkdir -p "$WS/node_modules/noop-plugin"
echo "exports.createNodes = exports.createNodesV2 = ['**/acme-pg.json', (files) => files.map((f) => [f, {}])];" > "$WS/node_modules/noop-plugin/index.js"
echo '{ "name": "noop-plugin", "version": "1.0.0", "main": "index.js" }' > "$WS/node_modules/noop-plugin/package.json"
WITHOUT='{ "useInferencePlugins": true }'
NOOP='{ "useInferencePlugins": true, "plugins": ["noop-plugin"] }'
WITH='{ "useInferencePlugins": true, "plugins": [{ "plugin": "@acme/pg", "options": {} }] }'
export NX_DAEMON=false NX_CACHE_PROJECT_GRAPH=false NX_SKIP_NX_CACHE=true NX_NO_CLOUD=true NX_TUI=false
NX="$WS/node_modules/.bin/nx"

# Warm up once each (and check the plugin really adds its targets).
echo "$WITH" > "$WS/nx.json"
(cd "$WS" && "$NX" show project p0000 --json | grep -q '"db-check"') || { echo "bench: the plugin gave no targets" >&2; exit 1; }
echo "$WITHOUT" > "$WS/nx.json"; (cd "$WS" && "$NX" show projects >/dev/null)

now() { date +%s.%N; }
# measure LABEL: ROUNDS cold runs of each nx.json (none, a no-op plugin, @acme/pg), in rotating order
measure() {
  local label=$1 A=() N=() B=() r t0 t1
  once() { echo "$1" > "$WS/nx.json"; t0=$(now); (cd "$WS" && "$NX" show projects >/dev/null); t1=$(now); echo "$t1 - $t0" | bc; }
  for r in $(seq "$ROUNDS"); do
    case $((r % 3)) in
      1) A+=("$(once "$WITHOUT")"); N+=("$(once "$NOOP")"); B+=("$(once "$WITH")") ;;
      2) N+=("$(once "$NOOP")"); B+=("$(once "$WITH")"); A+=("$(once "$WITHOUT")") ;;
      0) B+=("$(once "$WITH")"); A+=("$(once "$WITHOUT")"); N+=("$(once "$NOOP")") ;;
    esac
  done
  local ma mn mb; ma=$(median "${A[@]}"); mn=$(median "${N[@]}"); mb=$(median "${B[@]}")
  printf '%s\n  no plugin %6.3f s   no-op plugin %6.3f s   @acme/pg %6.3f s   ratio to none %.3f   ratio to no-op %.3f\n' \
    "$label" "$ma" "$mn" "$mb" "$(echo "$mb / $ma" | bc -l)" "$(echo "$mb / $mn" | bc -l)"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "nx show projects, $N projects ($((N / 50 + 1)) with a database), $ROUNDS rounds, cold (no daemon, no graph cache)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v)"
# Nx runs each plugin in a worker process of its own by default; in-process shows the plugin's own cost.
measure 'plugins isolated (Nx default)'
NX_ISOLATE_PLUGINS=false measure 'plugins in process (NX_ISOLATE_PLUGINS=false)'
LOAD=$(node -e "const t=process.hrtime.bigint(); require('$ROOT/dist/packages/pg/src/index.js'); console.log((Number(process.hrtime.bigint()-t)/1e6).toFixed(1))")
echo "plugin load: $LOAD ms (require of its entry, in a fresh node)"
