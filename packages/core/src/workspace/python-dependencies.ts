/**
 * Adds a package to a Python project's dependency file, as a person would: one new line (or array
 * entry) in the file's own style, every other byte kept. Handles requirements.txt, PEP 621
 * `[project].dependencies` in pyproject.toml, and Poetry's `[tool.poetry.dependencies]` table.
 */
import { joinPathFragments, Tree } from '../tree/tree-api';
import { fail } from '../utils/errors';

export interface PythonRequirement {
  /** Distribution name, e.g. psycopg2-binary. */
  name: string;
  /** PEP 440 specifier for requirements.txt and PEP 621, e.g. >=2.9. */
  specifier: string;
  /** Poetry constraint, e.g. ^2.9. */
  poetry: string;
  /** Other distributions that provide the same import (psycopg2 for psycopg2-binary). */
  alternatives: string[];
}

/** A dependency file's new text; `text` is null when the requirement is already there. */
export interface DependencyEdit {
  path: string;
  text: string | null;
}

/** PEP 503 normalised name. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution a requirement line or string names, or undefined for options and comments. */
function requirementName(text: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(text);
  return m ? normalise(m[1]) : undefined;
}

function readText(tree: Tree, path: string): string {
  if (!tree.isFile(path)) fail(`${path} is a folder, not a file; remove or rename it.`);
  const bytes = tree.read(path);
  const text = bytes?.toString('utf-8') ?? '';
  if (bytes && (text.includes('\uFFFD') || text.includes('\0'))) {
    fail(`${path} is not a UTF-8 text file, so it cannot be read or edited; fix or replace it.`);
  }
  return text;
}

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function appendLine(text: string, line: string): string {
  const eol = eolOf(text);
  const sep = text.length === 0 || text.endsWith('\n') ? '' : eol;
  return `${text}${sep}${line}${eol}`;
}

/** Works out the edit without writing, so that a bad file stops the generator before any write. */
export function planPythonDependency(
  tree: Tree,
  root: string,
  req: PythonRequirement,
): DependencyEdit {
  const requirements = joinPathFragments(root, 'requirements.txt');
  const pyproject = joinPathFragments(root, 'pyproject.toml');
  const names = [req.name, ...req.alternatives].map(normalise);
  if (tree.exists(requirements)) {
    const text = readText(tree, requirements);
    const present = text.split(/\r?\n/).some((l) => names.includes(requirementName(l) ?? ''));
    return {
      path: requirements,
      text: present ? null : appendLine(text, `${req.name}${req.specifier}`),
    };
  }
  if (tree.exists(pyproject)) {
    const text = readText(tree, pyproject);
    const next = addToPyproject(text, pyproject, req, names);
    return { path: pyproject, text: next === text ? null : next };
  }
  return { path: requirements, text: `${req.name}${req.specifier}\n` };
}

interface Table {
  name: string;
  /** Index of the header line, and of the line after the table's last line. */
  header: number;
  end: number;
}

function tablesOf(lines: string[]): Table[] {
  const tables: Table[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/.exec(line);
    if (m && !/^\s*\[\[/.test(line)) {
      if (tables.length) tables[tables.length - 1].end = i;
      tables.push({ name: m[1].replace(/\s+/g, ''), header: i, end: lines.length });
    } else if (/^\s*\[\[/.test(line) && tables.length) {
      tables[tables.length - 1].end = i;
      tables.push({ name: '', header: i, end: lines.length });
    }
  });
  return tables;
}

/** The last line of a table that holds content, so a new key goes before trailing blank lines. */
function lastContentLine(lines: string[], t: Table): number {
  let i = t.end - 1;
  while (i > t.header && /^\s*(#.*)?$/.test(lines[i])) i--;
  return i;
}

function addToPyproject(
  text: string,
  path: string,
  req: PythonRequirement,
  names: string[],
): string {
  const eol = eolOf(text);
  const lines = text.split(/\r?\n/);
  const tables = tablesOf(lines);
  const project = tables.find((t) => t.name === 'project');
  const poetryDeps = tables.find((t) => t.name === 'tool.poetry.dependencies');
  const depsKey = project
    ? lines.slice(project.header + 1, project.end).findIndex((l) => /^\s*dependencies\s*=/.test(l))
    : -1;

  if (project && (depsKey >= 0 || !poetryDeps)) {
    const dynamic = lines
      .slice(project.header + 1, project.end)
      .some((l) => /^\s*dynamic\s*=.*["']dependencies["']/.test(l));
    if (dynamic && depsKey < 0) {
      fail(
        `${path} declares its dependencies as dynamic, so they live elsewhere; add ${req.name}${req.specifier} there (or to a requirements.txt next to it).`,
      );
    }
    if (depsKey < 0) {
      const at = lastContentLine(lines, project) + 1;
      lines.splice(at, 0, `dependencies = ["${req.name}${req.specifier}"]`);
      return lines.join(eol);
    }
    return addToArray(lines, project.header + 1 + depsKey, path, req, names, eol);
  }
  if (poetryDeps) {
    const body = lines.slice(poetryDeps.header + 1, poetryDeps.end);
    const present = body.some((l) => {
      const m = /^\s*["']?([A-Za-z0-9._-]+)["']?\s*=/.exec(l);
      return !!m && names.includes(normalise(m[1]));
    });
    if (present) return text;
    lines.splice(lastContentLine(lines, poetryDeps) + 1, 0, `${req.name} = "${req.poetry}"`);
    return lines.join(eol);
  }
  if (tables.some((t) => t.name === 'tool.poetry')) {
    return appendLine(text, `${eol}[tool.poetry.dependencies]${eol}${req.name} = "${req.poetry}"`);
  }
  return appendLine(text, `${eol}[project]${eol}dependencies = ["${req.name}${req.specifier}"]`);
}

/** Adds a string to the `dependencies = [...]` array that starts on line `at`. */
function addToArray(
  lines: string[],
  at: number,
  path: string,
  req: PythonRequirement,
  names: string[],
  eol: string,
): string {
  const open = lines[at].indexOf('[');
  if (open < 0) fail(`${path}:${at + 1}: [project].dependencies must be a list of strings.`);
  // Find the closing bracket, skipping strings and comments.
  const entries: string[] = [];
  let line = at;
  let col = open + 1;
  let close: { line: number; col: number } | undefined;
  let lastEntryEnd: { line: number; col: number } | undefined;
  while (line < lines.length && !close) {
    const l = lines[line];
    while (col < l.length) {
      const ch = l[col];
      if (ch === '#') break;
      if (ch === '"' || ch === "'") {
        const end = l.indexOf(ch, col + 1);
        if (end < 0) fail(`${path}:${line + 1}: unterminated string in [project].dependencies.`);
        entries.push(l.slice(col + 1, end));
        lastEntryEnd = { line, col: end + 1 };
        col = end + 1;
        continue;
      }
      if (ch === ']') {
        close = { line, col };
        break;
      }
      col++;
    }
    if (!close) {
      line++;
      col = 0;
    }
  }
  if (!close) fail(`${path}:${at + 1}: [project].dependencies has no closing ']'.`);
  if (entries.some((e) => names.includes(requirementName(e) ?? ''))) return lines.join(eol);
  const item = `"${req.name}${req.specifier}"`;
  if (close.line === at || lastEntryEnd?.line === close.line) {
    // The ']' follows an entry (or the '[') on its line: add the new one just before it.
    const l = lines[close.line];
    const before = l.slice(0, close.col).replace(/\s*,?\s*$/, '');
    const sep = entries.length ? ', ' : '';
    lines[close.line] = `${before}${sep}${item}${l.slice(close.col)}`;
    return lines.join(eol);
  }
  // Several lines: a new line in the indentation of the entries (or four spaces).
  const indent =
    entries.length && lastEntryEnd
      ? (/^\s*/.exec(lines[lastEntryEnd.line])?.[0] ?? '    ')
      : '    ';
  if (lastEntryEnd) {
    const l = lines[lastEntryEnd.line];
    const rest = l.slice(lastEntryEnd.col);
    if (!/^\s*,/.test(rest)) lines[lastEntryEnd.line] = `${l.slice(0, lastEntryEnd.col)},${rest}`;
    lines.splice(lastEntryEnd.line + 1, 0, `${indent}${item},`);
  } else {
    lines.splice(close.line, 0, `${indent}${item},`);
  }
  return lines.join(eol);
}
