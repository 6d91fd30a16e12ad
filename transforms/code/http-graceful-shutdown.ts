// http-graceful-shutdown: `docker stop`, an ECS deploy and a Kubernetes
// rollout all send SIGTERM and wait a grace period (compose 10 s) before
// SIGKILL. A server nobody closes on SIGTERM dies mid-request; as PID 1 it may
// not die at all until the SIGKILL. Behind an ALB (60 s idle timeout), Node's
// default 5 s keep-alive lets the server drop sockets the balancer still
// reuses: sporadic 502s.
//
// One matcher feeds detect and fix, per HTTP server in the file:
// - no SIGTERM handler: add `shutdown()` (close the server, exit 0, an unref'd
//   8 s timer exits 1 if close hangs) on SIGTERM and SIGINT, next to the
//   server; an uncaptured `app.listen()` is captured as `const server`;
// - a SIGTERM handler that does not close the server: close it first thing in
//   the handler, never a second handler; SIGINT missing: mirror SIGTERM;
// - "does not close" is decided by lib/shutdown-reach.ts, which follows the
//   handler into methods, helpers of the service's own modules, handlers in
//   modules that import this one, and libraries that close the server
//   (socket.io, terminus, http-terminator, stoppable, close-with-grace). What
//   it cannot follow never becomes a "never closed": silent when a close
//   exists, `manual:` saying what was not followed otherwise; a close the
//   fix would duplicate (App.stop(), a handler in another module) is manual;
// - NestJS: `app.enableShutdownHooks()` before `app.listen`, so SIGTERM runs
//   the providers' onModuleDestroy/beforeApplicationShutdown/onApplicationShutdown;
// - keep-alive: `keepAliveTimeout = 65_000`, `headersTimeout = 66_000` (Fastify
//   already defaults to 72 s).
import type { ASTPath } from 'jscodeshift';
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import { applyMatches, toReport, type Match as BaseMatch } from './lib/matches.js';
import type { CodeContext, RuleMeta, Transform } from '../../src/engine/types.js';
import {
  bindingOf,
  findListenSites,
  freeName,
  isFunction,
  isInside,
  isNumberLit,
  isStringLit,
  lineOf,
  parseModule,
  prepareProgramForInsert,
  propName,
  requireSource,
  resolveModule,
  statementOf,
  unwrap,
  type ListenSite,
  type Node,
} from './lib/http-server.js';
import { Reach, receiverIsServer, type Verdict } from './lib/shutdown-reach.js';
import { registrations, resolveFunction, type Registration } from './lib/shutdown-signals.js';
import { statements } from './lib/snippet.js';

const ID = 'http-graceful-shutdown';
/** Below compose's 10 s grace period, so our exit wins over the SIGKILL. */
const FORCE_EXIT_MS = 8000;
/** ALB idle timeout is 60 s; the server must keep idle sockets a little longer. */
const LB_IDLE_MS = 60_000;
const MIN_KEEPALIVE_MS = 61_000;
const NEST_HOOKS = new Set(['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown']);
const MAX_MODULES = 60;

const rules: Record<string, RuleMeta> = {
  'no-graceful-shutdown': {
    id: 'no-graceful-shutdown',
    severity: 'blocking',
    description: 'HTTP server with no SIGTERM handler that closes it',
    rationale: 'Deploys and scale-ins send SIGTERM; without a handler that closes the server, in-flight requests are cut and the task may hang until SIGKILL.',
    fixedBy: ID,
  },
  'sigint-not-handled': {
    id: 'sigint-not-handled',
    severity: 'info',
    description: 'SIGTERM handled, SIGINT not',
    rationale: 'Ctrl-C in `docker run -it` and `docker compose up` sends SIGINT; it should shut down the same way SIGTERM does.',
    fixedBy: ID,
  },
  'nest-shutdown-hooks-missing': {
    id: 'nest-shutdown-hooks-missing',
    severity: 'blocking',
    description: 'NestJS app with onModuleDestroy/onApplicationShutdown/beforeApplicationShutdown hooks but no `app.enableShutdownHooks()`',
    rationale: 'Nest only listens for signals after enableShutdownHooks(); without it SIGTERM kills the process and the hooks that close pools and consumers never run.',
    fixedBy: ID,
  },
  'keepalive-below-lb-idle': {
    id: 'keepalive-below-lb-idle',
    severity: 'risky',
    description: "HTTP server keeps Node's default keepAliveTimeout (5 s) below the load balancer's idle timeout (ALB 60 s)",
    rationale: 'The server closes idle keep-alive sockets the balancer still considers open; the next request on one of them fails with a 502.',
    fixedBy: ID,
  },
};

type RuleId = 'no-graceful-shutdown' | 'sigint-not-handled' | 'nest-shutdown-hooks-missing' | 'keepalive-below-lb-idle';

type Match = BaseMatch<RuleId>;

// ---------------------------------------------------------------------------
// Signal handlers

function calleeName(callee: Node): string {
  const c = unwrap(callee);
  return c.type === 'Identifier' ? c.name : (propName(c) ?? '');
}

/**
 * The function that does the shutdown work: a handler that only forwards to a
 * local function (`() => shutdown('SIGTERM')`) hands over to that function.
 */
function workerOf(fn: { node: Node; path: ASTPath<Node> }): { node: Node; path: ASTPath<Node> } {
  let cur = fn;
  for (let i = 0; i < 3; i++) {
    const body = cur.node.body;
    const only = body.type === 'BlockStatement' ? (body.body.length === 1 && body.body[0].type === 'ExpressionStatement' ? body.body[0].expression : null) : body;
    const call = unwrap(only);
    if (call?.type !== 'CallExpression') break;
    const next = resolveFunction(cur.path, unwrap(call.callee));
    if (!next) break;
    cur = next;
  }
  return cur;
}

// ---------------------------------------------------------------------------
// The server

interface Server {
  site: ListenSite;
  /** Name of what `close()` is called on: the http.Server, or the Fastify app. */
  name: string;
  /** The name is not bound yet: `app.listen()` must be captured as `const <name> = ...`. */
  capture: boolean;
  /** `let server` assigned later: may still be undefined when a signal arrives. */
  nullable: boolean;
  /** Program or block body the name is declared in. */
  scope: Node[];
  /** The statement that creates or assigns the server (keep-alive goes after it). */
  created: Node;
  /** The body array `created` sits in. */
  createdIn: Node[];
}

function blockOf(stmt: ASTPath<Node> | null): Node[] | null {
  if (!stmt) return null;
  const hit = statementOf(stmt);
  return hit ? hit.body : null;
}

/** Resolves where the node http.Server (or the Fastify/Nest app) lives; 'manual' when it cannot be named. */
function serverOf(ctx: CodeContext, site: ListenSite): Server | 'manual' {
  const call = site.path;
  const listenStmt = statementOf(call);
  if (!listenStmt) return 'manual';
  if (site.kind === 'fastify' || site.kind === 'nest') {
    if (!site.receiver) return 'manual';
    const b = bindingOf(call, site.receiver);
    const scope = blockOf(b);
    return scope ? { site, name: site.receiver, capture: false, nullable: false, scope, created: listenStmt.stmt.node, createdIn: listenStmt.body } : 'manual';
  }
  // `this.server.listen()`: the server lives in a field, which no shutdown
  // function next to the listen call can close for the class.
  const object = unwrap(call.node.callee.object);
  if (!site.receiver && object.type === 'MemberExpression' && object.object.type === 'ThisExpression' && (site.kind === 'http' || site.kind === 'unknown' || receiverIsServer(site))) return 'manual';
  if ((site.kind === 'http' || receiverIsServer(site)) && site.receiver) {
    const b = bindingOf(call, site.receiver);
    const decl = b && statementOf(b);
    if (!decl || b?.node.type !== 'VariableDeclarator') return 'manual';
    return { site, name: site.receiver, capture: false, nullable: !b.node.init, scope: decl.body, created: decl.stmt.node, createdIn: decl.body };
  }
  // express, koa, chained createServer(): listen() returns the http.Server.
  let p: ASTPath<Node> = call;
  while (p.parent && (p.parent.node.type === 'AwaitExpression' || p.parent.node.type === 'TSAsExpression')) p = p.parent;
  const parent = p.parent?.node;
  if (parent?.type === 'VariableDeclarator' && parent.init === p.node && parent.id.type === 'Identifier')
    return { site, name: parent.id.name, capture: false, nullable: false, scope: listenStmt.body, created: listenStmt.stmt.node, createdIn: listenStmt.body };
  if (parent?.type === 'AssignmentExpression' && parent.right === p.node && parent.left.type === 'Identifier') {
    const b = bindingOf(call, parent.left.name);
    const scope = blockOf(b);
    if (!scope) return 'manual';
    return { site, name: parent.left.name, capture: false, nullable: true, scope, created: listenStmt.stmt.node, createdIn: listenStmt.body };
  }
  if (parent?.type === 'ExpressionStatement') {
    const name = freeName(ctx.j, ctx.root, 'server', ['httpServer']);
    return { site, name, capture: true, nullable: false, scope: listenStmt.body, created: listenStmt.stmt.node, createdIn: listenStmt.body };
  }
  return 'manual';
}

/** `app.listen(...);` → `const server = app.listen(...);`, once. */
function ensureCaptured(ctx: CodeContext, server: Server): void {
  if (!server.capture) return;
  const stmt = server.created;
  const decl = ctx.j.variableDeclaration('const', [ctx.j.variableDeclarator(ctx.j.identifier(server.name), stmt.expression)]);
  (decl as Node).comments = stmt.comments;
  server.createdIn[server.createdIn.indexOf(stmt)] = decl;
  server.created = decl;
  server.capture = false;
}

/** The statement of `scope` that holds the listen call. */
function listenStatementIn(server: Server): Node | null {
  for (let p: ASTPath<Node> | null = server.site.path; p; p = p.parent) if (p.parent && server.scope.includes(p.node)) return p.node;
  return server.created && server.scope.includes(server.created) ? server.created : null;
}

// Inserted statements keep the location of the snippet they were parsed
// from, and recast spaces them by the blank lines around them in that
// snippet: a snippet padded with "\n\n" gets a blank line on that side.
const BLANK = '\n\n';

function insertAfter(ctx: CodeContext, body: Node[], anchor: Node, nodes: Node[]): void {
  if (body === ctx.root.find(ctx.j.Program).get().node.body) prepareProgramForInsert(ctx.j, ctx.root);
  body.splice(body.indexOf(anchor) + 1, 0, ...nodes);
}

function insertBefore(ctx: CodeContext, body: Node[], anchor: Node, nodes: Node[]): void {
  if (body === ctx.root.find(ctx.j.Program).get().node.body) prepareProgramForInsert(ctx.j, ctx.root);
  body.splice(body.indexOf(anchor), 0, ...nodes);
}

function shutdownSource(server: Server, fnName: string, sigint: boolean): string {
  const close =
    server.site.kind === 'fastify'
      ? `  ${server.name}.close().then(() => process.exit(0));`
      : server.nullable
        ? `  if (${server.name}) ${server.name}.close(() => process.exit(0));\n  else process.exit(0);`
        : `  ${server.name}.close(() => process.exit(0));`;
  const code = [
    '// SIGTERM (docker stop, ECS, Kubernetes): stop taking connections, let',
    `// in-flight requests finish, and force the exit if they outlast ${FORCE_EXIT_MS / 1000} s.`,
    `function ${fnName}() {`,
    close,
    `  setTimeout(() => process.exit(1), ${FORCE_EXIT_MS}).unref();`,
    '}',
    '',
    `process.on('SIGTERM', ${fnName});`,
    // An existing SIGINT handler stays the only one.
    ...(sigint ? [] : [`process.on('SIGINT', ${fnName});`]),
  ].join('\n');
  return `${BLANK}${code}${BLANK}`;
}

// ---------------------------------------------------------------------------
// Keep-alive

interface KeepAlive {
  /** A literal keepAliveTimeout below the balancer's idle timeout, to raise. */
  low: { value: ASTPath<Node>; line: number; stmt: Node | null; body: Node[] | null; object: string | null } | null;
  /** keepAliveTimeout is set to something we accept (or cannot judge). */
  ok: boolean;
}

function keepAliveState(ctx: CodeContext): KeepAlive {
  const { j, root } = ctx;
  const state: KeepAlive = { low: null, ok: false };
  const judge = (value: ASTPath<Node>, object: string | null) => {
    if (!isNumberLit(value.node) || value.node.value >= MIN_KEEPALIVE_MS) {
      state.ok = true;
      return;
    }
    const stmt = statementOf(value);
    state.low ??= { value, line: lineOf(value.node), stmt: stmt?.stmt.node ?? null, body: stmt?.body ?? null, object };
  };
  root.find(j.AssignmentExpression).forEach((p) => {
    if (propName(p.node.left) !== 'keepAliveTimeout') return;
    const obj = (p.node.left as Node).object;
    judge(p.get('right'), obj.type === 'Identifier' ? obj.name : null);
  });
  // Server options: http.createServer({ keepAliveTimeout }), Fastify({ keepAliveTimeout }).
  // Client options (undici, agents) use the same name for the other side: skip them.
  root.find(j.ObjectProperty).forEach((p) => {
    const key = p.node.key as Node;
    if ((key.name ?? key.value) !== 'keepAliveTimeout') return;
    const call = p.parent?.parent?.node;
    if (call?.type === 'CallExpression' && /^(createServer|fastify)$/i.test(calleeName(call.callee))) judge(p.get('value'), null);
  });
  return state;
}

const KEEPALIVE_COMMENT = "// Outlive the load balancer's 60 s idle timeout, or it reuses sockets we closed (502).";

function keepAliveSource(name: string): string {
  return `${KEEPALIVE_COMMENT}\n${name}.keepAliveTimeout = 65_000;\n${name}.headersTimeout = 66_000;`;
}

/** headersTimeout assignments on `object`. */
function headersTimeouts(ctx: CodeContext, object: string): Node[] {
  const { j, root } = ctx;
  return root
    .find(j.AssignmentExpression)
    .filter((p) => propName(p.node.left) === 'headersTimeout' && (p.node.left as Node).object.type === 'Identifier' && (p.node.left as Node).object.name === object)
    .nodes();
}

function raiseKeepAlive(ctx: CodeContext, low: NonNullable<KeepAlive['low']>): void {
  low.value.replace(expression(ctx, '65_000'));
  if (!low.object) return;
  const headers = headersTimeouts(ctx, low.object);
  for (const h of headers) if (isNumberLit(h.right) && h.right.value <= 65_000) h.right = expression(ctx, '66_000');
  if (!headers.length && low.stmt && low.body) insertTight(ctx, low.body, low.stmt, statements(ctx, `\n${low.object}.headersTimeout = 66_000;\n`));
}

function expression(ctx: CodeContext, src: string): Node {
  return (statements(ctx, `const __value = ${src};`)[0] as Node).declarations[0].init;
}

// ---------------------------------------------------------------------------
// NestJS

interface NestHook {
  cls: string;
  method: string;
  file: string;
  line: number;
}

function moduleSources(j: CodeContext['j'], root: CodeContext['root']): string[] {
  const out: string[] = [];
  root.find(j.ImportDeclaration).forEach((p) => void out.push(String(p.node.source.value)));
  root.find(j.CallExpression, { callee: { type: 'Identifier', name: 'require' } }).forEach((p) => {
    const src = requireSource(p.node);
    if (src) out.push(src);
  });
  return out.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

function hooksIn(j: CodeContext['j'], root: CodeContext['root'], file: string): NestHook[] {
  const out: NestHook[] = [];
  const visit = (p: ASTPath<Node>) => {
    const name = p.node.key?.name;
    if (!NEST_HOOKS.has(name)) return;
    let cls: ASTPath<Node> | null = p.parent;
    while (cls && cls.node.type !== 'ClassDeclaration' && cls.node.type !== 'ClassExpression') cls = cls.parent;
    out.push({ cls: cls?.node.id?.name ?? 'class', method: name, file, line: lineOf(p.node) });
  };
  root.find(j.ClassMethod).forEach(visit);
  root.find(j.MethodDefinition).forEach(visit);
  return out;
}

/** Nest lifecycle hooks in this file and the modules it imports relatively, transitively. */
function nestHooks(ctx: CodeContext): NestHook[] {
  const found = hooksIn(ctx.j, ctx.root, ctx.path);
  const queue = moduleSources(ctx.j, ctx.root).map((s) => ({ from: ctx.path, spec: s }));
  const seen = new Set([ctx.path]);
  while (queue.length && seen.size < MAX_MODULES) {
    const { from, spec } = queue.shift()!;
    const ref = resolveModule(ctx, from, spec);
    if (!ref || seen.has(ref.file)) continue;
    seen.add(ref.file);
    const mod = parseModule(ref);
    if (!mod) continue;
    found.push(...hooksIn(mod.j, mod.root, mod.file));
    for (const s of moduleSources(mod.j, mod.root)) queue.push({ from: mod.file, spec: s });
  }
  return found;
}

function callsMethod(ctx: CodeContext, method: string): boolean {
  return ctx.root.find(ctx.j.CallExpression).some((p) => propName(p.node.callee) === method);
}

// ---------------------------------------------------------------------------
// The matcher

function sigintMatch(ctx: CodeContext, term: Registration, line: number): Match {
  const { j } = ctx;
  const method = propName(term.path.node.callee) ?? 'on';
  return {
    rule: 'sigint-not-handled',
    line,
    message: 'SIGTERM shuts the server down but SIGINT (Ctrl-C, `docker compose up`) does not: handle it the same way',
    apply() {
      if (term.list) {
        term.list.elements.push(j.stringLiteral('SIGINT'));
        return;
      }
      const handler = term.path.node.arguments[1] as Node;
      const stmt = statementOf(term.path);
      if (!stmt) return;
      let src: string;
      if (handler.type === 'Identifier') src = `process.${method}('SIGINT', ${handler.name});`;
      else if (forwardsSignal(handler)) {
        // process.on('SIGTERM', () => shutdown('SIGTERM'))  →  the same with 'SIGINT'
        const clone = statements(ctx, `\n${j(stmt.stmt.node).toSource({ quote: 'single' })}\n`);
        j(clone[0] as Node)
          .find(j.Node)
          .filter((p) => isStringLit(p.node) && (p.node as Node).value === 'SIGTERM')
          .replaceWith(() => j.stringLiteral('SIGINT'));
        insertTight(ctx, stmt.body, stmt.stmt.node, clone);
        return;
      } else src = `process.${method}('SIGINT', () => process.emit('SIGTERM'));`;
      insertTight(ctx, stmt.body, stmt.stmt.node, statements(ctx, `\n${src}\n`));
    },
  };
}

/**
 * Puts `nodes` right under `anchor`, with no blank line. A one-line anchor is
 * re-parsed from its own text, so recast does not carry the blank line that
 * followed it in the file in between; its text is unchanged.
 */
function insertTight(ctx: CodeContext, body: Node[], anchor: Node, nodes: Node[]): void {
  let at = anchor;
  if (at.loc && at.loc.start.line === at.loc.end.line) {
    at = statements(ctx, `${ctx.j(anchor).toSource({ quote: 'single' })}\n`)[0];
    body[body.indexOf(anchor)] = at;
  }
  insertAfter(ctx, body, at, nodes);
}

/** `() => shutdown('SIGTERM')`: a one-call handler that passes the signal name on. */
function forwardsSignal(handler: Node): boolean {
  if (!isFunction(handler)) return false;
  const body = handler.body;
  const expr = body.type === 'BlockStatement' ? (body.body.length === 1 ? body.body[0].expression : null) : body;
  const call = unwrap(expr);
  return call?.type === 'CallExpression' && call.arguments.some((a: Node) => isStringLit(a) && a.value === 'SIGTERM');
}

/** The SIGTERM registrations of this file (process.on and close-with-grace). */
function sigterm(regs: Registration[]): Registration[] {
  return regs.filter((r) => r.signals.includes('SIGTERM'));
}

/**
 * Findings for a verdict that is not "open with a handler in this file to
 * extend": null when the caller should go on with its own fix. Every shape
 * that points elsewhere (a handler in another module, a close nothing calls)
 * is manual: the fixer must never add a second shutdown path next to one.
 */
function indirectMatches(verdict: Verdict, line: number, what: string, inFile: boolean): Match[] | null {
  const rule = 'no-graceful-shutdown';
  if (verdict.type === 'closed') return [];
  if (verdict.type === 'unknown') {
    // Silent when a close exists and is likely reached through what we
    // cannot follow; otherwise say what could not be followed, never
    // "never closed".
    return verdict.silent ? [] : [{ rule, line, message: `shipshape cannot tell whether SIGTERM closes the ${what}`, manual: `${verdict.why}; check that SIGTERM closes the ${what}` }];
  }
  if (verdict.elsewhere && !inFile) {
    const at = `${verdict.elsewhere.file} (line ${verdict.elsewhere.line})`;
    return [{ rule, line, message: `the SIGTERM handler in ${at} never closes the ${what} started here`, manual: `the SIGTERM handler in ${at} never closes the ${what} started here; close it there` }];
  }
  if (verdict.unreached && !inFile) {
    const u = verdict.unreached;
    return [{ rule, line, message: `${u.what} closes the ${what} but no SIGTERM handler calls it`, manual: `${u.what} (${u.file}:${u.line}) closes the ${what} but no SIGTERM handler calls it; call it from process.on('SIGTERM', ...)` }];
  }
  return null;
}

function unreachedNote(verdict: Verdict): string {
  return verdict.type === 'open' && verdict.unreached ? ` (${verdict.unreached.what} at line ${verdict.unreached.line} closes it, but the handler never calls it)` : '';
}

function shutdownMatches(ctx: CodeContext, server: Server, regs: Registration[], verdict: Verdict): Match[] {
  const { j, root } = ctx;
  const line = server.site.line;
  const what = server.site.kind === 'fastify' ? `Fastify app \`${server.name}\`` : 'HTTP server';
  const term = sigterm(regs);
  const sigint = regs.some((r) => r.signals.includes('SIGINT'));
  if (verdict.type === 'closed') {
    const by = verdict.by;
    return !by || by.library || sigint ? [] : [sigintMatch(ctx, by, lineOf(by.path.node))];
  }
  const indirect = indirectMatches(verdict, line, what, term.length > 0);
  if (indirect) return indirect;

  if (!term.length) {
    return [
      {
        rule: 'no-graceful-shutdown',
        line,
        message: `the ${what} is never closed on SIGTERM: in-flight requests are cut on every deploy; close it on SIGTERM/SIGINT and exit, forced after ${FORCE_EXIT_MS / 1000} s`,
        apply() {
          ensureCaptured(ctx, server);
          const anchor = listenStatementIn(server);
          if (!anchor) return;
          const fnName = freeName(j, root, 'shutdown', ['gracefulShutdown', 'shutdownServer']);
          insertAfter(ctx, server.scope, anchor, statements(ctx, shutdownSource(server, fnName, sigint)));
        },
      },
    ];
  }

  // A SIGTERM handler exists but leaves the server open: extend it.
  const reg = term[0]!;
  const regLine = lineOf(reg.path.node);
  const message = `the SIGTERM handler (line ${regLine}) never closes the ${what}${unreachedNote(verdict)}: in-flight requests are cut; close it first thing in the handler`;
  const worker = reg.fn && workerOf(reg.fn);
  const visible = !!worker && isInsideBody(worker.path, server.scope);
  const hoist = !visible && worker ? hoistPlan(ctx, server) : null;
  if (!worker || worker.node.body.type !== 'BlockStatement' || (!visible && !hoist)) {
    const why = !worker
      ? 'the handler is not a local function'
      : worker.node.body.type !== 'BlockStatement'
        ? 'the handler is a single expression'
        : `\`${server.name}\` is not in scope there`;
    return [{ rule: 'no-graceful-shutdown', line: regLine, message, manual: `the SIGTERM handler (line ${regLine}) never closes the ${what}${unreachedNote(verdict)} and ${why}; call ${server.name}.close() in it` }];
  }
  const out: Match[] = [
    {
      rule: 'no-graceful-shutdown',
      line: regLine,
      message,
      apply() {
        hoist?.();
        ensureCaptured(ctx, server);
        const body = worker.node.body.body as Node[];
        let at = 0;
        while (at < body.length && isLogStatement(body[at])) at++;
        const close =
          server.site.kind === 'fastify'
            ? `${worker.node.async ? 'await ' : ''}${server.name}.close();`
            : `${server.name}${server.nullable ? '?.' : '.'}close();`;
        body.splice(at, 0, ...statements(ctx, `${close}\n`));
      },
    },
  ];
  if (!sigint && !reg.library) out.push(sigintMatch(ctx, reg, regLine));
  return out;
}

/**
 * A server shipshape cannot capture (a class field, a returned listen()):
 * nothing to fix here, but a followed SIGTERM path that provably leaves it
 * open is still reported, as manual.
 */
function uncapturedMatches(site: ListenSite, regs: Registration[], verdict: Verdict): Match[] {
  const rule = 'no-graceful-shutdown';
  const term = sigterm(regs);
  const indirect = indirectMatches(verdict, site.line, 'HTTP server', term.length > 0);
  if (indirect) return indirect;
  if (!term.length) {
    return [{ rule, line: site.line, message: 'the HTTP server is never closed on SIGTERM', manual: 'the HTTP server is never closed on SIGTERM and its listen() result is not a statement shipshape can capture; keep the server in a variable and close it on SIGTERM' }];
  }
  const regLine = lineOf(term[0]!.path.node);
  return [
    {
      rule,
      line: regLine,
      message: `the SIGTERM handler (line ${regLine}) never closes the HTTP server${unreachedNote(verdict)}`,
      manual: `the SIGTERM handler (line ${regLine}) never closes the HTTP server${unreachedNote(verdict)}; ${verdict.type === 'open' && verdict.unreached ? `call ${verdict.unreached.what} from the handler` : `close the server listening at line ${site.line} from the handler`}`,
    },
  ];
}

/**
 * The server is made inside a function but the SIGTERM handler lives at module
 * level: declare `let server` at module level and assign it where it is made,
 * so the handler can close it. Only for `listen()` results (an http.Server)
 * under a name used nowhere else.
 */
function hoistPlan(ctx: CodeContext, server: Server): (() => void) | null {
  const { j, root } = ctx;
  const program = root.find(j.Program).get().node.body as Node[];
  if (server.scope === program || server.site.kind === 'fastify' || server.site.kind === 'nest' || server.site.kind === 'http') return null;
  const created = server.created;
  const declarator = created.type === 'VariableDeclaration' && created.declarations.length === 1 ? created.declarations[0] : null;
  if (!server.capture && !(declarator && declarator.id.type === 'Identifier' && unwrap(declarator.init) === server.site.path.node)) return null;
  let uses = 0;
  root.find(j.Identifier, { name: server.name }).forEach((p) => {
    const parent = p.parent.node;
    if ((parent.type === 'VariableDeclarator' && parent.id === p.node) || (isFunction(parent) && parent.params.includes(p.node))) uses++;
  });
  if (uses > (server.capture ? 0 : 1)) return null;
  const top = program.find((stmt) => isInside(server.site.path, stmt));
  if (!top) return null;
  return () => {
    const type = ctx.parser === 'babylon' ? '' : ": import('node:http').Server | undefined";
    insertBefore(ctx, program, top, statements(ctx, `let ${server.name}${type};\n\n`));
    const value = server.capture ? created.expression : declarator.init;
    const assign = j.expressionStatement(j.assignmentExpression('=', j.identifier(server.name), value)) as Node;
    assign.comments = created.comments;
    server.createdIn[server.createdIn.indexOf(created)] = assign;
    Object.assign(server, { created: assign, capture: false, nullable: true, scope: program });
  };
}

function isInsideBody(path: ASTPath<Node>, body: Node[]): boolean {
  for (let p: ASTPath<Node> | null = path; p; p = p.parent) if (p.node?.body === body) return true;
  return false;
}

function isLogStatement(stmt: Node): boolean {
  const call = stmt.type === 'ExpressionStatement' ? unwrap(stmt.expression) : null;
  if (call?.type !== 'CallExpression' || call.callee.type !== 'MemberExpression') return false;
  const obj = call.callee.object;
  return obj.type === 'Identifier' && /^(console|logger|log)$/.test(obj.name);
}

function keepAliveMatches(ctx: CodeContext, server: Server, ka: KeepAlive): Match[] {
  if (ka.ok && !ka.low) return [];
  if (ka.low) {
    const low = ka.low;
    return [
      {
        rule: 'keepalive-below-lb-idle',
        line: low.line,
        message: `keepAliveTimeout is ${low.value.node.value} ms, below the load balancer's ${LB_IDLE_MS / 1000} s idle timeout: raise it to 65 s (headersTimeout 66 s)`,
        apply: () => raiseKeepAlive(ctx, low),
      },
    ];
  }
  if (server.site.kind === 'fastify') return []; // Fastify defaults to 72 s.
  const message = `the HTTP server keeps Node's default 5 s keepAliveTimeout, below the load balancer's ${LB_IDLE_MS / 1000} s idle timeout: set keepAliveTimeout 65 s, headersTimeout 66 s`;
  if (server.site.kind === 'nest') {
    return [
      {
        rule: 'keepalive-below-lb-idle',
        line: server.site.line,
        message,
        apply() {
          const listen = statementOf(server.site.path);
          if (!listen) return;
          const name = freeName(ctx.j, ctx.root, 'server', ['httpServer']);
          insertBefore(ctx, listen.body, listen.stmt.node, statements(ctx, `const ${name} = ${server.name}.getHttpServer();\n${keepAliveSource(name)}\n`));
        },
      },
    ];
  }
  return [
    {
      rule: 'keepalive-below-lb-idle',
      line: server.site.line,
      message,
      apply() {
        ensureCaptured(ctx, server);
        insertAfter(ctx, server.createdIn, server.created, statements(ctx, `${BLANK}${keepAliveSource(server.name)}${BLANK}`));
      },
    },
  ];
}

function nestMatches(ctx: CodeContext, server: Server, regs: Registration[], verdict: () => Verdict): Match[] {
  const { site } = server;
  const term = sigterm(regs);
  if (callsMethod(ctx, 'enableShutdownHooks')) return [];
  const v = verdict();
  // app.close() on the SIGTERM path, or reached through code we cannot follow.
  if (v.type === 'closed' || (v.type === 'unknown' && v.silent)) return [];
  const hooks = nestHooks(ctx);
  const rule: RuleId = hooks.length ? 'nest-shutdown-hooks-missing' : 'no-graceful-shutdown';
  const first = hooks[0];
  const message = first
    ? `${first.cls}.${first.method}() (${first.file}:${first.line})${hooks.length > 1 ? ` and ${hooks.length - 1} more hook(s) never run` : ' never runs'}: Nest ignores SIGTERM until app.enableShutdownHooks() is called; call it before listen`
    : 'the Nest app ignores SIGTERM, so in-flight requests are cut on every deploy: call app.enableShutdownHooks() before listen';
  if (term.length) {
    const handler = `a SIGTERM handler (line ${lineOf(term[0]!.path.node)})`;
    const manual =
      v.type === 'unknown'
        ? `${v.why}; make sure ${handler} calls ${server.name}.close(), or replace it with ${server.name}.enableShutdownHooks()`
        : `${handler} exists but never calls ${server.name}.close(); call it there, or replace the handler with ${server.name}.enableShutdownHooks()`;
    return [{ rule, line: site.line, message, manual }];
  }
  return [
    {
      rule,
      line: site.line,
      message,
      apply() {
        const listen = statementOf(site.path);
        if (listen) insertBefore(ctx, listen.body, listen.stmt.node, statements(ctx, `${server.name}.enableShutdownHooks();\n`));
      },
    },
  ];
}

function match(ctx: CodeContext): Match[] {
  const sites = findListenSites(ctx);
  if (!sites.length) return [];
  const regs = registrations(ctx.j, ctx.root);
  if (sites.length > 1) {
    const s = sites[0]!;
    const closed = regs.some((r) => r.signals.includes('SIGTERM'));
    return closed
      ? []
      : [{ rule: 'no-graceful-shutdown', line: s.line, message: `${sites.length} servers listen in this file`, manual: `${sites.length} servers listen in this file (lines ${sites.map((x) => x.line).join(', ')}); close each of them in one SIGTERM handler` }];
  }
  const site = sites[0]!;
  const server = serverOf(ctx, site);
  const verdict = () => new Reach(ctx, site).verdict(regs);
  if (server === 'manual') return uncapturedMatches(site, regs, verdict());
  const ka = keepAliveState(ctx);
  if (site.kind === 'nest') return [...nestMatches(ctx, server, regs, verdict), ...keepAliveMatches(ctx, server, ka)];
  const shutdown = shutdownMatches(ctx, server, regs, verdict());
  // Shutdown first: keep-alive lines then land between the server and the handler.
  return [...shutdown, ...keepAliveMatches(ctx, server, ka)];
}

export const transform: Transform<'code'> = {
  id: ID,
  kind: 'code',
  description: 'close HTTP servers on SIGTERM/SIGINT with a forced-exit timer, enable Nest shutdown hooks, and outlive the load balancer idle timeout',
  // Every rule here starts from a listen site (Nest's included).
  needles: ['listen'],
  rules,
  detect(ctx) {
    return match(ctx).map(toReport);
  },
  fix(ctx) {
    return applyMatches(ctx, readOnly(ctx.root, () => match(ctx)));
  },
};

export default jscodeshiftAdapter(transform);
