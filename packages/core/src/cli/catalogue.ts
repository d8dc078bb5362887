/**
 * What the command line offers, from the package's commands.json: read on its own, so that
 * `acme-pg --help` and a db-* command load no generator code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratorEntry {
  factory: string;
  schema: string;
  description: string;
  hidden?: boolean;
}

export function generators(packageRoot: string): Record<string, GeneratorEntry> {
  const all = JSON.parse(readFileSync(join(packageRoot, 'commands.json'), 'utf-8')).generators;
  return Object.fromEntries(
    Object.entries(all as Record<string, GeneratorEntry>).filter(([, g]) => !g.hidden),
  );
}
