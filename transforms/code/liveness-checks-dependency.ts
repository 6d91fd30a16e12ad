// liveness-checks-dependency (report only): a liveness route (/health,
// /healthz, /livez, /ping) whose handler queries or inspects a database,
// cache or broker. On ECS and Kubernetes a failing liveness check restarts the
// task, so a database outage restarts every healthy replica at once: a
// restart storm that outlives the outage. Dependency state belongs on /ready.
//
// Uses the shared matchers: lib/startup-apps.ts finds the liveness handlers
// (route registrations and `req.url === '/health'` branches),
// lib/connect-calls.ts says whether an expression reaches a dependency client
// (`mongoose.connection`, `prisma.$queryRaw`, `redis.ping()`, a helper that
// connects). Helpers the handler calls are followed one level deep.
import type { ASTPath } from 'jscodeshift';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import type { CodeContext, Report, Transform } from '../../src/engine/types.js';
import { DRIVER_LABEL, dependencyMatcher, isCall, unwrap, type AstNode, type DependencyMatcher, type Driver } from './lib/connect-calls.js';
import { findHealthHandlers } from './lib/startup-apps.js';
import { lineOf } from './lib/snippet.js';

const RULE = 'liveness-checks-dependency';
/** How many local helper calls deep a handler is followed. */
const HELPER_DEPTH = 2;

interface Touch {
  driver: Driver;
  /** The expression that reaches the dependency, as written. */
  source: string;
  line: number;
}

/** The first expression under `body` that queries or inspects a dependency, following local helpers. */
function dependencyTouch(ctx: CodeContext, deps: DependencyMatcher, body: ASTPath, depth = 0, seen = new Set<unknown>()): Touch | null {
  const { j } = ctx;
  let found: Touch | null = null;
  const touch = (p: ASTPath, driver: Driver) => {
    found ??= { driver, source: j(p.node as never).toSource().split('\n')[0]!, line: lineOf(p.node as AstNode) };
  };
  j(body)
    .find(j.Node)
    .forEach((nodePath) => {
      const p = nodePath as unknown as ASTPath;
      if (found) return;
      const node = p.node as AstNode;
      if (isCall(node)) {
        const connect = deps.connectOf(p);
        if (connect) return touch(p, connect.driver);
        const client = deps.clientOf(node, p);
        if (client) return touch(p, client);
        const callee = unwrap(node.callee);
        const helper = callee?.type === 'Identifier' ? deps.functionNamed(callee.name as string) : null;
        if (helper && depth < HELPER_DEPTH && !seen.has(helper.node)) {
          seen.add(helper.node);
          const inner = dependencyTouch(ctx, deps, helper, depth + 1, seen);
          if (inner) return touch(p, inner.driver);
        }
      }
      if (node.type !== 'MemberExpression' && node.type !== 'OptionalMemberExpression' && node.type !== 'TaggedTemplateExpression') return;
      // Only the outermost member of a chain: `mongoose.connection.db.admin` once, not per link.
      const parent = p.parent?.node as AstNode | undefined;
      if (parent && (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && parent.object === node) return;
      const driver = deps.clientOf(node, p);
      if (driver) touch(p, driver);
    });
  return found;
}

function detect(ctx: CodeContext): Report[] {
  const deps = dependencyMatcher(ctx);
  const reports: Report[] = [];
  for (const handler of findHealthHandlers(deps)) {
    const hit = dependencyTouch(ctx, deps, handler.body);
    if (!hit) continue;
    const label = DRIVER_LABEL[hit.driver];
    reports.push({
      rule: RULE,
      line: handler.line,
      message: `manual: the liveness route ${handler.route} checks ${label} (\`${hit.source}\`, line ${hit.line}): when ${label} is down the platform restarts every healthy replica, and the outage becomes a restart storm; answer ${handler.route} without touching dependencies and move the check to /ready`,
      fixable: false,
    });
  }
  return reports;
}

export const transform: Transform<'code'> = {
  id: 'liveness-checks-dependency',
  kind: 'code',
  description: 'report liveness routes that query a database, cache or broker',
  // Liveness routes by name (HEALTH_ROUTE in code-facts).
  needles: ['health', 'livez', 'liveness', 'ping'],
  rules: {
    [RULE]: {
      id: RULE,
      severity: 'risky',
      description: 'the liveness route queries a database or broker: a DB outage becomes a restart storm',
      rationale:
        'A failing liveness check makes ECS or Kubernetes restart the task. When it depends on the database, an outage restarts every replica at once and keeps them restarting after the database is back.',
      fixedBy: null,
    },
  },
  detect,
};

export default jscodeshiftAdapter(transform);
