// Small, pure questions about a code tree that the worker and env transforms
// (consumer-ref-shutdown, dependency-retry, require-env-at-startup) all ask:
// which functions are declared at module level, which code runs at startup
// (top-level code and the local functions it calls directly, not callbacks
// handed to a framework), and what a `process.exit(1)` or a `throw` looks like.
// Read-only, except prepareTopLevel, which readies Program.body for inserts.
import type { ASTNode, ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { unwrap as sharedUnwrap, type AstNode } from './connect-calls.js';
import { isFunction, prepareProgramForInsert } from './http-server.js';

export { isFunction };

// Loose node shape: the transforms read many node kinds through one type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNode = Record<string, any> & { type: string };

/** The nearest enclosing function path, or null for module-level code. */
export function enclosingFunction(path: ASTPath): ASTPath | null {
  for (let p = path.parent as ASTPath | null; p; p = p.parent as ASTPath | null) if (isFunction(p.node)) return p;
  return null;
}

/** Strips `(x)`, `x!`, `x as T`, `<T>x` and `x satisfies T` around an expression (connect-calls' unwrap, typed loosely). */
export function unwrap(node: unknown): AnyNode {
  return sharedUnwrap(node as AstNode) as AnyNode;
}

/** Identifier name of a node, or null. */
export function idName(node: unknown): string | null {
  const n = node as AnyNode | null;
  return n?.type === 'Identifier' ? (n.name as string) : null;
}

/** `obj.prop(...)` → `{ object: obj, property: 'prop' }`; also `obj?.prop()`. */
export function memberCall(node: unknown): { object: AnyNode; property: string } | null {
  const n = node as AnyNode;
  if (n?.type !== 'CallExpression' && n?.type !== 'OptionalCallExpression') return null;
  const callee = n.callee as AnyNode;
  if ((callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') || callee.computed) return null;
  const prop = idName(callee.property);
  return prop ? { object: callee.object as AnyNode, property: prop } : null;
}

export function stringValue(node: unknown): string | null {
  const n = node as AnyNode | null;
  if (!n) return null;
  if ((n.type === 'StringLiteral' || n.type === 'Literal') && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? null;
  return null;
}

/** `process.exit(...)` with a non-zero (or non-literal) code. */
export function isFailureExit(node: unknown): boolean {
  const m = memberCall(node);
  if (!m || m.property !== 'exit' || idName(m.object) !== 'process') return false;
  const code = (node as AnyNode).arguments[0] as AnyNode | undefined;
  return !(code && (code.type === 'NumericLiteral' || code.type === 'Literal') && code.value === 0);
}

/** Every descendant node of `node` (itself included), not entering nested functions unless `deep`. */
export function descendants(node: unknown, deep = false): AnyNode[] {
  const out: AnyNode[] = [];
  const visit = (n: unknown, top: boolean) => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach((c) => visit(c, false));
    const a = n as AnyNode;
    if (typeof a.type !== 'string') return;
    if (!top && !deep && isFunction(a)) return;
    out.push(a);
    for (const key of Object.keys(a)) {
      if (key === 'loc' || key === 'comments' || key === 'leadingComments' || key === 'trailingComments' || key === 'tokens' || key === 'original') continue;
      visit(a[key], false);
    }
  };
  visit(node, true);
  return out;
}

/** True when the statement (or block) throws or exits the process with a failure code. */
export function failsHard(node: unknown): boolean {
  return descendants(node).some((n) => n.type === 'ThrowStatement' || isFailureExit(n));
}

/** A function declared at module level: `function f`, `const f = () =>`, `export function f`. */
export interface LocalFunction {
  name: string;
  node: AnyNode;
  /** The Program.body statement that declares it. */
  statement: AnyNode;
}

export function programBody(j: JSCodeshift, root: Collection): AnyNode[] {
  return root.find(j.Program).get().node.body as AnyNode[];
}

/** The declaration inside `export ...`, or the statement itself. */
export function unexported(stmt: AnyNode): AnyNode {
  return (stmt.type === 'ExportNamedDeclaration' || stmt.type === 'ExportDefaultDeclaration') && stmt.declaration ? (stmt.declaration as AnyNode) : stmt;
}

export function localFunctions(j: JSCodeshift, root: Collection): Map<string, LocalFunction> {
  const out = new Map<string, LocalFunction>();
  for (const statement of programBody(j, root)) {
    const decl = unexported(statement);
    if (decl.type === 'FunctionDeclaration' && decl.id) out.set(decl.id.name, { name: decl.id.name, node: decl, statement });
    if (decl.type === 'VariableDeclaration')
      for (const d of decl.declarations as AnyNode[]) {
        const init = unwrap(d.init);
        if (idName(d.id) && isFunction(init)) out.set(d.id.name, { name: d.id.name, node: init, statement });
      }
  }
  return out;
}

/** Module-level `let`/`const`/`var` declarators by name. */
export function moduleBindings(j: JSCodeshift, root: Collection): Map<string, { kind: string; declarator: AnyNode; statement: AnyNode }> {
  const out = new Map<string, { kind: string; declarator: AnyNode; statement: AnyNode }>();
  for (const statement of programBody(j, root)) {
    const decl = unexported(statement);
    if (decl.type !== 'VariableDeclaration') continue;
    for (const d of decl.declarations as AnyNode[]) if (idName(d.id)) out.set(d.id.name, { kind: decl.kind, declarator: d, statement });
  }
  return out;
}

/**
 * Function nodes whose body runs while the process starts: local functions
 * called (or passed by name, as to a retry helper) from module-level code,
 * transitively, plus callbacks handed directly to such local functions or
 * invoked in place (IIFE). Callbacks given to anything else (a route, a
 * consumer's eachMessage, process.on, setTimeout) run later and are excluded.
 */
export function startupScopes(j: JSCodeshift, root: Collection, fns = localFunctions(j, root)): Set<AnyNode> {
  const scopes = new Set<AnyNode>();
  const visit = (scope: AnyNode | null) => {
    const nodes = scope ? descendants(scope.body) : topLevelNodes(j, root);
    for (const n of nodes) {
      if (n.type !== 'CallExpression' && n.type !== 'NewExpression') continue;
      const callee = unwrap(n.callee);
      const local = idName(callee) ? fns.get(callee.name) : undefined;
      if (local) enter(local.node);
      if (isFunction(callee)) enter(callee);
      for (const arg of n.arguments as AnyNode[]) {
        const a = unwrap(arg);
        const named = idName(a) ? fns.get(a.name) : undefined;
        if (local && named) enter(named.node);
        if (local && isFunction(a)) enter(a);
      }
    }
  };
  const enter = (fn: AnyNode) => {
    if (scopes.has(fn)) return;
    scopes.add(fn);
    visit(fn);
  };
  visit(null);
  return scopes;
}

/** Nodes of module-level code, not inside any function. */
export function topLevelNodes(j: JSCodeshift, root: Collection): AnyNode[] {
  return programBody(j, root).flatMap((s) => (isFunction(unexported(s)) || unexported(s).type === 'ClassDeclaration' ? [] : descendants(s)));
}

/** True when the code runs at startup: module level, or inside a startup scope. */
export function runsAtStartup(path: ASTPath, scopes: Set<AnyNode>): boolean {
  const fn = enclosingFunction(path);
  return fn === null || scopes.has(fn.node as AnyNode);
}

/** Any `x.listen(...)` call: the file runs an HTTP server. */
export function listens(j: JSCodeshift, root: Collection): boolean {
  return root.find(j.CallExpression).some((p) => memberCall(p.node)?.property === 'listen');
}

/** Source text of a node as recast prints it (original formatting when untouched). */
export function sourceOf(j: JSCodeshift, node: unknown): string {
  return j(node as ASTNode).toSource({ quote: 'single' });
}


/**
 * Readies Program.body for top-level inserts: http-server's
 * prepareProgramForInsert turns directives into leading statements (recast
 * would print `'use strict';;`); giving them a string literal with the
 * original quotes and a `directive` tag lets snippet's afterImportsIndex
 * (and so every insert) keep them first.
 */
export function prepareTopLevel(j: JSCodeshift, root: Collection): AnyNode[] {
  prepareProgramForInsert(j, root);
  const body = programBody(j, root);
  for (const stmt of body) {
    if (stmt.type !== 'ExpressionStatement' || stmt.expression.type !== 'DirectiveLiteral') break;
    const { value, extra } = stmt.expression;
    stmt.expression = Object.assign(j.literal(value), { extra: { raw: extra?.raw ?? `'${value}'`, rawValue: value } });
    stmt.directive = value;
  }
  return body;
}
