/**
 * What a user gets from npm: the real build, packed by the real `npm pack --dry-run --json`. Its
 * file list and README are compared with the checked-in snapshot, every relative link of the
 * shipped Markdown must reach a file (and heading) inside the tarball, and no message may point at
 * a `docs/…` path the user does not have.
 *
 * After a deliberate change to the package's contents, rewrite the snapshot with
 * `UPDATE_PACKAGE_SNAPSHOT=1 npx jest -c packages/pg/jest.config.ts packages/pg/src/package-contents`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');
const SNAPSHOT = join(REPO, 'packages/pg/package-contents.snapshot.txt');

let out: string;
let files: string[];
let readme: string;

/** GitHub's and npm's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    found.add(n ? `${base}-${n}` : base);
  }
  return found;
}

/** Link targets of a Markdown file, outside code blocks and code spans. */
function links(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

function snapshotText(): string {
  return [
    '# @acme/pg as npm packs it (npm pack --dry-run --json): its files, then its README.',
    '# Rewrite after a deliberate change: see packages/pg/src/package-contents.integration.spec.ts.',
    `## files (${files.length})`,
    ...files,
    '## README.md',
    readme,
  ].join('\n');
}

beforeAll(() => {
  mkdirSync(join(REPO, 'tmp'), { recursive: true });
  out = mkdtempSync(join(REPO, 'tmp', 'package-contents-'));
  // The real build into a folder of this test's own, so that nothing else's dist/ is touched.
  execFileSync('npx', ['nx', 'build', 'pg', `--outputPath=${relative(REPO, out)}`], {
    cwd: REPO,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    stdio: 'pipe',
  });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: out,
      encoding: 'utf-8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { files: { path: string }[] }[];
  files = packed[0].files.map((f) => f.path).sort();
  readme = readFileSync(join(out, 'README.md'), 'utf-8');
}, 240_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('the packed @acme/pg', () => {
  it('has the file list and README of the checked-in snapshot', () => {
    if (process.env['UPDATE_PACKAGE_SNAPSHOT'] === '1') writeFileSync(SNAPSHOT, snapshotText());
    expect(snapshotText()).toBe(readFileSync(SNAPSHOT, 'utf-8'));
  });

  it('ships a README that covers install, every generator and executor, and the docs', () => {
    expect(readme).toContain('nx add @acme/pg');
    const generators = Object.keys(
      JSON.parse(readFileSync(join(out, 'generators.json'), 'utf-8')).generators,
    );
    const executors = Object.keys(
      JSON.parse(readFileSync(join(out, 'executors.json'), 'utf-8')).executors,
    );
    // init-bundle-sync is Nx's sync generator: nx sync runs it, nobody types it.
    for (const g of generators.filter((g) => g !== 'init-bundle-sync'))
      expect([g, readme.includes(`nx g @acme/pg:${g}`)]).toEqual([g, true]);
    for (const e of executors) expect([e, readme.includes(`\`${e}\``)]).toEqual([e, true]);
    for (const page of ['docs/plugin.md', 'docs/executors/connection.md', 'docs/migrations.md'])
      expect(files).toContain(page);
  });

  it('every relative link of the shipped Markdown reaches a file and heading inside the tarball', () => {
    const markdown = files.filter((f) => f.endsWith('.md'));
    expect(markdown.length).toBeGreaterThan(10);
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      const text = readFileSync(join(out, file), 'utf-8');
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked += 1;
        const [path, fragment] = target.split('#');
        const to = path ? posix.normalize(posix.join(posix.dirname(file), path)) : file;
        if (!files.includes(to)) {
          broken.push(`${file}: ${target} (no ${to} in the tarball)`);
          continue;
        }
        if (fragment && !anchors(readFileSync(join(out, to), 'utf-8')).has(fragment))
          broken.push(`${file}: ${target} (no heading #${fragment} in ${to})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('no message or option description points at a docs/ path the user does not have', () => {
    const wrong: string[] = [];
    for (const file of files.filter((f) => /\.(js|json)$/.test(f))) {
      const text = readFileSync(join(out, file), 'utf-8');
      for (const m of text.matchAll(/(\S*)docs\/[\w./-]+\.md/g)) {
        const shipped = m[0].replace(/^.*?node_modules\/@acme\/pg\//, '');
        if (!m[0].includes('node_modules/@acme/pg/docs/') || !files.includes(shipped))
          wrong.push(`${file}: ${m[0]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the packed @acme/pg-core, which the build of @acme/pg builds first', () => {
  const core = join(REPO, 'dist/packages/core');
  let coreFiles: string[];
  beforeAll(() => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: core,
        encoding: 'utf-8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as { files: { path: string }[] }[];
    coreFiles = packed[0].files.map((f) => f.path).sort();
  });

  it('ships its bin, commands.json, README and docs, and nothing of Nx', () => {
    const pkg = JSON.parse(readFileSync(join(core, 'package.json'), 'utf-8'));
    expect(coreFiles).toContain(pkg.bin['acme-pg'].replace(/^\.\//, ''));
    for (const f of ['commands.json', 'README.md', 'docs/cli.md', 'docs/turborepo.md'])
      expect(coreFiles).toContain(f);
    expect(Object.keys(pkg.dependencies).filter((d) => /^(nx|@nx\/)/.test(d))).toEqual([]);
    // Every command and generator commands.json names is in the package.
    const catalogue = JSON.parse(readFileSync(join(core, 'commands.json'), 'utf-8'));
    for (const e of [
      ...Object.values(catalogue.commands as Record<string, { implementation: string }>).map(
        (c) => `${c.implementation}.js`,
      ),
      ...Object.values(catalogue.generators as Record<string, { factory: string }>).map(
        (g) => `${g.factory}.js`,
      ),
    ])
      expect(coreFiles).toContain(e.replace(/^\.\//, ''));
  });

  it('every relative link of its Markdown reaches a file and heading inside it', () => {
    const broken: string[] = [];
    for (const file of coreFiles.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(core, file), 'utf-8');
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [path, fragment] = target.split('#');
        const to = path ? posix.normalize(posix.join(posix.dirname(file), path)) : file;
        if (!coreFiles.includes(to)) broken.push(`${file}: ${target}`);
        else if (fragment && !anchors(readFileSync(join(core, to), 'utf-8')).has(fragment))
          broken.push(`${file}: ${target} (no heading #${fragment})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
