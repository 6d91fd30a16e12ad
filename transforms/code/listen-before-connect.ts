// listen-before-connect: an HTTP service must bind its port before it connects
// to its database, cache or broker. When `listen` only runs after an awaited
// connect, a slow or absent dependency keeps the port closed: the platform's
// health check fails, the task is killed, and the crash loop hides the real
// cause. The fix moves the listen ahead of the connects, routes each connect
// through one retry helper (capped exponential backoff, never exits), answers
// /health at once and /ready with 503 until the connects are done.
//
// One matcher (`analyze`) feeds detect and fix. The startup shapes live in
// lib/startup-gates.ts (await in main()/bootstrap()/IIFE/class start()/top
// level, `.then()` chains, a listening function called after the connect);
// apps and routes in lib/startup-apps.ts (Express, Fastify, Koa, node:http,
// NestJS). NestJS and callback-style connects are reported `manual:`. The port
// expression is left as found: port-from-env owns it.
//
// A service may connect through another of its modules: a relatively imported
// or required helper counts as a connect where it is called; a module that
// connects as it is imported (`import './db'`) still needs /ready, but nothing
// in this file knows when it is done, so that finding is `manual:`.
//
// A route counts as served however it is registered, so a fix never adds a
// second /health beside one a library answers: existingRoutes reads the route
// facts of src/workspace/code-facts.ts (this file, the app's module, the
// inventory), which know framework calls, `req.url` tests, @godaddy/terminus
// `healthChecks` keys and NestJS controller decorators.
import type { ASTPath } from 'jscodeshift';
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import type { CodeContext, Report, Transform } from '../../src/engine/types.js';
import {
  connectingImports,
  dependencyMatcher,
  DRIVER_LABEL,
  findAllConnectCalls,
  isCall,
  unwrap,
  type AstNode,
  type ConnectingImport,
  type DependencyMatcher,
} from './lib/connect-calls.js';
import { insertAfterImports, lineOf, statements } from './lib/snippet.js';
import { AppMatcher, existingRoutes, HEALTH_ROUTE, type HttpApp, type ListenSite } from './lib/startup-apps.js';
import { awaitedConnects, gateOf, type Move, type StartupGate } from './lib/startup-gates.js';
import { ensureRetryHelper, retryHelperName, spacedStatements, wrapInRetry } from './lib/startup-retry.js';
import { freeName, isFunction, prepareProgramForInsert } from './lib/http-server.js';
import { removeAll, siblingsAfter, statementLevels } from './lib/startup-tree.js';

const LISTEN_RULE = 'listen-before-connect';
const HEALTH_RULE = 'missing-health-endpoint';
const READY_RULE = 'missing-ready-endpoint';

/** A place in a statement list, by node so that it survives other edits of the list. */
interface Slot {
  list: AstNode[];
  node: AstNode;
  /** Insert before `node` (else after). */
  before: boolean;
}

interface SitePlan {
  site: ListenSite;
  gate: StartupGate | null;
}

/** The routes one app lacks, and whether shipshape adds them. */
interface AppPlan {
  app: HttpApp;
  site: ListenSite;
  addHealth: boolean;
  addReady: boolean;
  /** Why shipshape will not add /health (the finding is then `manual:`), else null. */
  healthManual: string | null;
  /** Why shipshape will not add /ready, else null. */
  readyManual: string | null;
  /** Listen already first: `ready = true` goes after this statement (the last awaited connect). */
  readyAfter: Slot | null;
}

interface Analysis {
  sites: SitePlan[];
  apps: AppPlan[];
}

/** The last of these statements that awaits a connect. */
function lastAwaitingConnect(ctx: CodeContext, deps: DependencyMatcher, stmts: ASTPath[]): ASTPath | undefined {
  return stmts.filter((p) => awaitedConnects(ctx, deps, p).length > 0).at(-1);
}

/**
 * The listen is already first: `ready = true` goes after the last connect
 * awaited in the listen callback, or after the listen at the nearest level.
 */
function lastConnectAfterListen(ctx: CodeContext, deps: DependencyMatcher, site: ListenSite): Slot | null {
  const args = (site.path.node as AstNode).arguments as AstNode[];
  const callback = args.findIndex((a) => isFunction(a) && a.body.type === 'BlockStatement');
  if (callback !== -1) {
    const body = site.path.get('arguments', callback, 'body', 'body') as ASTPath;
    const list = body.value as unknown as AstNode[];
    const last = lastAwaitingConnect(ctx, deps, list.map((_, i) => body.get(i) as ASTPath));
    if (last) return { list, node: last.node as AstNode, before: false };
  }
  for (const level of statementLevels(site.path).levels) {
    const last = lastAwaitingConnect(ctx, deps, siblingsAfter(level));
    if (last) return { list: level.list, node: last.node as AstNode, before: false };
  }
  return null;
}

function appKey(app: HttpApp, site: ListenSite): unknown {
  return app.creation?.node ?? app.handler?.node ?? app.target ?? app.module ?? site.path.node;
}

/** Why no route can be added to this app at all, or null. */
function routesManual(app: HttpApp, gate: StartupGate | null): string | null {
  if (gate?.manual) return 'manual: the startup order cannot be rewritten here (see listen-before-connect); add /health and /ready once the server listens first';
  if (app.module) return `manual: the app is built in ${app.module}; register /health and /ready there, before any catch-all handler`;
  if (app.framework === 'http' && !requestParams(app)) return 'manual: cannot find the request handler of this server; answer /health (and /ready) at its top';
  if (app.framework !== 'http' && !app.target) return 'manual: the app is not kept in a variable, so there is nothing to register routes on; name it and add /health and /ready';
  return null;
}

/** How the file reaches its dependencies: connect calls of its own (helpers included), or only modules that connect as they load. */
interface Connects {
  calls: boolean;
  onImport: ConnectingImport | null;
}

function connectsOf(deps: DependencyMatcher): Connects {
  const calls = findAllConnectCalls(deps).length > 0;
  return { calls, onImport: calls ? null : (connectingImports(deps)[0] ?? null) };
}

/** Why the ready flag cannot be placed when the only connect happens inside an imported module as it loads. */
function onImportManual({ module, line, driver }: ConnectingImport): string {
  return `manual: ${module} (loaded by the import at line ${line}) connects to ${DRIVER_LABEL[driver]} as it loads, so nothing here knows when it is connected; export its connect promise or a ready flag from there and serve it on /ready`;
}

function planApp(ctx: CodeContext, deps: DependencyMatcher, { site, gate }: SitePlan, connects: Connects): AppPlan | null {
  const { app } = site;
  const routes = existingRoutes(ctx, app, ctx.service);
  const addHealth = !routes.health;
  const addReady = (connects.calls || !!connects.onImport) && !routes.ready;
  if (!addHealth && !addReady) return null;
  const manual = routesManual(app, gate);
  const plan: AppPlan = { app, site, addHealth, addReady, healthManual: manual, readyManual: manual, readyAfter: null };
  const moves = !!gate?.move && !ctx.suppressed(LISTEN_RULE, site.line);
  if (addReady && !manual && !moves) {
    plan.readyAfter = gate ? null : lastConnectAfterListen(ctx, deps, site);
    if (!plan.readyAfter)
      plan.readyManual = connects.onImport
        ? onImportManual(connects.onImport)
        : 'manual: cannot tell where the dependencies finish connecting; set a ready flag after the connects and serve it on /ready';
  }
  return plan;
}

function analyze(ctx: CodeContext): Analysis {
  const deps = dependencyMatcher(ctx);
  const listens = new AppMatcher(deps).findListens();
  if (listens.length === 0) return { sites: [], apps: [] };
  const sites = listens.map((site) => ({ site, gate: gateOf(ctx, deps, site) }));
  const connects = connectsOf(deps);
  const apps: AppPlan[] = [];
  const seen = new Set<unknown>();
  for (const s of sites) {
    // NestJS routes live in controllers; an unknown server's framework has no route API to call.
    if (s.site.app.framework === 'nest' || s.site.app.framework === 'unknown') continue;
    const key = appKey(s.site.app, s.site);
    if (seen.has(key)) continue;
    seen.add(key);
    const plan = planApp(ctx, deps, s, connects);
    if (plan) apps.push(plan);
  }
  return { sites, apps };
}

function describe(site: ListenSite, gate: StartupGate): string {
  const { label, call } = gate.connect;
  return `the HTTP server (line ${site.line}) only listens after awaiting the ${label} connect at line ${lineOf(call.node as AstNode)}: while ${label} is down the port stays closed, health checks fail and the task restarts in a loop; listen first, connect in the background with retry, report readiness on /ready`;
}

function detect(ctx: CodeContext): Report[] {
  const { sites, apps } = analyze(ctx);
  const reports: Report[] = [];
  for (const { site, gate } of sites) {
    if (!gate) continue;
    if (gate.manual) reports.push({ rule: LISTEN_RULE, line: site.line, message: `${gate.manual} (${describe(site, gate)})`, fixable: false });
    else reports.push({ rule: LISTEN_RULE, line: site.line, message: describe(site, gate) });
  }
  const finding = (rule: string, line: number, manual: string | null, message: string): Report =>
    manual ? { rule, line, message: manual, fixable: false } : { rule, line, message };
  for (const plan of apps) {
    const line = plan.site.line;
    if (plan.addHealth)
      reports.push(finding(HEALTH_RULE, line, plan.healthManual, 'the HTTP service has no liveness route, so the platform cannot tell a hung process from a live one; add /health answering 200 without touching dependencies'));
    if (plan.addReady)
      reports.push(finding(READY_RULE, line, plan.readyManual, 'the service connects to dependencies but has no readiness route, so traffic arrives before they are up; add /ready answering 503 until they are connected'));
  }
  return reports;
}

// ---------------------------------------------------------------- fix

function readyBody(ready: string): string {
  return ready === 'ready' ? '{ ready }' : `{ ready: ${ready} }`;
}

/** Route registrations in the app's own API. */
function routeSource(app: HttpApp, health: boolean, ready: string | null): string {
  const target = app.target!;
  if (app.framework === 'koa') {
    const branches = [
      health ? `  if (ctx.path === '/health') {\n    ctx.body = { status: 'ok' };\n    return;\n  }` : '',
      ready ? `  if (ctx.path === '/ready') {\n    ctx.status = ${ready} ? 200 : 503;\n    ctx.body = ${readyBody(ready)};\n    return;\n  }` : '',
    ];
    return `${target}.use(async (ctx, next) => {\n${branches.filter(Boolean).join('\n')}\n  await next();\n});`;
  }
  const routes =
    app.framework === 'fastify'
      ? [
          health ? `${target}.get('/health', async () => ({ status: 'ok' }));` : '',
          ready ? `${target}.get('/ready', async (_request, reply) => reply.code(${ready} ? 200 : 503).send(${readyBody(ready)}));` : '',
        ]
      : [
          health ? `${target}.get('/health', (_req, res) => {\n  res.status(200).json({ status: 'ok' });\n});` : '',
          ready ? `${target}.get('/ready', (_req, res) => {\n  res.status(${ready} ? 200 : 503).json(${readyBody(ready)});\n});` : '',
        ];
  return routes.filter(Boolean).join('\n\n');
}

/** `if (req.url === '/health') {...}` branches for the top of a node:http request handler. */
function handlerSource(req: string, res: string, health: boolean, ready: string | null): string {
  const answer = (status: string, body: string) => `  ${res}.writeHead(${status}, { 'content-type': 'application/json' });\n  ${res}.end(JSON.stringify(${body}));\n  return;`;
  return [
    health ? `if (${req}.url === '/health') {\n${answer('200', "{ status: 'ok' }")}\n}` : '',
    ready ? `if (${req}.url === '/ready') {\n${answer(`${ready} ? 200 : 503`, readyBody(ready))}\n}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The request and response parameter names of a node:http handler, when they are plain identifiers. */
function requestParams(app: HttpApp): [string, string] | null {
  const params = ((app.handler?.node as AstNode | undefined)?.params ?? []) as AstNode[];
  const [req, res] = params.map((p) => (p.type === 'Identifier' ? (p.name as string) : null));
  return req && res ? [req, res] : null;
}

/** Where an app's routes go: after its creation (or its existing liveness route), else before the listen. */
function routeSlot(plan: AppPlan, unit: Slot | null): Slot | null {
  const creation = plan.app.creation;
  const holder = creation?.parentPath as ASTPath | undefined;
  if (creation && holder && Array.isArray(holder.value)) {
    const list = holder.value as AstNode[];
    const from = list.indexOf(creation.node as AstNode);
    const health = list.slice(from + 1).find((s) => registersRoute(s, HEALTH_ROUTE));
    return { list, node: health ?? (creation.node as AstNode), before: false };
  }
  return unit;
}

function registersRoute(stmt: AstNode, route: RegExp): boolean {
  const e = stmt.type === 'ExpressionStatement' ? unwrap(stmt.expression as AstNode) : null;
  return isCall(e) && typeof e.arguments[0]?.value === 'string' && route.test(e.arguments[0].value as string);
}

function insertAt(slot: Slot, nodes: AstNode[]): void {
  const at = slot.list.indexOf(slot.node);
  slot.list.splice(slot.before ? at : at + 1, 0, ...nodes);
}

function addRoutes(ctx: CodeContext, plan: AppPlan, ready: string | null, unit: Slot | null): boolean {
  const health = plan.addHealth && !plan.healthManual && !ctx.suppressed(HEALTH_RULE, plan.site.line);
  if (!health && !ready) return false;
  if (plan.app.framework === 'http') {
    const [req, res] = requestParams(plan.app)!;
    const fn = plan.app.handler!.node as AstNode;
    const nodes = statements(ctx, `${handlerSource(req, res, health, ready)}\n`) as AstNode[];
    if (fn.body.type === 'BlockStatement') (fn.body.body as AstNode[]).unshift(...nodes);
    else fn.body = ctx.j.blockStatement([...nodes, ctx.j.expressionStatement(fn.body)] as never[]);
    return true;
  }
  const slot = routeSlot(plan, unit);
  if (!slot) return false;
  insertAt(slot, spacedStatements(ctx, routeSource(plan.app, health, ready)));
  return true;
}

/** `ready = true;` as a statement. */
function readyFlag(ctx: CodeContext, name: string): AstNode {
  return statements(ctx, `${name} = true;\n`)[0] as AstNode;
}

/** What earlier moves of the same file already did: connects wrapped, statements moved. */
interface Done {
  wrapped: Set<AstNode>;
  moved: Set<AstNode>;
}

/**
 * Moves the unit (and what travels with it) before the first connect, routes
 * the connects through the retry helper, and sets the readiness flag (when
 * there is one) where the unit was.
 */
function applyMove(ctx: CodeContext, move: Move, ready: string | null, helper: string, done: Done): Slot {
  for (const c of move.connects) {
    if (c.wrapped || done.wrapped.has(c.node)) continue;
    done.wrapped.add(c.node);
    wrapInRetry(ctx, c.call, c.label, helper);
  }
  let hoist = move.hoist.filter((s) => !done.moved.has(s));
  for (const s of hoist) done.moved.add(s);
  let unit = move.unit;
  const after: AstNode[] = ready ? [readyFlag(ctx, ready)] : [];
  if (move.returns) {
    // `return app.listen(...)` becomes `const server = app.listen(...)`, returned once connected.
    const name = freeName(ctx.j, ctx.root, 'server', ['httpServer']);
    unit = statements(ctx, `const ${name} = undefined;`)[0] as AstNode;
    unit.declarations[0].init = move.unit.argument;
    hoist = hoist.map((s) => (s === move.unit ? unit : s));
    after.push(statements(ctx, `return ${name};`)[0] as AstNode);
  }
  if ('arrow' in move.from) {
    // An expression-bodied callback keeps one line: `.then(() => (ready = true))`.
    move.from.arrow.body = ready ? (statements(ctx, `(${ready} = true);`)[0] as AstNode).expression : ctx.j.blockStatement([]);
  } else {
    const from = move.from.list;
    from.splice(from.indexOf(move.unit), 1, ...after);
    removeAll(from, new Set(move.hoist));
  }
  removeAll(move.list, new Set(hoist));
  insertAt({ list: move.list, node: move.anchor, before: true }, hoist);
  return { list: move.list, node: unit, before: true };
}

function fix(ctx: CodeContext): boolean {
  const { sites, apps } = readOnly(ctx.root, () => analyze(ctx));
  const program = ctx.root.find(ctx.j.Program).get().node as AstNode;
  const top = [...(program.body as AstNode[])];
  const moves = sites.filter((s) => s.gate?.move && !ctx.suppressed(LISTEN_RULE, s.site.line));
  const routed = apps.filter((a) => (a.addHealth && !a.healthManual) || (a.addReady && !a.readyManual));
  if (!moves.length && !routed.length) return false;
  const readyApps = routed.filter((a) => a.addReady && !a.readyManual && !ctx.suppressed(READY_RULE, a.site.line));
  const ready = readyApps.length ? freeName(ctx.j, ctx.root, 'ready', ['dependenciesReady']) : null;
  const helper = retryHelperName(ctx);
  const units = new Map<ListenSite, Slot>();
  const done: Done = { wrapped: new Set(), moved: new Set() };
  moves.forEach(({ site, gate }, i) => {
    // One `ready = true` per app: where its last gated listen was.
    const key = appKey(site.app, site);
    const last = !moves.slice(i + 1).some((m) => appKey(m.site.app, m.site) === key);
    const reportsReady = last && readyApps.some((a) => appKey(a.app, a.site) === key);
    units.set(site, applyMove(ctx, gate!.move!, reportsReady ? ready : null, helper, done));
  });
  for (const plan of readyApps) if (plan.readyAfter) insertAt(plan.readyAfter, [readyFlag(ctx, ready!)]);
  let changed = moves.length > 0;
  for (const plan of routed) {
    const unit = units.get(plan.site) ?? listenSlot(plan.site);
    changed = addRoutes(ctx, plan, readyApps.includes(plan) ? ready : null, unit) || changed;
  }
  if (moves.some((m) => m.gate!.move!.connects.some((c) => !c.wrapped))) ensureRetryHelper(ctx, helper);
  if (ready) insertAfterImports(ctx, spacedStatements(ctx, `// Flipped once every dependency has connected; /ready reports it.\nlet ${ready} = false;`) as never[]);
  // Recast misprints directives and `#!` of a program whose body changed; the shared fix-up makes them plain statements.
  const body = program.body as AstNode[];
  if (body.length !== top.length || body.some((s, i) => s !== top[i])) prepareProgramForInsert(ctx.j, ctx.root);
  return changed;
}

/** Before the statement that holds the listen: where routes go when the app's creation is not a statement. */
function listenSlot(site: ListenSite): Slot | null {
  const level = statementLevels(site.path).levels.at(-1);
  return level ? { list: level.list, node: level.list[level.index]!, before: true } : null;
}

export const transform: Transform<'code'> = {
  id: 'listen-before-connect',
  kind: 'code',
  description: 'listen first, connect dependencies in the background with retry, serve /health and /ready',
  // Every rule here is about a server's listen site.
  needles: ['listen'],
  rules: {
    [LISTEN_RULE]: {
      id: LISTEN_RULE,
      severity: 'blocking',
      description: 'HTTP `listen` only runs after awaiting a DB/cache/broker connect',
      rationale:
        'While the dependency is slow or down the port stays closed: the platform health check fails, the task is killed and restarted, and a short outage becomes a crash loop.',
      fixedBy: 'listen-before-connect',
    },
    [HEALTH_RULE]: {
      id: HEALTH_RULE,
      severity: 'risky',
      description: 'HTTP service with no liveness route',
      rationale: 'Without a liveness route the platform can only probe the port, or nothing, so a hung process keeps its traffic.',
      fixedBy: 'listen-before-connect',
    },
    [READY_RULE]: {
      id: READY_RULE,
      severity: 'info',
      description: 'no readiness route reflecting dependency state',
      rationale: 'Without a readiness route the load balancer sends requests before the database or broker is connected, and each of them fails.',
      fixedBy: 'listen-before-connect',
    },
  },
  detect,
  fix,
};

export default jscodeshiftAdapter(transform);
