// Runs one @acme/pg executor from the built package, in a workspace folder, as Nx would call it:
//   node bench/run-executor.cjs <workspace> <db-backup|db-restore|db-check> '<options as JSON>'
const { join } = require('node:path');
const [root, name, json] = process.argv.slice(2);
const dist = join(__dirname, '..', 'dist', 'packages', 'core', 'src', 'commands', name, name);
const executor = require(dist).default;
const context = {
  root,
  cwd: root,
  isVerbose: false,
  projectName: process.env.BENCH_PROJECT || 'api',
  targetName: name,
  projectsConfigurations: {
    version: 2,
    projects: {
      api: { name: 'api', root: 'apps/api' },
      postgres: { name: 'postgres', root: 'sql/postgres' },
    },
  },
  nxJsonConfiguration: {},
};
// Timed from the call on: under `nx run`, Node and the modules are loaded by Nx already.
const started = process.hrtime.bigint();
executor(JSON.parse(json || '{}'), context).then((r) => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (process.env.BENCH_TIME_FILE)
    require('node:fs').writeFileSync(process.env.BENCH_TIME_FILE, String(seconds));
  process.exit(r.success ? 0 : 1);
});
