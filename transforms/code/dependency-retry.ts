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
// One matcher feeds detect and fix. Startup is followed from the module's own
// code: `main().catch(<exits>)`, a bare `main()`, a top-level `await`, a
// `.then().catch(<exits>)` chain; and, in a module that is not the entry, from
// the exported function the entry calls at startup (`connectDB()` of
// config/db.js). Along the way, each failure point is traced to what ends the
// process: the `catch` or `.catch` handler that exits, the rejected top-level
// await, the unhandled rejection of `main()`, or the exit of main's caller.
// A failure a handler absorbs, or one that leaves an imported helper for its
// caller to handle, is none. Failure points:
// - a connect (`await mongoClient.connect()`, `consumer.connect()` inside
//   `Promise.all([...])`, `mongoose.connect(url).catch(() => process.exit(1))`):
//   wrapped in place, `connectWithRetry('Kafka', () => consumer.connect())`
//   (the helper is shared with listen-before-connect: one per file),
//   when the closure type-checks (its variables are not nullable `let`s);
// - `if (!redis) throw ...` on a client a call returned, or a connect that
//   cannot move into a closure: the local helper holding it (`initialize()`)
//   is retried as a whole where main calls it; config checks inside that
//   helper become `console.error(...); process.exit(1);` so they still fail fast;
// - anything else that ends the process (a dynamic import, a failure point
//   directly in main) is reported `manual:`.
// A file whose HTTP listen waits for a connect is left to listen-before-connect,
// which moves the listen first and retries those connects itself.
//
// Only the service's long-running process is held to this. A one-off job (a
// migration run as its own compose service or CI step, a seed script) must
// exit non-zero when it fails, and retrying its connect forever would hang the
// rollout waiting for it. The file's own startup counts when package.json#main,
// the image's CMD or a start script runs it, when it listens or consumes, when
// it is the entry or the entry loads it; not when the entry exists and never
// loads it, nor, with no entry to tell, when it is named like a job (migrate,
// seed, scripts/, bin/, cli, job) or run by a package.json script of its own.
import type { ASTPath } from 'jscodeshift';
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import { CODE_EXTENSIONS } from '../../src/engine/parsers.js';
import { TOP_LEVEL_CALL } from '../../src/engine/prefilter.js';
import type { CodeContext, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import {
  connectOfCall,
  dependencyMatcher,
  DRIVER_LABEL,
  exportedFunction,
  moduleMatcher,
  relativeLoads,
  type DependencyMatcher,
} from './lib/connect-calls.js';
import { entryCandidates, isEntryModule, isMainModule } from './lib/env-requirements.js';
import { AppMatcher } from './lib/startup-apps.js';
import { gateOf } from './lib/startup-gates.js';
import { RETRY_HELPER, ensureRetryHelper, wrapInRetry } from './lib/startup-retry.js';
import { lineOf, statements } from './lib/snippet.js';
import {
  descendants,
  enclosingFunction,
  failsHard,
  idName,
  isFailureExit,
  isFunction,
  listens,
  localFunctions,
  memberCall,
  moduleBindings,
  prepareTopLevel,
  runsAtStartup,
  sourceOf,
  startupScopes,
  topLevelNodes,
  unwrap,
  type AnyNode,
  type LocalFunction,
} from './lib/worker-ast.js';

const ID = 'dependency-retry';
const RULE = 'exit-on-dependency-failure';
/** How many local calls deep the startup path is followed from main(). */
const MAX_DEPTH = 4;
/** How many relative imports deep the entry's startup is followed to find who calls a helper module. */
const MAX_IMPORT_DEPTH = 3;
/** Names of bindings that hold a dependency client, for `if (!x) throw` checks. */
const CLIENT_NAME = /client|redis|mongo|db|database|conn|pool|prisma|kafka|producer|consumer|channel|broker|cache|store|queue|sql|knex|sequelize/i;
const WRAPPERS = new Set(['TSAsExpression', 'TSNonNullExpression', 'TSSatisfiesExpression', 'TSTypeAssertion', 'ParenthesizedExpression']);
const CHAIN_METHODS = new Set(['then', 'catch', 'finally']);

// The prefilter (see `needles`). A helper module holds no module-level call;
// what it needs is the exit itself. A top-level await sits at the start of a
// line (`await x`, `const db = await x`, also with the await on the next
// line), or inside a top-level block, as may `main()` (`if (require.main ===
// module) { main(); }`).
const PROCESS_EXIT = /\bprocess\s*\??\.\s*exit\b/;
const TOP_LEVEL_AWAIT = /^(?:export\s+)?(?:(?:const|let|var)\s[^\n]*?=\s*)?await\b/m;
const TOP_LEVEL_BLOCK = /^(?:try|if|for|while|do|switch)\b|^\{/m;

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

/**
 * What a failure at some place comes to: the process ends (`exit` says how,
 * for messages: `main().catch exits at line 86`), or it does not (a handler
 * absorbs it, or it leaves an imported helper for its caller to handle).
 */
type Outcome = { exit: string } | null;

/** How a failure that leaves a walked function (or the module's top level) ends, given where it leaves. */
type Escape = (at: AnyNode) => Outcome;

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
  /** The local function the point sits in; null at the module's top level. */
  fn: LocalFunction | null;
  /** How the startup path reached `fn`: the call node in its caller; null for a start (main, an exported helper). */
  via: { call: AnyNode; caller: LocalFunction } | null;
  /** True when the connect call can move into `() => call` and still type-check. */
  closureSafe: boolean;
  /** How its failure ends the process. */
  exit: string;
  /** For a helper module: which startup call of the entry reaches it (`backend/server.js:7`). */
  startedBy: string | null;
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
// matching: where a failure goes

/** The parent of every node of the program, for walking up from a failure point. */
function parentMap(program: AnyNode): Map<AnyNode, AnyNode> {
  const out = new Map<AnyNode, AnyNode>();
  for (const n of descendants(program, true))
    for (const key of Object.keys(n)) {
      if (key === 'loc' || key === 'comments' || key === 'leadingComments' || key === 'trailingComments' || key === 'tokens' || key === 'original') continue;
      const v = n[key];
      for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c === 'object' && typeof c.type === 'string') out.set(c, n);
    }
  return out;
}

function isCall(node: AnyNode | undefined): boolean {
  return node?.type === 'CallExpression' || node?.type === 'OptionalCallExpression';
}

/** `Promise.all([...])`: rejects when any element does (allSettled never rejects; race and any are left alone). */
function isPromiseAll(node: AnyNode | undefined): boolean {
  const m = memberCall(node);
  return !!m && m.property === 'all' && idName(m.object) === 'Promise';
}

/** `a.b.connect()` → 'a.b.connect'; anything else → the callee's last name. */
function callLabel(ctx: Tree, call: AnyNode): string {
  const callee = unwrap(call.callee);
  const simple = (n: AnyNode): boolean => !!idName(n) || n.type === 'ThisExpression' || ((n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') && !n.computed && simple(n.object));
  // A chain broken over lines (`mongoose\n  .connect(...)`) is named on one line.
  if (simple(callee)) return sourceOf(ctx.j, callee).replace(/\s+/g, '').replace(/\?\./g, '.');
  if (isPromiseAll(call)) return 'Promise.all';
  return memberCall(call)?.property ?? 'startup step';
}

/** A parsed module: this file, or another the startup path reaches. */
type Tree = Pick<CodeContext, 'j' | 'root'>;

/** Answers where failures go, over one file. */
class FailureFlow {
  readonly parents: Map<AnyNode, AnyNode>;
  /** `process.on('unhandledRejection', ...)`: an unhandled rejection no longer ends the process. */
  private readonly rejectionsHandled: boolean;

  constructor(
    private readonly ctx: Tree,
    private readonly fns: Map<string, LocalFunction>,
  ) {
    this.parents = parentMap(ctx.root.find(ctx.j.Program).get().node as AnyNode);
    this.rejectionsHandled = ctx.root.find(ctx.j.CallExpression).some((p) => {
      const m = memberCall(p.node);
      const listener = unwrap((p.node as AnyNode).arguments[1]);
      const registers = !!m && (m.property === 'on' || m.property === 'once') && idName(m.object) === 'process' && stringArg(p.node as AnyNode) === 'unhandledRejection';
      // A listener that logs and exits still ends the process.
      return registers && isFunction(listener) && !failsHard(listener);
    });
  }

  /** A `.catch` / rejection handler: exits (`described` says how), rethrows, or absorbs the failure. */
  private handler(handler: AnyNode | undefined, described: (line: number) => string): Outcome | 'rethrows' {
    const h = unwrap(handler);
    const fn = isFunction(h) ? h : idName(h) ? this.fns.get(h.name)?.node : undefined;
    if (!fn) return null; // `.catch(console.error)`, `.catch(logger.warn)`
    const exit = descendants(fn).find(isFailureExit);
    if (exit) return { exit: described(lineOf(exit)) };
    return descendants(fn).some((n) => n.type === 'ThrowStatement') ? 'rethrows' : null;
  }

  /** What a throw at `node` comes to: the nearest enclosing `try` decides, else the scope's escape. */
  thrown(node: AnyNode, scopeBody: AnyNode, escape: Escape): Outcome {
    let cur = node;
    for (let p = this.parents.get(cur); p && cur !== scopeBody && !isFunction(cur); cur = p, p = this.parents.get(p)) {
      if (p.type !== 'TryStatement' || p.block !== cur || !p.handler) continue;
      const exit = descendants(p.handler.body).find(isFailureExit);
      if (exit) return { exit: `the catch at line ${lineOf(exit)} exits` };
      if (!failsHard(p.handler.body)) return null;
    }
    return escape(node);
  }

  /**
   * What the rejection of the promise `call` returns comes to: through
   * `.then/.catch/.finally` handlers and `Promise.all`, to an `await` (then as
   * a throw there), a `return` (the scope's escape), or nowhere: 'unhandled'.
   */
  rejected(call: AnyNode, scopeBody: AnyNode, escape: Escape): Outcome | 'unhandled' {
    const root = `${callLabel(this.ctx, call)}()`;
    let cur = call;
    for (;;) {
      const p = this.parents.get(cur);
      if (!p) return 'unhandled';
      if (WRAPPERS.has(p.type)) {
        cur = p;
      } else if ((p.type === 'MemberExpression' || p.type === 'OptionalMemberExpression') && p.object === cur) {
        const chained = this.parents.get(p);
        const method = p.computed ? null : idName(p.property);
        if (!chained || !isCall(chained) || chained.callee !== p || !method || !CHAIN_METHODS.has(method)) return 'unhandled';
        const onRejected = method === 'catch' ? chained.arguments[0] : method === 'then' ? chained.arguments[1] : undefined;
        if (onRejected) {
          const h = this.handler(onRejected, (line) => (method === 'then' ? `the rejection handler of ${root}.then exits at line ${line}` : `${root}.catch exits at line ${line}`));
          if (h !== 'rethrows') return h;
        }
        cur = chained;
      } else if (p.type === 'ArrayExpression' && isPromiseAll(this.parents.get(p)) && this.parents.get(p)!.arguments[0] === p) {
        cur = this.parents.get(p)!;
      } else if (p.type === 'AwaitExpression') {
        return this.thrown(p, scopeBody, escape);
      } else if (p.type === 'ReturnStatement' || (isFunction(p) && p.body === cur)) {
        return escape(p);
      } else return 'unhandled';
    }
  }

  /** The outcome of an async local call's unhandled rejection: it ends the process unless a process handler catches it. */
  unhandled(call: AnyNode): Outcome {
    return this.rejectionsHandled ? null : { exit: `the unhandled rejection of ${callLabel(this.ctx, call)}() (line ${lineOf(call)}) ends the process` };
  }
}

function stringArg(call: AnyNode): string | null {
  const a = unwrap(call.arguments?.[0]);
  return (a?.type === 'StringLiteral' || a?.type === 'Literal') && typeof a.value === 'string' ? a.value : null;
}

/**
 * True when a module-level call starts something: it is (the root of) an
 * expression statement, `main().catch(...)`, `void main()`, or awaited at the
 * top level. Other module-level calls (`const cfg = load()`) are setup.
 */
function startsAtTopLevel(call: AnyNode, parents: Map<AnyNode, AnyNode>): boolean {
  let cur = call;
  let awaited = false;
  for (let p = parents.get(cur); p; cur = p, p = parents.get(p)) {
    if (WRAPPERS.has(p.type) || (p.type === 'UnaryExpression' && p.operator === 'void')) continue;
    if ((p.type === 'MemberExpression' || p.type === 'OptionalMemberExpression') && p.object === cur) continue;
    if (isCall(p) && p.callee === cur) continue; // the call of a chained member: `main().catch(...)`
    if (p.type === 'AwaitExpression') {
      awaited = true;
      continue;
    }
    return p.type === 'ExpressionStatement' || (awaited && (p.type === 'VariableDeclarator' || p.type === 'AssignmentExpression'));
  }
  return false;
}

// ---------------------------------------------------------------------------
// matching: what fails

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

/** A local function that retries what it is given: a loop around a try/catch. */
function isRetryHelper(fn: LocalFunction): boolean {
  if (fn.name === RETRY_HELPER) return true;
  return descendants(fn.node.body).some((n) => /^(For|While|DoWhile)Statement$/.test(n.type) && descendants(n.body).some((c) => c.type === 'TryStatement'));
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
 * `fn` is null for a call at the module's top level.
 */
function closureSafe(ctx: CodeContext, call: AnyNode, fn: LocalFunction | null): boolean {
  if (ctx.parser === 'babylon') return true;
  const locals = new Map<string, AnyNode>();
  const params = new Map<string, AnyNode>();
  if (fn) {
    for (const n of descendants(fn.node.body)) if (n.type === 'VariableDeclaration') for (const d of n.declarations) if (idName(d.id)) locals.set(d.id.name, { ...d, kind: n.kind });
    for (const p of fn.node.params as AnyNode[]) {
      const id = p.type === 'AssignmentPattern' ? p.left : p;
      if (idName(id)) params.set(id.name, id);
    }
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

/** What a failure leaving the helper comes to while asking whether it leaves at all. */
const LEAVES: Outcome = { exit: 'leaves the helper' };

/**
 * Does a failed connect inside an imported helper reach its caller? A helper
 * whose own `catch` exits (or absorbs the failure) never rejects: the exit is
 * reported in its module, and a retry around the call would change nothing.
 * True whenever the answer is not certain: a connect through yet another
 * module, a local step that may reject.
 */
function helperRejects(deps: DependencyMatcher, call: ASTPath): boolean {
  const node = call.node as AnyNode;
  const callee = unwrap(node.callee);
  const member = memberCall(node);
  const name = idName(callee) ?? (member ? idName(member.object) : null);
  const binding = name ? deps.imports.get(name) : undefined;
  if (!binding?.source.startsWith('.')) return true;
  const exported = idName(callee) ? (binding.name === '*' ? 'default' : binding.name) : binding.name === '*' || binding.name === 'default' ? member!.property : null;
  const rel = deps.resolve(binding.source);
  const other = rel ? moduleMatcher(deps.src.workspace, rel) : null;
  const fn = other && exported ? exportedFunction(other, exported) : null;
  if (!other || !fn) return true;
  const fns = localFunctions(other.src.j, other.src.root);
  const flow = new FailureFlow(other.src, fns);
  const paths = new Map<AnyNode, ASTPath>();
  other.src.root.find(other.src.j.CallExpression).forEach((p) => void paths.set(p.node as AnyNode, p));
  const seen = new Set<AnyNode>();
  let absorbed = 0;
  const rejects = (fnNode: AnyNode, depth: number): boolean => {
    if (seen.has(fnNode) || depth > MAX_DEPTH) return false;
    seen.add(fnNode);
    const body = fnNode.body as AnyNode;
    return descendants(body).some((n) => {
      if (!isCall(n)) return false;
      const local = idName(n.callee) ? fns.get(n.callee.name) : undefined;
      const path = paths.get(n);
      const dep = path ? connectOfCall(other, path) : null;
      if (!local && !dep && memberCall(n)?.property !== 'connect') return false;
      const outcome = flow.rejected(n, body, () => LEAVES);
      if (local && outcome === LEAVES) return rejects(local.node, depth + 1);
      if (!local && (outcome === LEAVES || dep?.helper)) return true; // a connect through a further module: not certain
      if (outcome !== 'unhandled' && (dep || !local)) absorbed++;
      return false;
    });
  };
  // Certain only when connects were found and every one of them ends inside the helper.
  return rejects(fn.node as AnyNode, 0) || absorbed === 0;
}

/** A function the walk starts from, with what a failure leaving it comes to. */
interface Start {
  fn: LocalFunction;
  escape: Escape;
  /** For an exported helper: the entry's call that runs it (`backend/server.js:7`). */
  startedBy: string | null;
}

/** Follows startup from the module's top level and from `starts`, collecting each failure point once. */
function failurePoints(ctx: CodeContext, fns: Map<string, LocalFunction>, starts: Start[]): FailurePoint[] {
  const deps = dependencyMatcher(ctx);
  const flow = new FailureFlow(ctx, fns);
  const callPaths = new Map<AnyNode, ASTPath>();
  ctx.root.find(ctx.j.CallExpression).forEach((p) => void callPaths.set(p.node as AnyNode, p));
  const program = ctx.root.find(ctx.j.Program).get().node as AnyNode;
  const out: FailurePoint[] = [];
  const found = new Set<AnyNode>();
  const seen = new Set<AnyNode>();

  /** A local call's outcome: a rejection when the function is async, else a throw where it is called. */
  const callOutcome = (call: AnyNode, local: LocalFunction, body: AnyNode, escape: Escape): Outcome => {
    const rejected = flow.rejected(call, body, escape);
    if (rejected !== 'unhandled') return rejected;
    return local.node.async ? flow.unhandled(call) : flow.thrown(call, body, escape);
  };

  const visit = (fn: LocalFunction | null, escape: Escape, via: FailurePoint['via'], depth: number, startedBy: string | null) => {
    if (fn) {
      if (seen.has(fn.node) || depth > MAX_DEPTH || isRetryHelper(fn)) return;
      seen.add(fn.node);
    }
    const body = fn ? fn.node.body : program;
    const nodes = fn ? descendants(fn.node.body) : topLevelNodes(ctx.j, ctx.root);
    const envNames = fn ? envDerivedNames(ctx, fn) : new Set<string>();
    const assigned = fn ? callAssigned(fn.node.body) : new Map<string, AnyNode>();
    const point = (kind: PointKind, node: AnyNode, outcome: Outcome, name: string, label = name, safe = false) => {
      if (!outcome || found.has(node)) return;
      found.add(node);
      out.push({ kind, node, line: lineOf(node), name, label, fn, via, closureSafe: safe, exit: outcome.exit, startedBy });
    };

    for (const n of nodes) {
      if (isCall(n) && idName(n.callee) && fns.has(n.callee.name)) {
        const local = fns.get(n.callee.name)!;
        if (local === fn || (!fn && !startsAtTopLevel(n, flow.parents))) continue;
        const outcome = callOutcome(n, local, body, escape);
        // The start functions of the module (main) own their points; deeper helpers are reached via their call.
        if (outcome) visit(local, () => outcome, fn ? { call: n, caller: fn } : null, depth + 1, startedBy);
      } else if (isDynamicImport(n)) {
        const outcome = fn && flow.parents.get(n)?.type === 'AwaitExpression' ? flow.rejected(n, body, escape) : 'unhandled';
        if (outcome !== 'unhandled') point('import', n, outcome, 'import()');
      } else if (isCall(n)) {
        const path = callPaths.get(n);
        const m = memberCall(n);
        const dep = path ? connectOfCall(deps, path) : null;
        if (!dep && m?.property !== 'connect' && m?.property !== '$connect') continue;
        if (dep?.helper && path && !fns.has(dep.helper) && !helperRejects(deps, path)) continue;
        // A client the matcher cannot trace (its Kafka instance is a parameter) still says what it is.
        const made = m && idName(m.object) ? memberCall(assigned.get(m.object.name))?.property : undefined;
        const label = dep && !dep.helper ? DRIVER_LABEL[dep.driver] : made === 'consumer' || made === 'producer' ? DRIVER_LABEL.kafkajs : callLabel(ctx, n);
        const outcome = flow.rejected(n, body, escape);
        if (outcome !== 'unhandled') point('connect', n, outcome, callLabel(ctx, n), label, closureSafe(ctx, n, fn));
      } else if (fn && n.type === 'IfStatement' && failsHard(n.consequent)) {
        const name = checkedName(n.test);
        const source = name ? assigned.get(name) : undefined;
        if (!name || !source || readsEnv(n.test, envNames) || envNames.has(name)) continue;
        const calleeName = sourceOf(ctx.j, unwrap(source.callee));
        if (!CLIENT_NAME.test(name) && !CLIENT_NAME.test(calleeName)) continue;
        const exit = descendants(n.consequent).find(isFailureExit);
        point('unavailable', n, exit ? { exit: `exits at line ${lineOf(exit)}` } : flow.thrown(n, body, escape), name);
      }
    }
  };

  // The module's own startup: what a failure leaving the top level comes to.
  visit(null, (at) => ({ exit: at.type === 'AwaitExpression' ? `the top-level await at line ${lineOf(at)} rejects and ends the process` : `the error at line ${lineOf(at)} ends the process while the module loads` }), null, 0, null);
  for (const s of starts) visit(s.fn, s.escape, null, 0, s.startedBy);
  // The module's own startup counts only in the service's long-running process; a start the entry calls always does.
  const own = out.filter((p) => p.startedBy === null);
  return own.length > 0 && !isLongRunningProcess(ctx) ? out.filter((p) => p.startedBy !== null) : out;
}

// ---------------------------------------------------------------------------
// matching: a helper module the entry runs at startup

/** The service's entry file, workspace-relative: the first of its likely entries that exists. */
function entryFile(ctx: CodeContext): string | null {
  const service = ctx.service;
  if (!service || service.type === 'lib') return null;
  for (const stem of entryCandidates(service))
    for (const ext of CODE_EXTENSIONS) {
      const rel = `${stem}${ext}`;
      if (rel === ctx.path || ctx.workspace.read(rel) !== undefined) return rel;
    }
  return null;
}

/** The modules the entry loads at startup (itself first), through relative imports; and whether this file is one of them. */
function entryModules(ctx: CodeContext, entry: string): { modules: DependencyMatcher[]; loadsThisFile: boolean } {
  const modules: DependencyMatcher[] = [];
  let loadsThisFile = false;
  const seen = new Set([entry]);
  const queue: [string, number][] = [[entry, 0]];
  for (let item = queue.shift(); item; item = queue.shift()) {
    const [rel, depth] = item;
    const m = moduleMatcher(ctx.workspace, rel);
    if (!m) continue;
    modules.push(m);
    if (depth >= MAX_IMPORT_DEPTH) continue;
    for (const { source } of relativeLoads(m)) {
      const next = m.resolve(source);
      if (next === ctx.path) loadsThisFile = true;
      else if (next && !seen.has(next)) {
        seen.add(next);
        queue.push([next, depth + 1]);
      }
    }
  }
  return { modules, loadsThisFile };
}

// ---------------------------------------------------------------------------
// matching: is this file the service's long-running process?
//
// Retrying is right for the process the platform keeps alive, where an exit
// is a restart loop. A one-off job (a migration run as its own compose
// service, a seed step of the pipeline) is the opposite: its exit code is its
// result, and a connect retried forever would hang the rollout that waits for
// it. The file's own startup counts only when some evidence says the service
// runs it as its process.

/** Source extensions, as a command names a file or its build output. */
const SCRIPT_EXT = /\.[cm]?[jt]sx?$/;
/** npm scripts that run the service itself (locally or in the image), not a job beside it. */
const LONG_RUNNING_SCRIPT = /^(?:pre|post)?(?:start|serve|dev|watch|debug)(?::|$)/;
/** Names of one-off programs, as a file name or a folder: migrate.ts, run-migrations.ts, scripts/, bin/seed.js. */
const ONE_OFF_NAME = /^(?:migrat(?:e|es|ion|ions|or)|seed(?:s|er|ers|ing)?|scripts?|jobs?|cli|bin)$/;

/** The file's path inside its service, without extension: `src/migrate`, `scripts/seed`. */
function serviceStem(ctx: CodeContext): string | null {
  const dir = ctx.service?.dir;
  if (dir === undefined) return null;
  const prefix = dir === '.' ? '' : `${dir}/`;
  return ctx.path.startsWith(prefix) ? ctx.path.slice(prefix.length).replace(SCRIPT_EXT, '') : null;
}

/** True when a command line (an image CMD, an npm script) runs the file at `stem`, as source or as its build output. */
function commandRuns(command: string, stem: string): boolean {
  const built = stem.replace(/^src\//, '');
  return command.split(/[\s"',[\]]+/).some((token) => {
    if (!SCRIPT_EXT.test(token) && !token.includes('/')) return false;
    const run = token.replace(SCRIPT_EXT, '').replace(/^\.\//, '');
    return run === stem || run === built || run.endsWith(`/${built}`);
  });
}

/** The package.json scripts that run the file: directly, or through `npm run <script>` one step away. */
function scriptsRunning(manifest: Record<string, unknown>, stem: string): string[] {
  const scripts = manifest.scripts && typeof manifest.scripts === 'object' ? (manifest.scripts as Record<string, unknown>) : {};
  const commands = new Map(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const direct = [...commands].filter(([, cmd]) => commandRuns(cmd, stem)).map(([name]) => name);
  const runs = (cmd: string, name: string) => cmd.split(/\s+/).some((t, i, all) => t === 'run' && all[i + 1] === name);
  const via = [...commands].filter(([name, cmd]) => !direct.includes(name) && direct.some((d) => runs(cmd, d))).map(([name]) => name);
  return [...direct, ...via];
}

/** True when the file's name or one of its folders names a one-off program. */
function hasOneOffName(stem: string): boolean {
  const words = stem.split('/').flatMap((part, i, all) => (i < all.length - 1 ? [part] : part.split(/[-_.]|(?<=[a-z])(?=[A-Z])/)));
  return words.some((w) => ONE_OFF_NAME.test(w.toLowerCase()));
}

/** True when the file serves or consumes on its startup path: an HTTP listen, a Kafka consumer's run, an AMQP consume. */
function servesOrConsumes(ctx: CodeContext): boolean {
  const scopes = startupScopes(ctx.j, ctx.root);
  return ctx.root.find(ctx.j.CallExpression).some((p) => {
    const m = memberCall(p.node);
    if (!m || !runsAtStartup(p, scopes)) return false;
    return m.property === 'listen' || m.property === 'consume' || (m.property === 'run' && /consumer/i.test(idName(m.object) ?? ''));
  });
}

/**
 * Is this file's own startup (its module-level code and what that calls) the
 * service's long-running process? Yes for package.json#main, a file the
 * image's CMD or a start script runs, a file that serves or consumes, the
 * entry and the modules it loads. No for a file the service never starts
 * (the entry exists and does not load it), or, with no entry to tell, one
 * named like a job or run by a package.json script of its own (`migrate`,
 * `db:seed`). Otherwise there is no telling, and it counts.
 */
function isLongRunningProcess(ctx: CodeContext): boolean {
  const service = ctx.service;
  const stem = serviceStem(ctx);
  if (!service || service.type === 'lib' || stem === null) return true;
  if (isMainModule(ctx.path, service) || (service.entrypoint && commandRuns(service.entrypoint, stem))) return true;
  const scripts = scriptsRunning(service.manifest, stem);
  if (scripts.some((s) => LONG_RUNNING_SCRIPT.test(s)) || servesOrConsumes(ctx)) return true;
  const entry = entryFile(ctx);
  if (entry === ctx.path || (entry && entryModules(ctx, entry).loadsThisFile)) return true;
  if (entry) return false;
  return !hasOneOffName(stem) && scripts.length === 0;
}

/** Callbacks that run as part of startup when their call does: a listen callback, a `.then` / `.finally` step. */
const STARTUP_CALLBACKS = new Set(['listen', 'then', 'finally']);

/** True when code at `path` runs while its module starts: at the top level, in a startup function, or in a startup callback. */
function runsAtLoad(path: ASTPath, scopes: Set<AnyNode>): boolean {
  for (let fn = enclosingFunction(path); fn; ) {
    if (scopes.has(fn.node as AnyNode)) return true;
    const call = fn.parent as ASTPath | null;
    const m = call ? memberCall(call.node) : null;
    if (!call || !m || !STARTUP_CALLBACKS.has(m.property) || !(call.node as AnyNode).arguments.includes(fn.node)) return false;
    fn = enclosingFunction(call);
  }
  return true;
}

/** A call of this module's export that some module's startup makes. */
interface StartupCaller {
  /** How the caller names it: `connectDB`, `db.connect`. */
  callee: string;
  /** `backend/server.js:7`. */
  where: string;
}

/** The startup calls module `m` makes into `target`, by export name ('default' for a whole-module require called as a function). */
function callsInto(target: string, m: DependencyMatcher, out: Map<string, StartupCaller>): void {
  const bindings = new Map<string, string>();
  for (const [local, b] of m.imports) if (b.source.startsWith('.') && m.resolve(b.source) === target) bindings.set(local, b.name);
  if (bindings.size === 0) return;
  const { j, root } = m.src;
  const scopes = startupScopes(j, root);
  root.find(j.CallExpression).forEach((p) => {
    const callee = unwrap(p.node.callee);
    const member = memberCall(p.node);
    const name = idName(callee) ?? (member ? idName(member.object) : null);
    const imported = name ? bindings.get(name) : undefined;
    const scope = name ? p.scope?.lookup?.(name) : null;
    if (!name || !imported || (scope && !scope.isGlobal)) return;
    const exported = idName(callee) ? (imported === '*' ? 'default' : imported) : imported === '*' || imported === 'default' ? member!.property : null;
    if (!exported || out.has(exported) || !runsAtLoad(p, scopes)) return;
    out.set(exported, { callee: idName(callee) ? name : `${name}.${member!.property}`, where: `${m.src.path}:${lineOf(p.node)}` });
  });
}

/** Calls of this module's exports made at startup: from the service's entry, through the modules it loads. */
function startupCallers(ctx: CodeContext): Map<string, StartupCaller> {
  const out = new Map<string, StartupCaller>();
  const entry = entryFile(ctx);
  if (entry && entry !== ctx.path) for (const m of entryModules(ctx, entry).modules) callsInto(ctx.path, m, out);
  return out;
}

/**
 * A module that is not the entry, whose exported function the entry runs at
 * startup (`connectDB()` of config/db.js): that function is a start. A
 * failure leaving it is its caller's to handle (and reported there); only
 * what ends the process inside it counts here. Needs a `process.exit` in the
 * module, so files without one are not searched for callers.
 */
function helperStarts(ctx: CodeContext, fns: Map<string, LocalFunction>): Start[] {
  if (!ctx.root.find(ctx.j.CallExpression).some((p) => isFailureExit(p.node))) return [];
  if (isEntryModule(ctx.j, ctx.root, ctx.path, ctx.service)) return [];
  const deps = dependencyMatcher(ctx);
  const starts: Start[] = [];
  for (const [exported, caller] of startupCallers(ctx)) {
    const node = exportedFunction(deps, exported)?.node as AnyNode | undefined;
    if (!node) continue;
    const fn = [...fns.values()].find((f) => f.node === node) ?? { name: caller.callee, node, statement: node };
    starts.push({ fn, escape: () => null, startedBy: `${caller.callee}() runs at startup from ${caller.where}` });
  }
  return starts;
}

/** True when an HTTP listen of the file waits for a connect: listen-before-connect owns that startup and retries its connects. */
function listenWaitsForConnect(ctx: CodeContext): boolean {
  if (!listens(ctx.j, ctx.root)) return false;
  const deps = dependencyMatcher(ctx);
  return new AppMatcher(deps).findListens().some((site) => gateOf(ctx, deps, site) !== null);
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
    } else if (p.via && p.fn && whole.has(p.fn)) {
      const unit = byHelper.get(p.via.call) ?? { call: p.via.call, label: p.fn.name, helper: p.fn, points: [] };
      unit.points.push(p);
      byHelper.set(p.via.call, unit);
    } else if (p.kind === 'connect' && p.closureSafe) {
      direct.push({ call: p.node, label: p.label, helper: null, points: [p] });
    } else {
      manual.set(
        p,
        p.kind === 'unavailable'
          ? `move the client setup into a helper (like initialize()) that ${p.fn?.name ?? 'startup'}() awaits, so it can be retried`
          : `${p.name}() uses a nullable variable, so it cannot move into a retry closure; retry it by hand`,
      );
    }
  }
  return { units: [...byHelper.values(), ...direct], manual };
}

function describePoint(p: FailurePoint): string {
  const fn = p.fn?.name ?? 'startup';
  if (p.kind === 'connect') return `${p.name}() fails when ${p.label === p.name ? 'its dependency' : p.label} is down and ${p.exit}`;
  if (p.kind === 'import') return `${fn}() awaits a dynamic import and ${p.exit}`;
  return p.exit.startsWith('exits at') ? `${fn}() ${p.exit} when ${p.name} is unavailable` : `${fn}() throws when ${p.name} is unavailable and ${p.exit}`;
}

function analyze(ctx: CodeContext): Analysis {
  if (listenWaitsForConnect(ctx)) return { matches: [], units: [] };
  const fns = localFunctions(ctx.j, ctx.root);
  const points = failurePoints(ctx, fns, helperStarts(ctx, fns));
  const { units, manual } = plan(points);
  const matches = points.map((p): Match => {
    const why = manual.get(p);
    const what = `${describePoint(p)}${p.startedBy ? ` (${p.startedBy})` : ''}`;
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
  // A helper module, or a connect chain that exits in its own `.catch`, holds the
  // exit itself; a top-level await starts a line or sits in a top-level block.
  needles: [
    ['await', TOP_LEVEL_CALL],
    ['throw', TOP_LEVEL_CALL],
    ['exit', TOP_LEVEL_CALL],
    PROCESS_EXIT,
    TOP_LEVEL_AWAIT,
    ['await', TOP_LEVEL_BLOCK],
    ['throw', TOP_LEVEL_BLOCK],
  ],
  rules,
  detect,
  fix,
};

export default jscodeshiftAdapter(transform);
