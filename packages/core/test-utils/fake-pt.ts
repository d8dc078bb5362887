/**
 * Puts the recording stand-in for `pt` (test-utils/fake-pt/pt) first on PATH and reads back what
 * it was given. The `pt` syntax it follows is the one @acme/pg uses: `pt values set KEY VALUE`,
 * `pt secrets set KEY --stdin`, `pt values list` and `pt secrets list` (`-o json`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PtCall {
  args: string[];
  stdin: string;
}

export interface FakePt {
  calls(): PtCall[];
  /** Keys `list` reports as set. */
  setExisting(keys: { values?: string[]; secrets?: string[] }): void;
  reset(): void;
  remove(): void;
}

export function installFakePt(): FakePt {
  const dir = mkdtempSync(join(tmpdir(), 'acme-pg-pt-'));
  const log = join(dir, 'calls.jsonl');
  const fixture = join(dir, 'fixture.json');
  process.env['PATH'] = `${join(__dirname, 'fake-pt')}${delimiter}${process.env['PATH']}`;
  process.env['PT_LOG'] = log;
  process.env['PT_FIXTURE'] = fixture;
  const fake: FakePt = {
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf-8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as PtCall)
        : [],
    setExisting: (keys) => writeFileSync(fixture, JSON.stringify(keys)),
    reset: () => {
      rmSync(log, { force: true });
      writeFileSync(fixture, '{}');
      delete process.env['PT_FAIL_KEY'];
      delete process.env['PT_LIST_FAILS'];
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  fake.reset();
  return fake;
}
