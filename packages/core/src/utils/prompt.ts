/**
 * The generators' own questions, asked inside the generator (Nx's x-prompt cannot filter a list or
 * explain a rule) with @clack/prompts, the library Nx's own prompts use, so they look the same.
 */
import { fail } from './errors';

export interface Choice<T extends string> {
  value: T;
  /** One line saying what the choice does. */
  hint: string;
  /** Other words a user types for it (psycopg2 for python). */
  aliases?: readonly string[];
}

/** A person at a terminal, and not `--no-interactive`, NX_INTERACTIVE=false or CI. */
export function canAsk(): boolean {
  return (
    process.env['NX_INTERACTIVE'] !== 'false' &&
    !!process.stdin.isTTY &&
    !!process.stdout.isTTY &&
    !process.env['CI']
  );
}

/** The choice a typed word names: its value or an alias, whatever the case. */
export function choiceNamed<T extends string>(
  choices: readonly Choice<T>[],
  word: string,
): T | undefined {
  const w = word.trim().toLowerCase();
  return choices.find((c) => c.value === w || c.aliases?.includes(w))?.value;
}

/** The filter of a select: what is typed is part of a value, hint or alias. */
export function choiceMatches<T extends string>(choice: Choice<T>, search: string): boolean {
  const s = search.trim().toLowerCase();
  if (!s) return true;
  return [choice.value, choice.hint, ...(choice.aliases ?? [])].some((t) =>
    t.toLowerCase().includes(s),
  );
}

const CANCELLED = 'Cancelled; no file was changed.';

/** A select with one-line descriptions; typing filters it, and a word that matches nothing is asked again. */
export async function askChoice<T extends string>(
  message: string,
  choices: readonly Choice<T>[],
): Promise<T> {
  const clack = await import('@clack/prompts');
  const byValue = new Map<string, Choice<T>>(choices.map((c) => [c.value, c]));
  const width = Math.max(...choices.map((c) => c.value.length));
  // clack's Option<Value> is conditional on Value being a primitive, which a generic T is not yet.
  const answer = await clack.autocomplete<string>({
    message,
    // The line on each choice is part of its label: clack shows a hint only on the focused one.
    options: choices.map((c) => ({ value: c.value, label: `${c.value.padEnd(width)}  ${c.hint}` })),
    filter: (search, option) => {
      const choice = byValue.get(option.value);
      return !!choice && choiceMatches(choice, search);
    },
    maxItems: Math.max(3, (process.stdout.rows ?? 24) - 6),
    validate: (value) =>
      value === undefined
        ? `Nothing matches; pick one of: ${choices.map((c) => c.value).join(', ')} (arrow keys, Enter).`
        : undefined,
  });
  if (clack.isCancel(answer)) fail(CANCELLED);
  return answer as T;
}

/** A line of text, refused with `check`'s message (which shows the rule) until it passes. */
export async function askText(
  message: string,
  check: (value: string) => string | undefined,
  initialValue?: string,
): Promise<string> {
  const clack = await import('@clack/prompts');
  // Enter on the offered value takes it, whether the field shows it filled in or as a hint.
  const orOffered = (value: string | undefined) => (value ?? '').trim() || (initialValue ?? '');
  const answer = await clack.text({
    message,
    initialValue,
    defaultValue: initialValue,
    validate: (value) => check(orOffered(value)),
  });
  if (clack.isCancel(answer)) fail(CANCELLED);
  return orOffered(answer);
}
