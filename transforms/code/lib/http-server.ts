// What port-from-env and http-graceful-shutdown both need to know about a
// file's HTTP server: where it listens (recognised by startup-apps.ts, the
// same recogniser listen-before-connect uses), which name holds the node
// `http.Server`, and what other modules (a relatively imported helper, a Nest
// provider) say. Read-only: nothing here changes a tree.
import path from 'node:path';
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { memoized } from '../../../src/engine/node-index.js';
import { codeApi, codeParserFor } from '../../../src/engine/parsers.js';
import { AppMatcher, type Framework } from './startup-apps.js';
import { dependencyMatcher } from './connect-calls.js';
import type { CodeContext } from '../../../src/engine/types.js';

/** A loosely typed AST node: the transforms read shapes, not classes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = any;

/** The framework that made a server: startup-apps.ts recognises it. */
export type ServerKind = Framework;

export interface ListenSite {
  /** The `X.listen(...)` call. */
  path: ASTPath<Node>;
  kind: ServerKind;
  /** The identifier `listen` is called on (`app`), or null for `createServer(..).listen(..)`. */
  receiver: string | null;
  line: number;
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

export function isFunction(node: Node): boolean {
  return !!node && FUNCTION_TYPES.has(node.type);
}

export function lineOf(node: Node): number {
  return node?.loc?.start.line ?? 1;
}

/** Strips wrappers that do not change the value: parens, `!`, `as`, `await`, `void`. */
export function unwrap(node: Node): Node {
  let n = node;
  while (n) {
    if (n.type === 'TSNonNullExpression' || n.type === 'TSAsExpression' || n.type === 'ParenthesizedExpression' || n.type === 'TSSatisfiesExpression') n = n.expression;
    else if (n.type === 'AwaitExpression') n = n.argument;
    else if (n.type === 'UnaryExpression' && n.operator === 'void') n = n.argument;
    else break;
  }
  return n;
}

export function isStringLit(node: Node): node is { value: string } {
  return !!node && (node.type === 'StringLiteral' || (node.type === 'Literal' && typeof node.value === 'string'));
}

export function isNumberLit(node: Node): node is { value: number } {
  return !!node && (node.type === 'NumericLiteral' || (node.type === 'Literal' && typeof node.value === 'number'));
}

/** Name of a member's property (`a.b` and `a['b']`), or null. */
export function propName(member: Node): string | null {
  if (!member || (member.type !== 'MemberExpression' && member.type !== 'OptionalMemberExpression')) return null;
  const p = member.property;
  if (!member.computed && p.type === 'Identifier') return p.name;
  return isStringLit(p) ? p.value : null;
}

/** `process.env.X` / `process.env['X']` → 'X'; `process.env[name]` → { computed: name node }. */
export function envRead(node: Node): string | { computed: Node } | null {
  if (!node || (node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression')) return null;
  const obj = node.object;
  if (!obj || (obj.type !== 'MemberExpression' && obj.type !== 'OptionalMemberExpression')) return null;
  if (obj.object?.type !== 'Identifier' || obj.object.name !== 'process' || propName(obj) !== 'env') return null;
  const name = propName(node);
  return name ?? { computed: node.property };
}

/** Every env read under `node` (functions included). */
export function envReadsIn(j: JSCodeshift, node: Node): (string | { computed: Node })[] {
  const out: (string | { computed: Node })[] = [];
  const visit = (n: Node) => {
    const r = envRead(n);
    if (r) out.push(r);
  };
  visit(node);
  j(node).find(j.MemberExpression).forEach((p) => visit(p.node));
  return out;
}

export function readsEnv(j: JSCodeshift, node: Node, name?: string): boolean {
  return envReadsIn(j, node).some((r) => (name === undefined ? true : r === name));
}

/** The declarator (or function/import) that binds `name` where `at` can see it. */
export function bindingOf(at: ASTPath<Node>, name: string): ASTPath<Node> | null {
  const scope = (at as unknown as { scope?: { lookup(n: string): { getBindings(): Record<string, ASTPath<Node>[]> } | null } }).scope;
  const declaring = scope?.lookup(name);
  const ids = declaring?.getBindings()[name];
  let p: ASTPath<Node> | null | undefined = ids?.[0];
  // Walk up from the bound identifier to what declares it.
  while (p && !['VariableDeclarator', 'FunctionDeclaration', 'ImportSpecifier', 'ImportDefaultSpecifier', 'ImportNamespaceSpecifier', 'Program'].includes(p.node.type)) {
    if (isFunction(p.node) || p.node.type === 'CatchClause') return p.node.type === 'FunctionDeclaration' ? p : null;
    p = p.parent;
  }
  return p && p.node.type !== 'Program' ? p : null;
}

/** `const x = <init>` for a name visible from `at`, or null. */
export function initOf(at: ASTPath<Node>, name: string): Node | null {
  const b = bindingOf(at, name);
  return b?.node.type === 'VariableDeclarator' && b.node.id.type === 'Identifier' ? b.node.init ?? null : null;
}

/** Where a local name comes from: `import x from 'm'`, `import { y as x } from 'm'`, `const x = require('m')`, `const { x } = require('m')`. */
export function importOf(j: JSCodeshift, root: Collection, local: string): { source: string; imported: string } | null {
  let found: { source: string; imported: string } | null = null;
  root.find(j.ImportDeclaration).forEach((p) => {
    for (const s of (p.node.specifiers ?? []) as Node[]) {
      if (s.local?.name !== local) continue;
      const imported = s.type === 'ImportSpecifier' ? (s.imported.name ?? s.imported.value) : s.type === 'ImportDefaultSpecifier' ? 'default' : '*';
      found = { source: String(p.node.source.value), imported };
    }
  });
  if (found) return found;
  root.find(j.VariableDeclarator).forEach((p) => {
    const src = requireSource(p.node.init);
    if (src === null) return;
    const id = p.node.id as Node;
    if (id.type === 'Identifier' && id.name === local) {
      const init = p.node.init as Node;
      found = { source: src, imported: init.type === 'MemberExpression' ? (propName(init) ?? 'default') : 'default' };
    } else if (id.type === 'ObjectPattern') {
      for (const prop of id.properties as Node[]) {
        if (prop.value?.type === 'Identifier' && prop.value.name === local) found = { source: src, imported: prop.key.name ?? prop.key.value };
      }
    }
  });
  return found;
}

/** `require('m')` / `require('m').x` → 'm'. */
export function requireSource(node: Node): string | null {
  let n = node;
  while (n?.type === 'MemberExpression') n = n.object;
  if (n?.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'require' && isStringLit(n.arguments[0])) return n.arguments[0].value;
  return null;
}

export interface ModuleRef {
  /** Workspace-relative path. */
  file: string;
  text: string;
}

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx', '/index.ts', '/index.js'];

/** Reads the module `spec` imported from `fromFile`: relative paths and workspace packages. */
export function resolveModule(ctx: Pick<CodeContext, 'workspace'>, fromFile: string, spec: string): ModuleRef | null {
  const bases: string[] = [];
  if (spec.startsWith('./') || spec.startsWith('../')) {
    bases.push(path.posix.join(path.posix.dirname(fromFile), spec));
  } else {
    // A workspace package: `@scope/utils` or `@scope/utils/sub/path`.
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
    const sub = parts.slice(spec.startsWith('@') ? 2 : 1).join('/');
    const pkg = ctx.workspace.packages.find((s) => s.manifest.name === name);
    if (!pkg) return null;
    const dir = pkg.dir === '.' ? '' : `${pkg.dir}/`;
    if (sub) bases.push(`${dir}src/${sub}`, `${dir}${sub}`);
    else {
      const main = typeof pkg.manifest.main === 'string' ? pkg.manifest.main.replace(/^\.\//, '') : null;
      if (main) bases.push(`${dir}${main.replace(/^dist\//, 'src/').replace(/\.js$/, '')}`, `${dir}${main}`);
      bases.push(`${dir}src/index`, `${dir}index`);
    }
  }
  for (const base of bases) {
    const stems = /\.[cm]?js$/.test(base) ? [base.replace(/\.([cm]?)js$/, '.$1ts'), base] : [base];
    for (const stem of stems)
      for (const ext of EXTENSIONS) {
        const file = path.posix.normalize(stem + ext);
        if (!codeParserFor(file)) continue;
        const text = ctx.workspace.read(file);
        if (text !== undefined) return { file, text };
      }
  }
  return null;
}

export interface ParsedModule extends ModuleRef {
  j: JSCodeshift;
  root: Collection;
}

/** Parses another module with the parser its extension calls for; null when it does not parse. */
export function parseModule(ref: ModuleRef): ParsedModule | null {
  const parser = codeParserFor(ref.file);
  if (!parser) return null;
  try {
    const j = codeApi(parser);
    return { ...ref, j, root: j(ref.text) };
  } catch {
    return null;
  }
}

/**
 * Every `X.listen(...)` of an HTTP app or server in the file, as
 * listen-before-connect sees them too: one recogniser (startup-apps.ts's
 * AppMatcher), so the transforms can never disagree on what is a server.
 */
export function findListenSites(ctx: CodeContext): ListenSite[] {
  // Three transforms ask on one tree: one answer per indexed state of it (a copy each).
  return [...memoized(ctx.root, `listen-sites:${ctx.path}`, () => listenSitesOf(ctx))];
}

function listenSitesOf(ctx: CodeContext): ListenSite[] {
  return new AppMatcher(dependencyMatcher(ctx)).findListens().flatMap((site) => {
    const object = unwrap((site.path.node as Node).callee.object);
    // An app whose origin is unknown: trust only app/server-like names.
    if (site.app.framework === 'unknown' && !(object.type === 'Identifier' && /app|server/i.test(object.name))) return [];
    return [{ path: site.path as ASTPath<Node>, kind: site.app.framework, receiver: object.type === 'Identifier' ? object.name : null, line: site.line }];
  });
}

/** The statement that holds `path` and the body array it sits in. */
export function statementOf(path: ASTPath<Node>): { stmt: ASTPath<Node>; body: Node[] } | null {
  let p: ASTPath<Node> | null = path;
  while (p && p.parent) {
    const parent = p.parent.node;
    if ((parent.type === 'Program' || parent.type === 'BlockStatement') && Array.isArray(parent.body) && parent.body.includes(p.node)) return { stmt: p, body: parent.body };
    if (isFunction(parent) && parent.body === p.node) return null; // expression-bodied arrow
    p = p.parent;
  }
  return null;
}

/** True when `inner` sits somewhere inside the node `outer`. */
export function isInside(inner: ASTPath<Node>, outer: Node): boolean {
  for (let p: ASTPath<Node> | null = inner; p; p = p.parent) if (p.node === outer) return true;
  return false;
}

/** True when no function encloses `path`: the code runs when the module loads. */
export function atModuleLevel(path: ASTPath<Node>): boolean {
  for (let p = path.parent; p; p = p.parent) if (isFunction(p.node)) return false;
  return true;
}

/** `base`, or `base2`, `base3`… whichever no binding in the file uses. */
export function freeName(j: JSCodeshift, root: Collection, base: string, alternatives: string[] = []): string {
  const used = new Set<string>();
  root.find(j.Identifier).forEach((p) => void used.add(p.node.name));
  for (const name of [base, ...alternatives]) if (!used.has(name)) return name;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

// Moved to snippet.ts, where every top-level insertion now goes through it.
export { prepareProgramForInsert } from './snippet.js';
