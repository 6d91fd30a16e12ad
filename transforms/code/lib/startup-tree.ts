// Small, pure questions about statements that the startup transforms ask when
// they move code: which statement list holds a node, what a statement
// declares or reads, whether it awaits. No rule knowledge here.
import type { ASTPath, JSCodeshift } from 'jscodeshift';
import { isMember, unwrap, type AstNode } from './connect-calls.js';
import { isFunction } from './http-server.js';

const STATEMENT_LISTS = new Set(['Program', 'BlockStatement', 'StaticBlock']);

/** One statement of a statement list (a block or the program body). */
export interface Level {
  list: AstNode[];
  index: number;
  /** The statement's path; `.parentPath.get(i)` reaches its siblings. */
  path: ASTPath;
}

/** `new Promise((resolve) => server.listen(port, resolve))`: the executor runs at once, so it is no boundary. */
function isPromiseExecutor(fn: ASTPath): boolean {
  const parent = fn.parent?.node as AstNode | undefined;
  return parent?.type === 'NewExpression' && parent.callee?.type === 'Identifier' && parent.callee.name === 'Promise' && parent.arguments[0] === fn.node;
}

/**
 * The statements enclosing `path` up to its function (or the program),
 * innermost first, and that function (null at the top level).
 */
export function statementLevels(path: ASTPath): { levels: Level[]; fn: ASTPath | null } {
  const levels: Level[] = [];
  let cur: ASTPath = path;
  while (cur.parent) {
    const parent = cur.parent as ASTPath;
    if (isFunction(parent.node as AstNode) && !isPromiseExecutor(parent)) return { levels, fn: parent };
    const holder = cur.parentPath as ASTPath | undefined;
    if (holder && Array.isArray(holder.value) && STATEMENT_LISTS.has(parent.node.type)) levels.push({ list: holder.value as AstNode[], index: Number(cur.name), path: cur });
    cur = parent;
  }
  return { levels, fn: null };
}

/** The sibling statements before a level's statement, as paths. */
export function siblingsBefore(level: Level): ASTPath[] {
  const holder = level.path.parentPath as ASTPath;
  return Array.from({ length: level.index }, (_, i) => holder.get(i) as ASTPath);
}

/** The sibling statements after a level's statement, as paths. */
export function siblingsAfter(level: Level): ASTPath[] {
  const holder = level.path.parentPath as ASTPath;
  return Array.from({ length: level.list.length - level.index - 1 }, (_, i) => holder.get(level.index + 1 + i) as ASTPath);
}

/** True when a function boundary lies between `path` and the node `top`, `top` included. */
export function crossesFunction(path: ASTPath, top: AstNode): boolean {
  for (let cur = path.parent as ASTPath | null; cur; cur = cur.parent as ASTPath | null) {
    if (isFunction(cur.node as AstNode)) return true;
    if (cur.node === top) return false;
  }
  return false;
}

/** Names bound by a pattern (`a`, `{ a, b: c }`, `[d]`). */
export function patternNames(j: JSCodeshift, pattern: AstNode, out = new Set<string>()): Set<string> {
  switch (pattern.type) {
    case 'Identifier':
      out.add(pattern.name as string);
      break;
    case 'AssignmentPattern':
      patternNames(j, pattern.left as AstNode, out);
      break;
    case 'RestElement':
      patternNames(j, pattern.argument as AstNode, out);
      break;
    case 'TSParameterProperty':
      patternNames(j, pattern.parameter as AstNode, out);
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties as AstNode[]) patternNames(j, (p.type === 'RestElement' ? p : p.value) as AstNode, out);
      break;
    case 'ArrayPattern':
      for (const el of pattern.elements as (AstNode | null)[]) if (el) patternNames(j, el, out);
      break;
  }
  return out;
}

/** Names a statement declares at its own level. */
export function declaredNames(j: JSCodeshift, stmt: AstNode): Set<string> {
  const out = new Set<string>();
  const node = stmt.type === 'ExportNamedDeclaration' ? (stmt.declaration as AstNode | null) : stmt;
  if (node?.type === 'VariableDeclaration') for (const d of node.declarations as AstNode[]) patternNames(j, d.id as AstNode, out);
  if ((node?.type === 'FunctionDeclaration' || node?.type === 'ClassDeclaration') && node.id) out.add(node.id.name as string);
  return out;
}

/** Names a statement declares or assigns (`const server = ...`, `server = ...`). */
export function targetNames(j: JSCodeshift, stmt: AstNode): Set<string> {
  const out = declaredNames(j, stmt);
  const e = stmt.type === 'ExpressionStatement' ? unwrap(stmt.expression as AstNode) : null;
  if (e?.type === 'AssignmentExpression' && e.left.type === 'Identifier') out.add(e.left.name as string);
  return out;
}

/** Identifier names a node reads or writes (property keys excluded). */
export function referencedNames(j: JSCodeshift, node: AstNode): Set<string> {
  const out = new Set<string>();
  j(node as never)
    .find(j.Identifier)
    .forEach((p) => {
      const parent = p.parent?.node as AstNode | undefined;
      if (parent && isMember(parent) && parent.property === p.node && !parent.computed) return;
      const keyed = parent && ['ObjectProperty', 'Property', 'ClassProperty', 'ObjectMethod', 'ClassMethod'].includes(parent.type);
      if (keyed && parent.key === p.node && !parent.computed && !parent.shorthand) return;
      out.add(p.node.name);
    });
  return out;
}

/** True when the node awaits at its own level (awaits inside nested functions run later and do not count). */
export function awaitsDirectly(j: JSCodeshift, node: AstNode): boolean {
  if (node.type === 'AwaitExpression') return true;
  return (
    j(node as never)
      .find(j.AwaitExpression)
      .filter((a) => !crossesFunction(a, node))
      .size() > 0
  );
}

/** Removes every element of `drop` from `list`, in place. */
export function removeAll(list: AstNode[], drop: Set<AstNode>): void {
  const keep = list.filter((s) => !drop.has(s));
  list.splice(0, list.length, ...keep);
}

/** A shallow copy that recast prints afresh (no reuse of the old text), while its children keep theirs. */
export function fresh<T extends AstNode>(node: T): T {
  const copy = { ...node };
  delete copy.original;
  delete copy.loc;
  delete (copy as { start?: unknown }).start;
  delete (copy as { end?: unknown }).end;
  return copy;
}
