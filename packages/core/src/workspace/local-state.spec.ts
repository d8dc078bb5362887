import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_STATE_FILE, readLocalState, updateLocalState } from './local-state';

describe('machine-local state', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'local-state-'));
    mkdirSync(join(root, 'sql', 'postgres'), { recursive: true });
    writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  });

  it('is empty until written, then merges patches, removes undefined keys, and is private', () => {
    expect(readLocalState(root, 'sql/postgres')).toEqual({});
    updateLocalState(root, 'sql/postgres', { envFile: '.env.postgres' });
    const server = {
      host: 'localhost',
      port: 5711,
      pid: 42,
      version: '16.13',
      dataDir: '/d',
      startedAt: '2026-12-01T00:00:00.000Z',
    };
    updateLocalState(root, 'sql/postgres', { server });
    expect(readLocalState(root, 'sql/postgres')).toEqual({ envFile: '.env.postgres', server });
    updateLocalState(root, 'sql/postgres', { server: undefined });
    expect(readLocalState(root, 'sql/postgres')).toEqual({ envFile: '.env.postgres' });
    const path = join(root, 'sql', 'postgres', LOCAL_STATE_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('git-ignores itself once', () => {
    updateLocalState(root, 'sql/postgres', { envFile: 'a' });
    updateLocalState(root, 'sql/postgres', { envFile: 'b' });
    const lines = readFileSync(join(root, '.gitignore'), 'utf-8').split('\n');
    expect(lines.filter((l) => l === `/sql/postgres/${LOCAL_STATE_FILE}`)).toHaveLength(1);
  });

  it('refuses a corrupt file with the way out, and leaves it alone', () => {
    const path = join(root, 'sql', 'postgres', LOCAL_STATE_FILE);
    writeFileSync(path, '{"envFile": ');
    expect(() => readLocalState(root, 'sql/postgres')).toThrow(
      `sql/postgres/${LOCAL_STATE_FILE} is not valid JSON; delete it (it only holds this machine's facts) and run again.`,
    );
    expect(() => updateLocalState(root, 'sql/postgres', { envFile: 'x' })).toThrow(
      /not valid JSON/,
    );
    expect(readFileSync(path, 'utf-8')).toBe('{"envFile": ');
  });
});
