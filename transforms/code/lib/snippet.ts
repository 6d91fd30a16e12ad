// Shared by the code transforms: turn readable source text into nodes with the
// file's own parser (so TS stays TS and JSX stays JSX), and put statements
// where a reader expects them. Values are never spliced raw into code: pass
// them through `literal()`.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';

type Statement = ReturnType<JSCodeshift['expressionStatement']> | import('jscodeshift').Statement;

/** Parses `source` as statements with the context's parser. */
export function statements(ctx: Pick<CodeContext, 'j'>, source: string): Statement[] {
  const program = ctx.j(source).find(ctx.j.Program).get().node as { body: Statement[] };
  return program.body;
}

/** A JS literal for a string or number value: quoted and escaped, never raw. */
export function literal(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${JSON.stringify(value).slice(1, -1).replace(/'/g, "\\'").replace(/\\"/g, '"')}'`;
}

/** Index in Program.body after directives, imports and top-level requires. */
export function afterImportsIndex(j: JSCodeshift, root: Collection): number {
  const body = root.find(j.Program).get().node.body as { type: string; declarations?: { init?: unknown }[]; expression?: unknown }[];
  let index = 0;
  body.forEach((stmt, i) => {
    if (stmt.type === 'ImportDeclaration' || isRequireDeclaration(stmt) || isDirective(stmt)) index = i + 1;
  });
  return index;
}

function isDirective(stmt: { type: string; expression?: unknown }): boolean {
  const e = stmt.expression as { type?: string } | undefined;
  if (stmt.type !== 'ExpressionStatement') return false;
  // A directive moved into the body to print before inserted code (see
  // http-server.ts#prepareProgramForInsert) keeps its DirectiveLiteral type.
  return e?.type === 'DirectiveLiteral' || ((e?.type === 'StringLiteral' || e?.type === 'Literal') && 'directive' in stmt);
}

function isRequireDeclaration(stmt: { type: string; declarations?: { init?: unknown }[] }): boolean {
  if (stmt.type !== 'VariableDeclaration') return false;
  return (stmt.declarations ?? []).every((d) => {
    let init = d.init as { type?: string; callee?: { type?: string; name?: string }; object?: unknown } | undefined;
    while (init?.type === 'MemberExpression') init = init.object as typeof init;
    return init?.type === 'CallExpression' && init.callee?.type === 'Identifier' && init.callee.name === 'require';
  });
}

/** Inserts statements at the top level after imports/requires. */
export function insertAfterImports(ctx: Pick<CodeContext, 'j' | 'root'>, nodes: Statement[]): void {
  prepareProgramForInsert(ctx.j, ctx.root);
  const body = ctx.root.find(ctx.j.Program).get().node.body as Statement[];
  body.splice(afterImportsIndex(ctx.j, ctx.root), 0, ...nodes);
}

/** Appends statements at the end of the program. */
export function appendToProgram(ctx: Pick<CodeContext, 'j' | 'root'>, nodes: Statement[]): void {
  prepareProgramForInsert(ctx.j, ctx.root);
  (ctx.root.find(ctx.j.Program).get().node.body as Statement[]).push(...nodes);
}

/** The top-level statement path that contains `path`. */
export function topLevelStatement(path: ASTPath): ASTPath {
  let p = path;
  while (p.parent && p.parent.node.type !== 'Program') p = p.parent;
  return p;
}

/** `process.on('SIGTERM', ...)` / `process.once(...)` calls for a signal. */
export function signalHandlers(j: JSCodeshift, root: Collection, signal: string): Collection {
  return root.find(j.CallExpression).filter((p) => {
    const callee = p.node.callee as { type: string; object?: { type: string; name?: string }; property?: { name?: string } };
    const arg = p.node.arguments[0] as { value?: unknown } | undefined;
    return (
      callee.type === 'MemberExpression' &&
      callee.object?.type === 'Identifier' &&
      callee.object.name === 'process' &&
      (callee.property?.name === 'on' || callee.property?.name === 'once') &&
      arg?.value === signal
    );
  });
}

/** 1-based line of a node, or 1 when it has no location (inserted nodes). */
export function lineOf(node: unknown): number {
  return (node as { loc?: { start: { line: number } } }).loc?.start.line ?? 1;
}

/**
 * Recast reprints a Program whose body changed by printing its directives with
 * a doubled `;` and the `#!` line glued to what follows. Before changing the
 * top-level statement list, turn directives into the equivalent leading
 * statements (same text) and let the interpreter line print afresh.
 */
export function prepareProgramForInsert(j: JSCodeshift, root: Collection): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- recast's loose AST
  const program = root.find(j.Program).get().node as any;
  if (program.interpreter) program.interpreter = { type: 'InterpreterDirective', value: program.interpreter.value };
  const directives = (program.directives ?? []) as any[];
  if (!directives.length) return;
  const leading = directives.map((d) => {
    const stmt = j.expressionStatement(j.stringLiteral(d.value.value)) as any;
    // Printed from its raw text, so "use strict" keeps its quotes.
    stmt.expression = { type: 'DirectiveLiteral', value: d.value.value, extra: d.value.extra };
    stmt.comments = d.comments;
    return stmt;
  });
  program.directives = [];
  program.body.unshift(...leading);
}
