/**
 * A real terminal for prompt tests: a shell in a private tmux server, typed into with send-keys the
 * way a person types (arrow keys, Enter, Backspace), read back with capture-pane.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from './workspace';

export class Terminal {
  // A private server on a socket of its own, removed by close: no other tmux is touched.
  private readonly dir = mkdtempSync(join(tmpdir(), 'acme-pg-tmux-'));
  private readonly socket = join(this.dir, 'socket');
  private runs = 0;

  /** A bash in `cwd`, with a terminal (so prompts appear): no CI and no NX_INTERACTIVE=false. */
  constructor(cwd: string) {
    const interactive: NodeJS.ProcessEnv = { ...env };
    delete interactive['CI'];
    delete interactive['NX_INTERACTIVE'];
    this.tmux(
      ['new-session', '-d', '-s', 'e2e', '-x', '160', '-y', '50', '-c', cwd, 'bash --norc -i'],
      { ...interactive, TERM: 'xterm-256color', PS1: '$ ', HISTFILE: '/dev/null' },
    );
  }

  private tmux(args: string[], environment: NodeJS.ProcessEnv = env): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], {
      env: environment,
      encoding: 'utf-8',
    });
  }

  /** Types text as it is (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'e2e', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, Down, Up, BSpace, C-c. */
  press(...keys: string[]): void {
    for (const key of keys) this.tmux(['send-keys', '-t', 'e2e', key]);
  }

  /** Runs a command line and returns at once; `exitCode` waits for it. */
  run(command: string): void {
    this.clear();
    this.runs += 1;
    // A number per run, so that the end of an earlier one is never taken for this one's.
    this.type(`${command}; echo "EXIT-${this.runs}=$?"`);
    this.press('Enter');
  }

  /** The visible screen, as plain text. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 'e2e']);
  }

  /** Waits until the screen shows `pattern`; fails with the screen when it does not in time. */
  async waitFor(pattern: RegExp | string, timeoutMs = 120000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const found = (s: string) =>
      typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s);
    for (;;) {
      const s = this.screen();
      if (found(s)) return s;
      if (Date.now() > deadline)
        throw new Error(`The screen did not show ${String(pattern)} in time:\n${s}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The exit code of the command started by `run`, once it has finished. */
  async exitCode(): Promise<number> {
    const end = new RegExp(`^EXIT-${this.runs}=(\\d+)$`, 'm');
    return Number(end.exec(await this.waitFor(end))![1]);
  }

  clear(): void {
    this.tmux(['clear-history', '-t', 'e2e']);
    this.type('clear');
    this.press('Enter');
  }

  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // Already gone with its last window.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
