/** Checks generated polytope.yml files against the published schema and module params (fixtures). */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const fixture = (name: string) => parse(readFileSync(join(__dirname, 'fixtures', name), 'utf-8'));

let validatePolytopeFile: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;

/** Errors of `PolytopeFile` validation (empty when valid). */
export function polytopeSchemaErrors(text: string): string[] {
  if (!validatePolytopeFile) {
    const schema = fixture('polytope-file.schema.yml');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(schema, 'polytope');
    validatePolytopeFile = ajv.compile({ $ref: 'polytope#/definitions/PolytopeFile' });
  }
  const ok = validatePolytopeFile(parse(text));
  return ok
    ? []
    : (validatePolytopeFile.errors as { instancePath: string; message: string }[]).map(
        (e) => `${e.instancePath} ${e.message}`,
      );
}

type ParamType = string | ParamType[] | { [key: string]: ParamType };
const ALIASES: Record<string, ParamType> = {
  'env-var': { name: 'str', value: 'str' },
  'docker-image': 'str',
  'absolute-path': ['regex', '^/'],
  id: ['regex', '^[a-z0-9_-]+$'],
};

function checkMountSource(v: unknown, path: string): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    return [`${path}: mount-source must be a map`];
  const m = v as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    host: ['type', 'path'],
    volume: ['type', 'id', 'scope', 'create', 'source'],
    string: ['type', 'data'],
    repo: ['type', 'path', 'repo', 'revision'],
    dataset: ['type', 'dataset', 'path', 'version'],
  };
  const keys = allowed[String(m['type'])];
  if (!keys) return [`${path}: unknown mount-source type ${String(m['type'])}`];
  return Object.keys(m)
    .filter((k) => !keys.includes(k))
    .map((k) => `${path}.${k}: not a key of a ${String(m['type'])} mount-source`);
}

/** Checks a value against Polytope's param type DSL: str int bool num, [T], {k: T}, [default …] … */
export function checkParam(value: unknown, type: ParamType, path: string): string[] {
  if (typeof type === 'string') {
    if (type === 'mount-source') return checkMountSource(value, path);
    if (ALIASES[type]) return checkParam(value, ALIASES[type], path);
    const ok = {
      str: typeof value === 'string',
      int: Number.isInteger(value),
      num: typeof value === 'number',
      bool: typeof value === 'boolean',
    }[type];
    if (ok === undefined) return [`${path}: unknown type ${type}`];
    return ok ? [] : [`${path}: expected ${type}, got ${JSON.stringify(value)}`];
  }
  if (Array.isArray(type)) {
    const [head, ...rest] = type;
    if (head === 'default') return value === undefined ? [] : checkParam(value, rest[0], path);
    if (head === 'maybe')
      return value === undefined || value === null ? [] : checkParam(value, rest[0], path);
    if (head === 'either')
      return rest.some((t) => checkParam(value, t, path).length === 0)
        ? []
        : [`${path}: matches none of ${JSON.stringify(rest)}`];
    if (head === 'enum')
      return rest.includes(value as ParamType)
        ? []
        : [`${path}: ${JSON.stringify(value)} is not one of ${rest.join(', ')}`];
    if (head === 'regex')
      return typeof value === 'string' && new RegExp(String(rest[0])).test(String(value))
        ? []
        : [`${path}: does not match ${String(rest[0])}`];
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((v, i) => checkParam(v, head, `${path}[${i}]`));
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [`${path}: expected a map`];
  const v = value as Record<string, unknown>;
  return [
    ...Object.keys(v)
      .filter((k) => !(k in type))
      .map((k) => `${path}.${k}: undeclared key`),
    ...Object.entries(type).flatMap(([k, t]) => checkParam(v[k], t, `${path}.${k}`)),
  ];
}

function argsErrors(args: unknown, fixtureName: string, module: string): string[] {
  const params = fixture(fixtureName).params as { id: string; type: ParamType }[];
  const a = (args ?? {}) as Record<string, unknown>;
  const undeclared = Object.keys(a)
    .filter((k) => !params.some((p) => p.id === k))
    .map((k) => `args.${k}: not a declared param of ${module}`);
  const required = params
    .filter((p) => typeof p.type === 'string' && a[p.id] === undefined)
    .map((p) => `args.${p.id}: required by ${module}`);
  return [
    ...undeclared,
    ...required,
    ...params.flatMap((p) =>
      a[p.id] === undefined ? [] : checkParam(a[p.id], p.type, `args.${p.id}`),
    ),
  ];
}

/** Errors of a polytope/postgres module's args against the module's declared params. */
export function postgresArgsErrors(args: unknown): string[] {
  return argsErrors(args, 'postgres-module-params.yml', 'polytope/postgres');
}

/** Errors of a polytope/container module's args against the module's declared params. */
export function containerArgsErrors(args: unknown): string[] {
  return argsErrors(args, 'container-module-params.yml', 'polytope/container');
}

const isGenerated = (args: unknown) =>
  String((args as { image?: unknown } | undefined)?.image ?? '').startsWith(
    'ghcr.io/amacneil/dbmate',
  );

/** Both checks on a polytope.yml text (the schema only for the templates/modules format). */
export function polytopeFileErrors(text: string): string[] {
  const doc = parse(text) as Record<string, unknown>;
  const errors = doc && 'tools' in doc ? [] : polytopeSchemaErrors(text);
  const checks: string[] = [];
  const check = (ref: unknown, args: unknown, isPostgres: boolean) => {
    if (isPostgres) checks.push(...postgresArgsErrors(args));
    // Only the containers the generators write: a user's own may use params of later releases.
    else if (ref === 'polytope/container' && isGenerated(args))
      checks.push(...containerArgsErrors(args));
  };
  if (doc && Array.isArray(doc['modules'])) {
    for (const m of doc['modules'] as Record<string, unknown>[])
      check(m['module'], m['args'], String(m['module']).startsWith('polytope/postgres'));
  }
  if (doc && doc['tools']) {
    for (const t of Object.values(
      doc['tools'] as Record<string, { run?: Record<string, unknown>[] }>,
    )) {
      for (const step of t?.run ?? [])
        if (step) check(step['tool'], step['args'], step['tool'] === 'polytope/postgres');
    }
  }
  return [...errors, ...checks];
}
