/**
 * Adds or updates a PostgreSQL wrapper module in a polytope.yml text, in its own format, by splicing.
 * The result is parsed again and compared with what was meant before anyone sees it.
 */
import { isMap, isSeq, Node, Pair, YAMLMap } from 'yaml';
import { fail } from '../utils/errors';
import {
  entryById,
  ID_PATTERN,
  isNull,
  listOf,
  PolytopeFile,
  positionOf,
  toolsMap,
} from './polytope-file';
import {
  desiredModule,
  ExistingArgs,
  ModuleSettings,
  POSTGRES_MODULE,
  postgresVariant,
  PostgresVariant,
  readExistingArgs,
  SIMPLE_MODULE,
} from './postgres-module';
import { appendRunEntry, seqRuns } from './run-entry';
import { assertOthersUnchanged, reparseEdited } from './verify-edit';
import { renderPair, renderSeqItems, YamlValue } from './yaml-render';
import {
  appendSeqItem,
  AnyNode,
  findPair,
  insertPairBefore,
  plain,
  reconcileMap,
  scalarText,
  Splicer,
  WantMap,
} from './yaml-splice';
import { generatorCommand } from '../utils/commands';

/** The module (or tool) with this id, checked to be a PostgreSQL module. */
export interface FoundModule {
  node: YAMLMap;
  /** The map that holds `args`: the module itself, or the tool's polytope/postgres run step. */
  argsHolder: YAMLMap;
  existing: ExistingArgs;
  /** The module ref as written: `polytope/postgres`, `polytope/postgres!simple`, … */
  ref: string;
  variant: PostgresVariant;
  /** The file that defines it. */
  file: PolytopeFile;
}

const KNOWN = `${POSTGRES_MODULE} or ${SIMPLE_MODULE}`;

function refOf(node: YAMLMap, key: string): string | undefined {
  return scalarText(node.get(key, true) as AnyNode);
}

export function findPostgresModule(file: PolytopeFile, id: string): FoundModule | undefined {
  const argsOf = (n: YAMLMap) =>
    readExistingArgs((n.get('args') as YAMLMap | undefined)?.toJSON?.());
  if (file.format === 'modules') {
    const node = entryById(listOf(file, 'modules'), id);
    if (!node) return undefined;
    const ref = refOf(node, 'module');
    const variant = postgresVariant(ref);
    if (!variant) {
      fail(
        `${positionOf(file, node)}: module '${id}' is ${ref ? `'${ref}'` : 'not a standard module'}, not a PostgreSQL module (${KNOWN}); @acme/pg manages only those. Choose another --id, or rename that module.`,
      );
    }
    return { node, argsHolder: node, existing: argsOf(node), ref: ref!, variant, file };
  }
  const tools = toolsMap(file);
  const node = tools?.get(id, true) as AnyNode;
  if (!node) return undefined;
  const run = isMap(node) ? (node.get('run', true) as AnyNode) : undefined;
  const step = isSeq(run)
    ? (run.items as Node[]).find(
        (n): n is YAMLMap => isMap(n) && postgresVariant(refOf(n, 'tool')) !== null,
      )
    : undefined;
  if (!isMap(node) || !step) {
    fail(
      `${positionOf(file, node)}: tool '${id}' does not run a PostgreSQL module (${KNOWN}); @acme/pg manages only those. Choose another --id, or rename that tool.`,
    );
  }
  const ref = refOf(step, 'tool')!;
  return {
    node,
    argsHolder: step,
    existing: argsOf(step),
    ref,
    variant: postgresVariant(ref)!,
    file,
  };
}

/** Every polytope/postgres module id in the file, in file order. */
export function postgresModuleIds(file: PolytopeFile): string[] {
  const ids: string[] = [];
  if (file.format === 'modules') {
    for (const n of (listOf(file, 'modules')?.items ?? []) as Node[]) {
      if (isMap(n) && postgresVariant(refOf(n, 'module')))
        ids.push(scalarText(n.get('id', true) as AnyNode)!);
    }
    return ids;
  }
  for (const pair of toolsMap(file)?.items ?? []) {
    const run = isMap(pair.value) ? (pair.value.get('run', true) as AnyNode) : undefined;
    const runsPostgres =
      isSeq(run) &&
      (run.items as Node[]).some((n) => isMap(n) && postgresVariant(refOf(n, 'tool')) !== null);
    if (runsPostgres) ids.push(scalarText(pair.key as AnyNode)!);
  }
  return ids;
}

export interface UpsertResult {
  text: string;
  created: boolean;
}

/**
 * Adds the module or brings an existing one up to the blueprint, in the file that holds it; adds its
 * run entry to `template` (a template, or an entry tool) of the same file unless null.
 */
export function upsertPostgresModule(
  file: PolytopeFile,
  settings: ModuleSettings,
  template: string | null,
): UpsertResult {
  if (!ID_PATTERN.test(settings.id)) fail(`Invalid module id '${settings.id}'.`);
  const found = findPostgresModule(file, settings.id);
  const s = new Splicer(file.text);
  const want = desiredModule(settings, found?.existing ?? null, !!found?.node.get('info'));
  if (file.format === 'tools') upsertTool(s, file, settings.id, want, found, template);
  else upsertModule(s, file, settings.id, want, found, template);
  const text = s.changed ? s.apply() : file.text;
  verify(file, text, settings.id, template, true);
  return { text, created: !found };
}

/** Adds `id` to the run list of `template` (created when absent) in a file that does not define `id`. */
export function addRunEntry(file: PolytopeFile, id: string, template: string): string {
  const s = new Splicer(file.text);
  if (file.format === 'tools') joinTool(s, file, id, template);
  else if (file.root) joinTemplate(s, file, id, template);
  else s.replace(0, s.text.length, newFileText(id, null, template));
  const text = s.changed ? s.apply() : file.text;
  verify(file, text, id, template, false);
  return text;
}

function newFileText(id: string, module: YamlValue | null, template: string | null): string {
  const parts: string[] = [];
  if (template) parts.push(`templates:\n${renderSeqItems([{ id: template, run: [id] }], 2)}\n`);
  if (module !== null) parts.push(`modules:\n${renderSeqItems([module], 2)}\n`);
  return parts.join('\n');
}

/** Text appended to the end of the file, after making sure it ends with a newline. */
function appendAtEnd(s: Splicer, text: string): void {
  const sep = s.text.length === 0 || s.text.endsWith('\n') ? '' : '\n';
  s.insert(s.text.length, `${sep}${s.text.trim().length ? '\n' : ''}${text}`);
}

function seqIndent(s: Splicer, root: YAMLMap, fallback = 2): number {
  for (const key of ['templates', 'modules']) {
    const v = findPair(root, key)?.value;
    if (isSeq(v) && !v.flow && v.items.length) {
      const first = v.items[0] as Node;
      const dash = s.text.lastIndexOf('-', first.range![0]);
      return dash - s.lineStart(dash);
    }
  }
  return fallback;
}

function upsertModule(
  s: Splicer,
  file: PolytopeFile,
  id: string,
  want: WantMap,
  found: FoundModule | undefined,
  template: string | null,
): void {
  const root = file.root;
  if (!root) {
    s.replace(
      0,
      s.text.length,
      (s.text.trim() ? `${s.text.trimEnd()}\n\n` : '') + newFileText(id, plain(want), template),
    );
    return;
  }
  const modules = findPair(root, 'modules');
  if (!modules && !findPair(root, 'templates')) {
    appendAtEnd(s, newFileText(id, plain(want), template));
    return;
  }
  if (found) reconcileMap(s, found.node, want);
  else addToList(s, root, 'modules', plain(want), seqIndent(s, root));
  if (template) joinTemplate(s, file, id, template);
}

function joinTemplate(s: Splicer, file: PolytopeFile, id: string, template: string): void {
  const root = file.root!;
  const modules = findPair(root, 'modules');
  const entry = entryById(listOf(file, 'templates'), template);
  const item = { id: template, run: [id] };
  if (entry) {
    const run = entry.get('run', true) as AnyNode;
    if (isSeq(run) && run.items.length > 0) {
      if (!seqRuns(run, id)) appendRunEntry(s, run, id, 'modules');
    } else reconcileMap(s, entry, { run: [id] });
  } else if (findPair(root, 'templates') || !modules) {
    addToList(s, root, 'templates', item, seqIndent(s, root));
  } else {
    // Templates come first, by the documented convention: right above `modules`.
    const block = `templates:\n${renderSeqItems([item], seqIndent(s, root))}`;
    s.insert(s.lineStart((modules.key as Node).range![0]), `${block}\n\n`);
  }
}

/** Appends to a top-level list, creating or filling it in when missing or empty. */
function addToList(s: Splicer, root: YAMLMap, key: string, item: YamlValue, indent: number): void {
  const pair = findPair(root, key);
  const value = pair?.value as AnyNode;
  if (isSeq(value) && value.items.length > 0) return appendSeqItem(s, value, item);
  const block = `${key}:\n${renderSeqItems([item], indent)}`;
  if (pair && (isNull(value) || isSeq(value))) {
    const keyNode = pair.key as Node;
    const end = value ? value.range![1] : keyNode.range![1];
    s.replace(keyNode.range![0], s.lineEnd(Math.max(keyNode.range![1], end - 1)), block);
    return;
  }
  appendAtEnd(s, `${block}\n`);
}

function upsertTool(
  s: Splicer,
  file: PolytopeFile,
  id: string,
  want: WantMap,
  found: FoundModule | undefined,
  template: string | null,
): void {
  const args = want['args'] as WantMap;
  const tools = toolsMap(file);
  if (found) {
    const first = found.node.items[0] as Pair<Node, AnyNode> | undefined;
    // A tool's `info` goes first, as Bluetext's tools have it.
    if (want['info'] !== undefined && first)
      insertPairBefore(s, found.node, first, 'info', plain(want['info']));
    const step: WantMap = { args };
    if (want['module'] !== undefined) step['tool'] = want['module'];
    reconcileMap(s, found.argsHolder, step);
  }
  const tool = {
    info: plain(want['info'] ?? ''),
    run: [{ tool: plain(want['module'] ?? POSTGRES_MODULE), args: plain(args) }],
  } as YamlValue;
  if (!tools) {
    const pair = findPair(file.root!, 'tools')!;
    const toolMap: Record<string, YamlValue> = {};
    if (template) toolMap[template] = { run: [{ tool: id }] };
    toolMap[id] = tool;
    const keyNode = pair.key as Node;
    s.replace(keyNode.range![0], s.lineEnd(keyNode.range![1]), renderPair('tools', toolMap, 0));
    return;
  }
  if (!found) reconcileMap(s, tools, { [id]: tool });
  if (template) joinTool(s, file, id, template);
}

function joinTool(s: Splicer, file: PolytopeFile, id: string, template: string): void {
  const tools = toolsMap(file);
  if (!tools) {
    const pair = findPair(file.root!, 'tools');
    const block = renderPair('tools', { [template]: { run: [{ tool: id }] } }, 0);
    if (pair)
      s.replace((pair.key as Node).range![0], s.lineEnd((pair.key as Node).range![1]), block);
    else appendAtEnd(s, `${block}\n`);
    return;
  }
  const t = tools.get(template, true) as AnyNode;
  const run = isMap(t) ? (t.get('run', true) as AnyNode) : undefined;
  if (isSeq(run) && run.items.length > 0) {
    if (!seqRuns(run, id)) appendRunEntry(s, run, id, 'tools');
  } else if (isMap(t)) reconcileMap(s, t, { run: [{ tool: id }] });
  else reconcileMap(s, tools, { [template]: { run: [{ tool: id }] } });
}

/**
 * Adds a module of another kind (the migration step) to a file that already holds modules or tools,
 * when no entry has its id; an existing one is left exactly as it is, the user's edits included.
 * `template`: a template (or entry tool) of the same file that gets its run entry, or null.
 */
export function addOtherModule(
  file: PolytopeFile,
  id: string,
  module: { info: YamlValue; ref: string; args: Record<string, YamlValue> },
  template: string | null,
): string {
  if (!ID_PATTERN.test(id)) fail(`Invalid module id '${id}'.`);
  const s = new Splicer(file.text);
  if (file.format === 'tools') {
    const tools = toolsMap(file);
    if (!tools) throw new Error(`internal error: ${file.path} has no tools to add '${id}' to.`);
    if (!tools.get(id, true))
      reconcileMap(s, tools, {
        [id]: { info: module.info, run: [{ tool: module.ref, args: module.args }] },
      });
    if (template) joinTool(s, file, id, template);
  } else {
    if (!file.root || !findPair(file.root, 'modules'))
      throw new Error(`internal error: ${file.path} has no modules to add '${id}' to.`);
    if (!entryById(listOf(file, 'modules'), id))
      addToList(
        s,
        file.root,
        'modules',
        { id, info: module.info, module: module.ref, args: module.args },
        seqIndent(s, file.root),
      );
    if (template) joinTemplate(s, file, id, template);
  }
  const text = s.changed ? s.apply() : file.text;
  const after = reparseEdited(file, text);
  assertOthersUnchanged(file, after, { entries: template ? [id, template] : [id] });
  return text;
}

/**
 * Points a host mount of another module (the migration step) at `source`, its other fields and
 * mounts untouched: for a database folder that moved.
 */
export function setOtherModuleMount(
  file: PolytopeFile,
  id: string,
  mount: { path: string; source: string },
): string {
  const holder =
    file.format === 'modules'
      ? entryById(listOf(file, 'modules'), id)
      : (
          (toolsMap(file)?.get(id, true) as YAMLMap | undefined)?.get('run', true) as
            { items?: unknown[] } | undefined
        )?.items?.[0];
  if (!isMap(holder)) throw new Error(`internal error: module '${id}' is not in ${file.path}.`);
  const s = new Splicer(file.text);
  reconcileMap(s, holder, {
    args: {
      mounts: {
        kind: 'merge-by',
        key: 'path',
        items: [{ path: mount.path, source: { type: 'host', path: mount.source } }],
        remove: [],
      },
    },
  });
  const text = s.changed ? s.apply() : file.text;
  assertOthersUnchanged(file, reparseEdited(file, text), { entries: [id] });
  return text;
}

/** Reads the result back: it must parse, hold the module as meant, and nothing else may differ. */
function verify(
  before: PolytopeFile,
  text: string,
  id: string,
  template: string | null,
  defines: boolean,
): void {
  const after = reparseEdited(before, text);
  if (defines && !findPostgresModule(after, id))
    throw new Error(
      `internal error: module '${id}' is missing after the edit; nothing was written.`,
    );
  assertOthersUnchanged(before, after, { entries: template ? [id, template] : [id] });
}

/** Adds (or updates) env entries of an existing module, touching nothing else. */
export function setModuleEnv(
  file: PolytopeFile,
  id: string,
  entries: { name: string; value: string }[],
): string {
  const found = findPostgresModule(file, id);
  if (!found)
    fail(
      `Module '${id}' is not in ${file.path}. Run \`${generatorCommand('module')} --id ${id}\` first.`,
    );
  if (found.variant === 'simple')
    fail(
      `Module '${id}' is ${found.ref}, which takes no env. Turn it into the full module first: ${generatorCommand('module')} --id ${id} --convert.`,
    );
  const s = new Splicer(file.text);
  reconcileMap(s, found.argsHolder, {
    args: { env: { kind: 'merge-by', key: 'name', items: entries, remove: [] } },
  });
  const text = s.changed ? s.apply() : file.text;
  verify(file, text, id, null, true);
  return text;
}
