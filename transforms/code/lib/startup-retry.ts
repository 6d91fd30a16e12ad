// The one connect-retry helper a fixed file carries, and the wrap that routes a
// connect call through it. Shared so that every startup transform
// (listen-before-connect, dependency-retry) inserts the same helper once per
// file: capped exponential backoff (1 s doubling to 30 s), unlimited attempts,
// each failure logged with attempt and delay, never exits the process.
import type { ASTPath } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';
import { literal, insertAfterImports, statements } from './snippet.js';
import type { AstNode } from './connect-calls.js';
import { freeName } from './http-server.js';
import { fresh } from './startup-tree.js';

export const RETRY_HELPER = 'connectWithRetry';

/**
 * Parses statements that recast will print with a blank line before and after:
 * it spaces a parsed node by the blank lines around it in its own source.
 */
export function spacedStatements(ctx: Pick<CodeContext, 'j'>, source: string): AstNode[] {
  return statements(ctx, `\n\n${source}\n\n`) as AstNode[];
}

function helperSource(name: string, typed: boolean): string {
  const signature = typed ? `<T>(name: string, connect: () => Promise<T>): Promise<T>` : `(name, connect)`;
  return `// Retries a dependency connect with capped exponential backoff (1 s doubling to 30 s); never exits.
async function ${name}${signature} {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      const delay = Math.min(1000 * 2 ** (attempt - 1), 30000);
      console.error(\`\${name}: connect attempt \${attempt} failed, retrying in \${delay} ms\`, err);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}`;
}

/** True when the file declares the helper: a two-parameter function of that name. */
export function hasRetryHelper(ctx: Pick<CodeContext, 'j' | 'root'>, name = RETRY_HELPER): boolean {
  return ctx.root.find(ctx.j.FunctionDeclaration, { id: { name } }).filter((p) => p.node.params.length === 2).size() > 0;
}

/** The helper's name in this file: the existing helper's, else the first name the file does not use. */
export function retryHelperName(ctx: Pick<CodeContext, 'j' | 'root'>): string {
  const alternatives = ['connectWithBackoff'];
  return [RETRY_HELPER, ...alternatives].find((n) => hasRetryHelper(ctx, n)) ?? freeName(ctx.j, ctx.root, RETRY_HELPER, alternatives);
}

/** Declares the helper after the imports unless the file has it; returns its name. */
export function ensureRetryHelper(ctx: Pick<CodeContext, 'j' | 'root' | 'parser'>, name = retryHelperName(ctx)): string {
  if (!hasRetryHelper(ctx, name)) insertAfterImports(ctx, spacedStatements(ctx, helperSource(name, ctx.parser !== 'babylon')) as never[]);
  return name;
}

/**
 * Replaces a connect call with `connectWithRetry('<label>', () => <call>)`. The
 * call keeps its text, except a callee broken over lines (`mongoose\n  .connect(uri)`),
 * which is joined: inside the arrow those line breaks no longer fit.
 */
export function wrapInRetry(ctx: Pick<CodeContext, 'j'>, call: ASTPath, label: string, helper = RETRY_HELPER): void {
  const [stmt] = statements(ctx, `${helper}(${literal(label)}, () => undefined);`);
  const wrapper = (stmt as AstNode).expression as AstNode;
  const node = call.node as AstNode;
  const callee = node.callee as AstNode;
  const broken = !!callee.loc && callee.loc.start.line !== callee.loc.end.line;
  wrapper.arguments[1].body = broken ? { ...fresh(node), callee: fresh(callee) } : node;
  call.replace(wrapper);
}

/** True when a connect call already runs inside a retry wrapper: `someRetry(..., () => client.connect())`. */
export function isRetryWrapped(call: ASTPath): boolean {
  const arrow = call.parent?.node as AstNode | undefined;
  const outer = call.parent?.parent?.node as AstNode | undefined;
  return arrow?.type === 'ArrowFunctionExpression' && arrow.body === call.node && (outer?.type === 'CallExpression' || outer?.type === 'OptionalCallExpression') && outer.arguments.includes(arrow);
}
