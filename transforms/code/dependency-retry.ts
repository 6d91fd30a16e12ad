// dependency-retry: a worker whose startup ends in `main().catch(() =>
// process.exit(1))` dies whenever MongoDB, Redis or Kafka is not reachable in
// the first second of its life. On ECS and Kubernetes that is a restart loop
// (and a crash alarm) for an outage that would have healed by itself. The
// startup step that touches the dependency should retry with capped
// exponential backoff instead, logging each attempt and its delay.
//
// A missing *configuration* value is different: retrying cannot fix it, so an
// `if (!process.env.MONGO_URI) throw ...` keeps failing fast with its one line.
//
// One matcher feeds detect and fix. From the startup function called by the
// top-level `main().catch(<exits>)`, it follows the local functions main
// awaits and finds the failure points:
// - an awaited connect (`await mongoClient.connect()`, `await consumer.connect()`):
//   wrapped in place, `await connectWithRetry('Kafka', () => consumer.connect())`
//   (the helper is shared with listen-before-connect: one per file),
//   when the closure type-checks (its variables are not nullable `let`s);
// - `if (!redis) throw ...` on a client a call returned, or a connect that
//   cannot move into a closure: the local helper holding it (`initialize()`)
//   is retried as a whole where main calls it; config checks inside that
//   helper become `console.error(...); process.exit(1);` so they still fail fast;
// - anything else that ends the process (a dynamic import, a failure point
//   directly in main) is reported `manual:`.
// Files that run an HTTP server are left to listen-before-connect.
import type { ASTPath } from 'jscodeshift';
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import { TOP_LEVEL_CALL } from '../../src/engine/prefilter.js';
import type { CodeContext, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import { DRIVER_LABEL, dependencyMatcher } from './lib/connect-calls.js';
import { RETRY_HELPER, ensureRetryHelper, wrapInRetry } from './lib/startup-retry.js';
import { lineOf, statements } from './lib/snippet.js';
import {
  descendants,
  failsHard,
  idName,
  isFailureExit,
  isFunction,
  listens,
  localFunctions,
  memberCall,
  moduleBindings,
  prepareTopLevel,
  programBody,
  sourceOf,
  unwrap,
  type AnyNode,
  type LocalFunction,
} from './lib/worker-ast.js';

const ID = 'dependency-retry';
const RULE = 'exit-on-dependency-failure';
/** How many local calls deep the startup path is followed from main(). */
const MAX_DEPTH = 4;
/** Names of bindings that hold a dependency client, for `if (!x) throw` checks. */
const CLIENT_NAME = /client|redis|mongo|db|database|conn|pool|prisma|kafka|producer|consumer|channel|broker|cache|store|queue|sql|knex|sequelize/i;

const rules: Record<string, RuleMeta> = {
  [RULE]: {
    id: RULE,
    severity: 'blocking',
    description: 'startup exits the process (directly or via main().catch) when a dependency is unreachable or its client is unavailable',
    rationale:
      'A dependency that is down for a few seconds turns into a crash loop: the container exits with code 1, the platform restarts it, and it exits again. Retrying with backoff rides out the outage.',
    fixedBy: ID,
  },
};

/** A top-level `main().catch(handler)` whose handler exits with a failure code, or a bare `main()` whose rejection does. */
interface StartupCall {
  fn: LocalFunction;
  /** How a failure ends the process, for messages: `main().catch exits at line 86`. */
  exit: string;
}

type PointKind = 'connect' | 'unavailable' | 'import';

/** Something on the startup path that throws when a dependency is not there. */
interface FailurePoint {
  kind: PointKind;
  /** The connect / import call, or the `if (!client)` statement. */
  node: AnyNode;
  line: number;
  /** Source text naming it in messages: `mongoClient.connect`, `redis`. */
  name: string;
  /** What the retry log calls it: 'MongoDB', 'Kafka', or the helper's name. */
  label: string;
  /** The local function the point sits in. */
  fn: LocalFunction;
  /** How the startup path reached `fn`: the call node in its caller; null for main itself. */
  via: { call: AnyNode; caller: LocalFunction } | null;
  /** True when the connect call can move into `() => call` and still type-check. */
  closureSafe: boolean;
}

/** One edit: wrap `call` in `connectWithRetry(label, ...)`. */
interface Unit {
  call: AnyNode;
  label: string;
  /** Set when a whole helper is retried: its config checks must keep failing fast. */
  helper: LocalFunction | null;
  points: FailurePoint[];
}

interface Match {
  line: number;
  message: string;
  manual?: string;
}

interface Analysis {
  matches: Match[];
  units: Unit[];
}

// ---------------------------------------------------------------------------
// matching

function startupCalls(ctx: CodeContext, fns: Map<string, LocalFunction>): StartupCall[] {
  const out: StartupCall[] = [];
  const localCall = (node: AnyNode) => (node.type === 'CallExpression' && idName(node.callee) ? fns.get(node.callee.name) : undefined);
  for (const stmt of programBody(ctx.j, ctx.root)) {
    if (stmt.type !== 'ExpressionStatement') continue;
    let expr = unwrap(stmt.expression);
    while (expr.type === 'AwaitExpression' || (expr.type === 'UnaryExpression' && expr.operator === 'void')) expr = unwrap(expr.argument);
    // `main();` / `await main();`: Node ends the process on the unhandled rejection.
    const bare = localCall(expr);
    if (bare) out.push({ fn: bare, exit: `the unhandled rejection of ${bare.name}() (line ${lineOf(stmt)}) ends the process` });
    const m = memberCall(expr);
    if (m?.property !== 'catch') continue;
    let target = unwrap(m.object);
    while (memberCall(target)?.property === 'then') target = unwrap(memberCall(target)!.object);
    const fn = localCall(target);
    const handler = unwrap(expr.arguments[0]);
    if (!fn || !isFunction(handler)) continue;
    const exit = descendants(handler).find(isFailureExit);
    if (exit) out.push({ fn, exit: `${fn.name}().catch exits at line ${lineOf(exit)}` });
  }
  return out;
}

/** A local function that retries what it is given: a loop around a try/catch. */
function isRetryHelper(fn: LocalFunction): boolean {
  if (fn.name === RETRY_HELPER) return true;
  return descendants(fn.node.body).some((n) => /^(For|While|DoWhile)Statement$/.test(n.type) && descendants(n.body).some((c) => c.type === 'TryStatement'));
}

/** Nodes inside a `try` whose `catch` neither rethrows nor exits: failures there are handled. */
function handledNodes(body: AnyNode): Set<AnyNode> {
  const out = new Set<AnyNode>();
  for (const n of descendants(body))
    if (n.type === 'TryStatement' && n.handler && !failsHard(n.handler.body)) for (const c of descendants(n.block)) out.add(c);
  return out;
}

/** True when the expression reads the environment (`process.env.X`), directly or through a local it was built from. */
function readsEnv(node: AnyNode | null | undefined, envLocals: Set<string>): boolean {
  return descendants(node).some(
    (n) =>
      (n.type === 'MemberExpression' && idName(n.object) === 'process' && idName(n.property) === 'env') ||
      (n.type === 'Identifier' && envLocals.has(n.name)),
  );
}

/** Locals of a function (and module-level bindings) whose value comes from the environment. */
function envDerivedNames(ctx: CodeContext, fn: LocalFunction): Set<string> {
  const out = new Set<string>();
  const scan = (decls: AnyNode[]) => {
    for (const d of decls) if (idName(d.id) && readsEnv(d.init, out)) out.add(d.id.name);
  };
  for (const { declarator } of moduleBindings(ctx.j, ctx.root).values()) scan([declarator]);
  for (const n of descendants(fn.node.body)) if (n.type === 'VariableDeclarator') scan([n]);
  return out;
}

/** Names a statement list assigns from a call: `redis = getRedisClient()`, `const c = await connect()`. */
function callAssigned(body: AnyNode): Map<string, AnyNode> {
  const out = new Map<string, AnyNode>();
  for (const n of descendants(body)) {
    const [target, value] = n.type === 'VariableDeclarator' ? [n.id, n.init] : n.type === 'AssignmentExpression' ? [n.left, n.right] : [null, null];
    const v = unwrap(value);
    const inner = v?.type === 'AwaitExpression' ? unwrap(v.argument) : v;
    if (idName(target) && inner && (inner.type === 'CallExpression' || inner.type === 'NewExpression')) out.set(target.name, inner);
  }
  return out;
}

/** `if (!x) <throws>` → 'x'; also `x == null`, `x === undefined`. */
function checkedName(test: AnyNode): string | null {
  const t = unwrap(test);
  if (t.type === 'UnaryExpression' && t.operator === '!') return idName(unwrap(t.argument));
  if (t.type === 'BinaryExpression' && /^[!=]==?$/.test(t.operator) && t.operator.startsWith('=')) {
    const other = unwrap(t.right);
    const nullish = other.type === 'NullLiteral' || idName(other) === 'undefined' || (other.type === 'Literal' && other.value === null);
    return nullish ? idName(unwrap(t.left)) : null;
  }
  return null;
}

function isDynamicImport(node: AnyNode): boolean {
  return node.type === 'ImportExpression' || (node.type === 'CallExpression' && node.callee.type === 'Import');
}

/** Identifiers an expression reads as variables (not property names, not inside callbacks). */
function referencedNames(node: AnyNode, out: string[] = []): string[] {
  if (!node || typeof node !== 'object') return out;
  if (isFunction(node)) return out;
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      return out;
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      referencedNames(node.object, out);
      if (node.computed) referencedNames(node.property, out);
      return out;
    case 'ObjectProperty':
      if (node.computed) referencedNames(node.key, out);
      referencedNames(node.value, out);
      return out;
    default:
      for (const key of Object.keys(node)) {
        if (key === 'loc' || key === 'type' || key === 'comments' || key === 'typeAnnotation' || key === 'typeParameters' || key === 'typeArguments') continue;
        const v = node[key];
        if (Array.isArray(v)) v.forEach((c) => referencedNames(c, out));
        else if (v && typeof v === 'object' && typeof v.type === 'string') referencedNames(v, out);
      }
      return out;
  }
}

function annotationAllowsNullish(annotation: AnyNode | null | undefined): boolean {
  return descendants(annotation).some((n) => n.type === 'TSNullKeyword' || n.type === 'TSUndefinedKeyword' || n.type === 'TSAnyKeyword' || n.type === 'TSUnknownKeyword');
}

/**
 * Can `() => call` replace `call` and still type-check? In TypeScript a
 * narrowed `let` loses its narrowing inside a closure, so a nullable `let`
 * (`let redis: Redis | null`) or a `let` without a type makes it unsafe.
 */
function closureSafe(ctx: CodeContext, call: AnyNode, fn: LocalFunction): boolean {
  if (ctx.parser === 'babylon') return true;
  const locals = new Map<string, AnyNode>();
  for (const n of descendants(fn.node.body)) if (n.type === 'VariableDeclaration') for (const d of n.declarations) if (idName(d.id)) locals.set(d.id.name, { ...d, kind: n.kind });
  const params = new Map<string, AnyNode>();
  for (const p of fn.node.params as AnyNode[]) {
    const id = p.type === 'AssignmentPattern' ? p.left : p;
    if (idName(id)) params.set(id.name, id);
  }
  const module = moduleBindings(ctx.j, ctx.root);
  return referencedNames(call).every((name) => {
    const param = params.get(name);
    if (param) return !param.optional && !annotationAllowsNullish(param.typeAnnotation);
    const local = locals.get(name);
    const binding = local ? { kind: local.kind as string, declarator: local } : module.get(name);
    if (!binding || binding.kind === 'const') return true;
    const d = binding.declarator;
    if (d.id.typeAnnotation) return !annotationAllowsNullish(d.id.typeAnnotation);
    const init = unwrap(d.init);
    return !!init && init.type !== 'NullLiteral' && idName(init) !== 'undefined';
  });
}

/** `a.b.connect()` → 'a.b.connect'; anything else → the callee's last name. */
function callLabel(ctx: CodeContext, call: AnyNode): string {
  const callee = unwrap(call.callee);
  const simple = (n: AnyNode): boolean => !!idName(n) || n.type === 'ThisExpression' || ((n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') && !n.computed && simple(n.object));
  if (simple(callee)) return sourceOf(ctx.j, callee).replace(/\?\./g, '.');
  return memberCall(call)?.property ?? 'startup step';
}

function failurePoints(ctx: CodeContext, start: LocalFunction, fns: Map<string, LocalFunction>): FailurePoint[] {
  const deps = dependencyMatcher(ctx);
  const callPaths = new Map<AnyNode, ASTPath>();
  ctx.root.find(ctx.j.CallExpression).forEach((p) => void callPaths.set(p.node as AnyNode, p));
  const out: FailurePoint[] = [];
  const seen = new Set<string>();

  const walk = (fn: LocalFunction, via: FailurePoint['via'], depth: number) => {
    if (seen.has(fn.name) || depth > MAX_DEPTH || isRetryHelper(fn)) return;
    seen.add(fn.name);
    const handled = handledNodes(fn.node.body);
    const envNames = envDerivedNames(ctx, fn);
    const assigned = callAssigned(fn.node.body);
    const point = (kind: PointKind, node: AnyNode, name: string, label = name, safe = false) =>
      out.push({ kind, node, line: lineOf(node), name, label, fn, via, closureSafe: safe });

    for (const n of descendants(fn.node.body)) {
      if (handled.has(n)) continue;
      if (n.type === 'AwaitExpression') {
        const arg = unwrap(n.argument);
        if (isDynamicImport(arg)) point('import', arg, 'import()');
        if (arg.type !== 'CallExpression') continue;
        const local = idName(arg.callee) ? fns.get(arg.callee.name) : undefined;
        if (local) continue; // followed below, as any local call
        const path = callPaths.get(arg);
        const m = memberCall(arg);
        const dep = path ? deps.connectOf(path) : null;
        if (dep || m?.property === 'connect' || m?.property === '$connect') {
          // A client the matcher cannot trace (its Kafka instance is a parameter) still says what it is.
          const made = m && idName(m.object) ? memberCall(assigned.get(m.object.name))?.property : undefined;
          const label = dep && !dep.helper ? DRIVER_LABEL[dep.driver] : made === 'consumer' || made === 'producer' ? DRIVER_LABEL.kafkajs : callLabel(ctx, arg);
          point('connect', arg, callLabel(ctx, arg), label, closureSafe(ctx, arg, fn));
        }
      } else if (n.type === 'CallExpression' && idName(n.callee)) {
        const local = fns.get(n.callee.name);
        if (local && local !== fn) walk(local, { call: n, caller: fn }, depth + 1);
      } else if (n.type === 'IfStatement' && failsHard(n.consequent)) {
        const name = checkedName(n.test);
        const source = name ? assigned.get(name) : undefined;
        if (!name || !source || readsEnv(n.test, envNames) || envNames.has(name)) continue;
        const calleeName = sourceOf(ctx.j, unwrap(source.callee));
        if (CLIENT_NAME.test(name) || CLIENT_NAME.test(calleeName)) point('unavailable', n, name);
      }
    }
  };
  walk(start, null, 0);
  return out;
}

/** Groups failure points into the calls to wrap; points that cannot be wrapped get a manual reason. */
function plan(points: FailurePoint[]): { units: Unit[]; manual: Map<FailurePoint, string> } {
  const manual = new Map<FailurePoint, string>();
  const byHelper = new Map<AnyNode, Unit>();
  const direct: Unit[] = [];
  // A helper retried as a whole (where its caller awaits it) covers every point inside it.
  const whole = new Set(points.filter((p) => p.via && (p.kind === 'unavailable' || (p.kind === 'connect' && !p.closureSafe))).map((p) => p.fn));
  for (const p of points) {
    if (p.kind === 'import') {
      manual.set(p, 'a failed dynamic import is a packaging error, not an outage: retrying cannot fix it; make sure the module is in the image');
    } else if (whole.has(p.fn) && p.via) {
      const unit = byHelper.get(p.via.call) ?? { call: p.via.call, label: p.fn.name, helper: p.fn, points: [] };
      unit.points.push(p);
      byHelper.set(p.via.call, unit);
    } else if (p.kind === 'connect' && p.closureSafe) {
      direct.push({ call: p.node, label: p.label, helper: null, points: [p] });
    } else {
      manual.set(
        p,
        p.kind === 'unavailable'
          ? `move the client setup into a helper (like initialize()) that ${p.fn.name}() awaits, so it can be retried`
          : `${p.name}() uses a nullable variable, so it cannot move into a retry closure; retry it by hand`,
      );
    }
  }
  return { units: [...byHelper.values(), ...direct], manual };
}

function analyze(ctx: CodeContext): Analysis {
  const none = { matches: [], units: [] };
  if (listens(ctx.j, ctx.root)) return none; // HTTP services: listen-before-connect owns their startup
  const fns = localFunctions(ctx.j, ctx.root);
  // Every point once, with the way its failure ends the process.
  const exits = new Map<AnyNode, string>();
  const points: FailurePoint[] = [];
  for (const start of startupCalls(ctx, fns))
    for (const p of failurePoints(ctx, start.fn, fns))
      if (!exits.has(p.node)) {
        exits.set(p.node, start.exit);
        points.push(p);
      }
  const { units, manual } = plan(points);
  const matches = points.map((p): Match => {
    const why = manual.get(p);
    const exit = exits.get(p.node)!;
    const what =
      p.kind === 'connect'
        ? `${p.name}() fails when ${p.label === p.name ? 'its dependency' : p.label} is down and ${exit}`
        : p.kind === 'unavailable'
          ? `${p.fn.name}() throws when ${p.name} is unavailable and ${exit}`
          : `${p.fn.name}() awaits a dynamic import and ${exit}`;
    return why ? { line: p.line, message: `manual: ${what}; ${why}`, manual: why } : { line: p.line, message: `${what}; retry it with capped exponential backoff instead` };
  });
  return { matches, units };
}

// ---------------------------------------------------------------------------
// fixing

/** `call` → `connectWithRetry('MongoDB', () => call)`, or `connectWithRetry('initialize', initialize)` for an argument-less local call. */
function wrap(ctx: CodeContext, unit: Unit, helper: string): void {
  const { j } = ctx;
  const call = unit.call;
  const path = ctx.root
    .find(j.CallExpression)
    .filter((p) => p.node === call)
    .paths()[0];
  if (!path) return;
  if (unit.helper && call.arguments.length === 0 && idName(call.callee)) {
    path.replace(j.callExpression(j.identifier(helper), [j.stringLiteral(unit.label), j.identifier(call.callee.name)]));
  } else wrapInRetry(ctx, path, unit.label, helper);
}

/** Inside a helper that is now retried, `if (!config) throw new Error(msg)` must still end the process at once. */
function failFastConfigChecks(ctx: CodeContext, fn: LocalFunction): void {
  const { j } = ctx;
  const envNames = envDerivedNames(ctx, fn);
  for (const n of descendants(fn.node.body)) {
    if (n.type !== 'IfStatement' || !readsEnv(n.test, envNames)) continue;
    const throws = descendants(n.consequent).filter((c) => c.type === 'ThrowStatement');
    for (const t of throws) {
      const arg = unwrap(t.argument);
      const message = arg.type === 'NewExpression' && arg.arguments.length === 1 ? arg.arguments[0] : t.argument;
      const replacement = statements(ctx, 'console.error(message);\nprocess.exit(1);') as AnyNode[];
      replacement[0]!.expression.arguments = [message];
      const path = ctx.root.find(j.ThrowStatement).filter((p) => p.node === t).paths()[0];
      if (!path) continue;
      if (Array.isArray(path.parent.node.body)) path.replace(...(replacement as never[]));
      else path.replace(j.blockStatement(replacement as never[]));
    }
  }
}

function fix(ctx: CodeContext): boolean {
  const { units } = readOnly(ctx.root, () => analyze(ctx));
  const todo = units.filter((u) => !u.points.every((p) => ctx.suppressed(RULE, p.line)));
  if (todo.length === 0) return false;
  prepareTopLevel(ctx.j, ctx.root);
  const helper = ensureRetryHelper(ctx);
  for (const unit of todo) {
    if (unit.helper) failFastConfigChecks(ctx, unit.helper);
    wrap(ctx, unit, helper);
  }
  return true;
}

function detect(ctx: CodeContext): Report[] {
  return analyze(ctx).matches.map((m) => ({ rule: RULE, line: m.line, message: m.message, ...(m.manual ? { fixable: false } : {}) }));
}

export const transform: Transform<'code'> = {
  id: ID,
  kind: 'code',
  description: 'retry startup connects with capped exponential backoff instead of exiting; missing config still fails fast',
  // Startup is followed from a module-level call (`main();`, `main().catch(…)`), and a
  // failure point is an awaited connect or import, or a check that throws or exits.
  needles: [
    ['await', TOP_LEVEL_CALL],
    ['throw', TOP_LEVEL_CALL],
    ['exit', TOP_LEVEL_CALL],
  ],
  rules,
  detect,
  fix,
};

export default jscodeshiftAdapter(transform);
