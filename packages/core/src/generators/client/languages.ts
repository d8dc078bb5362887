/** The client libraries an app can get, and the words people type for them. */
import { fail } from '../../utils/errors';
import { Choice, choiceNamed } from '../../utils/prompt';
import { ClientLanguage } from './schema';

export const LANGUAGES: readonly Choice<ClientLanguage>[] = [
  {
    value: 'python',
    hint: 'Python with psycopg2 (synchronous)',
    aliases: ['psycopg2', 'psycopg2-binary', 'psycopg', 'py', 'python3'],
  },
  { value: 'asyncpg', hint: 'Python with asyncpg (asyncio)', aliases: ['async', 'python-async'] },
  {
    value: 'node',
    hint: 'Node.js with pg (node-postgres), TypeScript or JavaScript',
    aliases: ['pg', 'js', 'ts', 'typescript', 'javascript', 'nodejs', 'node.js', 'node-postgres'],
  },
];

/** `--language` as typed: a language or one of its aliases; anything else is refused with the choices. */
export function parseLanguage(given: string): ClientLanguage {
  const language = choiceNamed(LANGUAGES, given);
  if (!language)
    fail(`Invalid --language '${given}': use python (psycopg2), asyncpg or node (pg).`);
  return language;
}
