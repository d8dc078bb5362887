import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile, renderEnvFile, shellUnsafeKeys } from './env-file';

describe('env file', () => {
  const values = {
    PLAIN: 'p:a@ss/w0rd',
    QUOTE: "it's",
    SPACES: 'a b  c',
    DOLLAR: 'a$b`c',
    UNICODE: 'correct\u00adhorse\u200bbattery',
  };

  it('reads back every value it writes', () => {
    expect(parseEnvFile(renderEnvFile(values, 'header'), '.env')).toEqual(values);
    const hard = { X: "it's $HOME \\n and `x`\nline two" };
    expect(parseEnvFile(renderEnvFile(hard, 'h'), '.env')).toEqual(hard);
  });

  it('a POSIX shell sourcing it reads the same values, and names the ones it would not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acme-pg-envfile-'));
    try {
      const file = join(dir, '.env');
      writeFileSync(file, renderEnvFile(values, 'h'));
      const names = Object.keys(values);
      const r = spawnSync(
        'sh',
        [
          '-c',
          `set -a && . ${file} && set +a && for n in ${names.join(' ')}; do eval "printf '%s\\\\0' \\"\\$$n\\""; done`,
        ],
        { encoding: 'utf-8', env: { PATH: process.env['PATH'] } },
      );
      expect(r.stdout.split('\0').slice(0, -1)).toEqual(Object.values(values));
      expect(shellUnsafeKeys(values)).toEqual([]);
      expect(shellUnsafeKeys({ A: "it's $x", B: "it's", C: 'a$b' })).toEqual(['A']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
