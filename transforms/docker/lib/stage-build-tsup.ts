// tsup's settings as its config file states them, read without running it:
// tsup.config.{ts,cts,mts,js,cjs,mjs,json} or package.json#tsup, the first
// that exists (tsup's own order). Only literal values count: a function
// config, a spread, a computed entry or an `outExtension` hook makes the
// output unknown, and cmd-path-mismatch then says nothing.
import path from 'node:path';
import { parse } from '@babel/parser';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { join, manifestAt } from './stage-build-emit.js';
import { parseJsonc } from './stage-build-tsconfig.js';

export interface TsupConfig {
  entry?: string[] | Record<string, string>;
  outDir?: string;
  format?: string[];
}

const CONFIG_FILES = ['tsup.config.ts', 'tsup.config.cts', 'tsup.config.mts', 'tsup.config.js', 'tsup.config.cjs', 'tsup.config.mjs', 'tsup.config.json'];

interface Node {
  type: string;
  [key: string]: unknown;
}

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && typeof (v as Node).type === 'string';

/** A literal string, or undefined. */
function stringOf(n: unknown): string | undefined {
  if (!isNode(n)) return undefined;
  if (n.type === 'StringLiteral') return n.value as string;
  if (n.type === 'TemplateLiteral' && (n.expressions as unknown[]).length === 0) return ((n.quasis as Node[])[0]?.value as { cooked: string }).cooked;
  return undefined;
}

function keyOf(p: Node): string | undefined {
  if (p.computed) return undefined;
  const k = p.key as Node;
  return k.type === 'Identifier' ? (k.name as string) : stringOf(k);
}

type Value = string | boolean | string[] | Record<string, string>;

/** A literal value; undefined for anything a run would have to compute. */
function literal(n: unknown): Value | undefined {
  if (!isNode(n)) return undefined;
  const s = stringOf(n);
  if (s !== undefined) return s;
  if (n.type === 'BooleanLiteral') return n.value as boolean;
  if (n.type === 'ArrayExpression') {
    const items = (n.elements as unknown[]).map(stringOf);
    return items.every((i): i is string => i !== undefined) ? items : undefined;
  }
  if (n.type === 'ObjectExpression') {
    const out: Record<string, string> = {};
    for (const p of n.properties as Node[]) {
      const k = p.type === 'ObjectProperty' ? keyOf(p) : undefined;
      const v = p.type === 'ObjectProperty' ? stringOf(p.value) : undefined;
      if (k === undefined || v === undefined) return undefined;
      out[k] = v;
    }
    return out;
  }
  return undefined;
}

/** The settings of one literal config object; null when one that decides the output is not literal. */
function configOf(obj: unknown): TsupConfig | null {
  if (!obj || typeof obj !== 'object') return null;
  const entries: [string, unknown][] = isNode(obj)
    ? obj.type === 'ObjectExpression'
      ? (obj.properties as Node[]).map((p) =>
          p.type === 'ObjectProperty' || p.type === 'ObjectMethod' ? [keyOf(p) ?? '', p.type === 'ObjectMethod' ? null : p.value] : ['', null],
        )
      : [['', null]]
    : Object.entries(obj as Record<string, unknown>);
  const out: TsupConfig = {};
  for (const [key, raw] of entries) {
    if (key === '') return null; // a spread or a computed key may set anything
    if (key === 'outExtension') return null;
    if (key !== 'entry' && key !== 'outDir' && key !== 'format' && key !== 'legacyOutput') continue;
    const v = isNode(raw) ? literal(raw) : (raw as Value | undefined);
    if (v === undefined) return null;
    if (key === 'legacyOutput') {
      if (v !== false) return null;
    } else if (key === 'outDir') {
      if (typeof v !== 'string') return null;
      out.outDir = v;
    } else if (key === 'format') {
      if (typeof v === 'string') out.format = [v];
      else if (Array.isArray(v)) out.format = v;
      else return null;
    } else if (typeof v === 'string') out.entry = [v];
    else if (typeof v === 'boolean') return null;
    else out.entry = v;
  }
  return out;
}

/** `defineConfig(x)`, `x as Options`, or a top-level `const name = x`, down to x. */
function unwrap(n: unknown, program: Node, depth = 0): unknown {
  if (!isNode(n) || depth > 4) return n;
  if (
    n.type === 'CallExpression' &&
    (n.callee as Node).type === 'Identifier' &&
    (n.callee as Node).name === 'defineConfig' &&
    (n.arguments as unknown[]).length === 1
  )
    return unwrap((n.arguments as unknown[])[0], program, depth + 1);
  if (n.type === 'TSAsExpression' || n.type === 'TSSatisfiesExpression' || n.type === 'ParenthesizedExpression')
    return unwrap(n.expression, program, depth + 1);
  if (n.type === 'Identifier') {
    for (const stmt of program.body as Node[]) {
      const decl = stmt.type === 'ExportNamedDeclaration' ? (stmt.declaration as Node | null) : stmt;
      if (decl?.type !== 'VariableDeclaration' || decl.kind !== 'const') continue;
      const found = (decl.declarations as Node[]).find((d) => (d.id as Node).type === 'Identifier' && (d.id as Node).name === n.name);
      if (found) return unwrap(found.init, program, depth + 1);
    }
  }
  return n;
}

function exported(text: string, file: string): unknown {
  let ast: Node;
  try {
    ast = parse(text, { sourceType: 'unambiguous', plugins: file.endsWith('ts') ? ['typescript'] : [] }) as unknown as Node;
  } catch {
    return null;
  }
  const program = ast.program as Node;
  for (const stmt of program.body as Node[]) {
    if (stmt.type === 'ExportDefaultDeclaration') return unwrap(stmt.declaration, program);
    const e = stmt.type === 'ExpressionStatement' ? (stmt.expression as Node) : null;
    const target = e?.type === 'AssignmentExpression' ? (e.left as Node) : null;
    if (target?.type === 'MemberExpression' && (target.object as Node).name === 'module' && (target.property as Node).name === 'exports')
      return unwrap(e!.right, program);
  }
  return null;
}

/**
 * The configs tsup reads in `cwd` (an array config is several builds):
 * [] when there is no config file, null when its values are not literal.
 */
export function tsupConfigs(ws: WorkspaceView, cwd: string, explicit: string | null): TsupConfig[] | null {
  const candidates = explicit ? [explicit] : CONFIG_FILES;
  for (const name of candidates) {
    const file = join(cwd, name);
    const text = ws.read(file);
    if (text === undefined) continue;
    const value = path.posix.extname(file) === '.json' ? parseJsonc(text) : exported(text, file);
    const list = isNode(value) && value.type === 'ArrayExpression' ? (value.elements as unknown[]) : Array.isArray(value) ? value : [value];
    const configs = list.map(configOf);
    return configs.every((c): c is TsupConfig => c !== null) ? configs : null;
  }
  if (explicit) return null;
  const field = manifestAt(ws, cwd)?.tsup;
  if (field === undefined) return [];
  const list = Array.isArray(field) ? field : [field];
  const configs = list.map(configOf);
  return configs.every((c): c is TsupConfig => c !== null) ? configs : null;
}
