// Which `.listen(...)` calls start an HTTP server, on which framework, and
// where that app's routes can be registered. Shared by listen-before-connect
// (to add /health and /ready) and liveness-checks-dependency (to find the
// liveness handler). Express, Fastify, Koa, node:http `createServer` and
// NestJS are recognised; a receiver named like a server whose origin is
// unknown is kept as 'unknown' so its startup order can still be checked.
import type { ASTPath } from 'jscodeshift';
import { codeFacts } from '../../../src/workspace/code-facts.js';
import { bindingKey, isCall, isMember, moduleMatcher, propertyName, requireSource, unwrap, type AstNode, type DependencyMatcher, type ModuleSource } from './connect-calls.js';

export type Framework = 'express' | 'fastify' | 'koa' | 'http' | 'nest' | 'unknown';

export interface HttpApp {
  framework: Framework;
  /** Source of the expression routes are registered on (`app`, `this.app`); null for a plain http handler. */
  target: string | null;
  /** The statement that creates the app in this file; routes go right after it. */
  creation: ASTPath | null;
  /** node:http: the request handler function, where /health is answered first. */
  handler: ASTPath | null;
  /** The relative module the app is built in, when it is imported. */
  module: string | null;
}

export interface ListenSite {
  path: ASTPath;
  app: HttpApp;
  line: number;
}

/** Liveness and readiness paths, as the inventory recognises them (src/workspace/code-facts.ts). */
export const HEALTH_ROUTE = /^\/[\w-]*(health|healthz|livez|liveness|ping)$/;
export const READY_ROUTE = /^\/[\w-]*(ready|readyz|readiness)$/;

const HTTP_MODULES = new Set(['http', 'node:http', 'https', 'node:https', 'http2', 'node:http2']);
const SERVER_NAME = /^(app|server|httpServer|httpsServer|fastify|koa|api)$/i;

type Origin = { framework: Framework; handler?: AstNode | null; delegate?: AstNode | null };

/** Recognises one module's HTTP apps; built over the module's dependency matcher (same imports and bindings). */
export class AppMatcher {
  constructor(private readonly deps: DependencyMatcher) {}

  /** Every `.listen(...)` that starts an HTTP server, in source order. */
  findListens(): ListenSite[] {
    const { j, root } = this.deps.src;
    const out: ListenSite[] = [];
    root.find(j.CallExpression).forEach((p) => {
      const callee = unwrap(p.node.callee as AstNode);
      if (!isMember(callee) || propertyName(callee) !== 'listen') return;
      const app = this.appOf(callee.object);
      if (app) out.push({ path: p, app, line: (p.node as AstNode).loc?.start.line ?? 1 });
    });
    return out;
  }

  /** What app an expression is: `app`, `this.app`, `http.createServer(app)`, an app imported from `./app`. */
  appOf(expr: AstNode, seen = new Set<string>()): HttpApp | null {
    const e = unwrap(expr);
    if (!e) return null;
    const key = bindingKey(e);
    if (key) {
      if (seen.has(key)) return null;
      seen.add(key);
      const imported = e.type === 'Identifier' ? this.deps.imports.get(e.name as string) : undefined;
      if (imported?.source.startsWith('.')) return this.importedApp(imported.source, imported.name);
      for (const { init, statement } of this.deps.inits.get(key) ?? []) {
        const origin = this.originOf(init);
        if (origin) return this.appFrom(origin, key, statement, seen);
      }
      return SERVER_NAME.test(key.replace(/^this\./, '')) ? { framework: 'unknown', target: null, creation: null, handler: null, module: null } : null;
    }
    const origin = this.originOf(e);
    return origin ? this.appFrom(origin, null, null, seen) : null;
  }

  /** Does the handler of a node:http server, or the app itself, come from an express/koa app? */
  private appFrom(origin: Origin, key: string | null, creation: ASTPath | null, seen: Set<string>): HttpApp | null {
    if (origin.framework !== 'http') return { framework: origin.framework, target: key, creation, handler: null, module: null };
    const delegate = unwrap(origin.delegate);
    if (delegate) {
      const app = this.appOf(delegate, seen);
      if (app && app.framework !== 'unknown') return app;
    }
    return { framework: 'http', target: null, creation, handler: this.handlerPath(origin.handler ?? null), module: null };
  }

  /** The framework an initialiser builds, or null. */
  originOf(init: AstNode | null | undefined): Origin | null {
    let e = unwrap(init);
    if (e?.type === 'AwaitExpression') e = unwrap(e.argument);
    if (!e) return null;
    if (e.type === 'NewExpression') return this.isImport(e.callee, ['koa'], ['default', '*']) ? { framework: 'koa' } : null;
    if (!isCall(e)) return null;
    const callee = unwrap(e.callee);
    if (this.isImport(callee, ['express'], ['default', '*']) || requireSource(callee) === 'express') return { framework: 'express' };
    if (this.isImport(callee, ['fastify'], ['default', '*', 'fastify', 'Fastify']) || requireSource(callee) === 'fastify') return { framework: 'fastify' };
    const createServer =
      (isMember(callee) &&
        propertyName(callee) === 'createServer' &&
        (this.isImport(callee.object, [...HTTP_MODULES], ['default', '*']) || HTTP_MODULES.has(requireSource(unwrap(callee.object)) ?? ''))) ||
      this.isImport(callee, [...HTTP_MODULES], ['createServer']);
    if (createServer) {
      const last = unwrap(e.arguments[e.arguments.length - 1]);
      const isFunction = !!last && /Function/.test(last.type);
      if (!last || last.type === 'ObjectExpression') return { framework: 'http', handler: null };
      // http.createServer(app) / http.createServer(app.callback())
      const delegate = isCall(last) && isMember(unwrap(last.callee)) && propertyName(unwrap(last.callee)!) === 'callback' ? unwrap(last.callee)!.object : last;
      return { framework: 'http', handler: isFunction || last.type === 'Identifier' ? last : null, delegate: isFunction ? null : delegate };
    }
    if (isMember(callee) && propertyName(callee) === 'create' && this.isImport(callee.object, ['@nestjs/core'], ['NestFactory'])) return { framework: 'nest' };
    return null;
  }

  /** The path of a request handler: an inline function, or a local function it names. */
  private handlerPath(handler: AstNode | null): ASTPath | null {
    if (!handler) return null;
    const { j, root } = this.deps.src;
    if (handler.type === 'Identifier') return this.deps.functionNamed(handler.name as string);
    const found = root.find(j.Function).filter((p) => p.node === handler);
    return found.size() ? (found.get() as ASTPath) : null;
  }

  private isImport(node: AstNode | null | undefined, sources: string[], names: string[]): boolean {
    const n = unwrap(node);
    if (n?.type !== 'Identifier') return false;
    const b = this.deps.imports.get(n.name as string);
    return !!b && sources.includes(b.source) && names.includes(b.name);
  }

  /** An app exported by another module of the workspace: its framework, routes belong there. */
  private importedApp(spec: string, name: string): HttpApp | null {
    const rel = this.deps.resolve(spec);
    const deps = rel ? moduleMatcher(this.deps.src.workspace, rel) : null;
    if (!rel || !deps) return null;
    const other = new AppMatcher(deps);
    const local = exportedLocal(deps.src, name);
    for (const { init } of (local ? deps.inits.get(local) : undefined) ?? []) {
      const origin = other.originOf(init);
      if (origin) return { framework: origin.framework, target: null, creation: null, handler: null, module: rel };
    }
    return null;
  }
}

/** The local binding behind an export name (ESM `export const`, `export default x`, CJS `module.exports = x`). */
function exportedLocal(src: ModuleSource, name: string): string | null {
  const { j, root } = src;
  let local: string | null = null;
  root.find(j.ExportNamedDeclaration).forEach((p) => {
    const decl = (p.node as AstNode).declaration as AstNode | null;
    for (const d of (decl?.declarations ?? []) as AstNode[]) if (d.id?.name === name) local = name;
    for (const s of ((p.node as AstNode).specifiers ?? []) as AstNode[]) if ((s.exported?.name ?? s.local?.name) === name) local = s.local.name as string;
  });
  if (name === 'default' || name === '*') {
    root.find(j.ExportDefaultDeclaration).forEach((p) => {
      const d = (p.node as AstNode).declaration as AstNode;
      if (d?.type === 'Identifier') local = d.name as string;
    });
    root.find(j.AssignmentExpression, { operator: '=' }).forEach((p) => {
      const left = p.node.left as AstNode;
      const right = unwrap(p.node.right as AstNode);
      if (isMember(left) && left.object?.name === 'module' && propertyName(left) === 'exports' && right?.type === 'Identifier') local = right.name as string;
    });
  }
  return local;
}

/** Liveness / readiness route paths the service already serves: this file, the app's module, the inventory. */
export function existingRoutes(src: ModuleSource, app: HttpApp, service: { health: string | null; ready: string | null } | null): { health: string | null; ready: string | null } {
  const facts = codeFacts(src.j, src.root);
  let health = facts.health ?? service?.health ?? null;
  let ready = facts.ready ?? service?.ready ?? null;
  if (app.module && (!health || !ready)) {
    const other = moduleMatcher(src.workspace, app.module)?.src;
    const more = other ? codeFacts(other.j, other.root) : null;
    health ??= more?.health ?? null;
    ready ??= more?.ready ?? null;
  }
  return { health, ready };
}

/** The function handling a liveness route: `app.get('/health', handler)` or `if (req.url === '/health') {...}`. */
export interface HealthHandler {
  route: string;
  /** The handler function or the `if` branch that answers the route. */
  body: ASTPath;
  line: number;
}

/** Liveness handlers of a module, as route registrations or request-url branches. */
export function findHealthHandlers(deps: DependencyMatcher): HealthHandler[] {
  const { j, root } = deps.src;
  const out: HealthHandler[] = [];
  root.find(j.CallExpression).forEach((p) => {
    const callee = unwrap(p.node.callee as AstNode);
    if (!isMember(callee) || !['get', 'all', 'head', 'use'].includes(propertyName(callee) ?? '')) return;
    const args = p.node.arguments as AstNode[];
    const route = args[0];
    if (typeof route?.value !== 'string' || !HEALTH_ROUTE.test(route.value) || args.length < 2) return;
    const last = unwrap(args[args.length - 1]);
    let body: ASTPath | null = null;
    if (last && /Function/.test(last.type)) body = p.get('arguments', args.length - 1) as ASTPath;
    else if (last?.type === 'Identifier') body = deps.functionNamed(last.name as string);
    if (body) out.push({ route: route.value, body, line: (p.node as AstNode).loc?.start.line ?? 1 });
  });
  root.find(j.IfStatement).forEach((p) => {
    const route = routeTested(p.node.test as AstNode);
    if (route) out.push({ route, body: p.get('consequent') as ASTPath, line: (p.node as AstNode).loc?.start.line ?? 1 });
  });
  return out;
}

/** `req.url === '/health'`, `ctx.path === '/healthz'` (possibly inside `&&`) → the route. */
function routeTested(test: AstNode | null): string | null {
  const t = unwrap(test);
  if (t?.type === 'LogicalExpression' && t.operator === '&&') return routeTested(t.left) ?? routeTested(t.right);
  if (t?.type !== 'BinaryExpression' || (t.operator !== '===' && t.operator !== '==')) return null;
  for (const side of [t.left, t.right] as AstNode[]) if (typeof side?.value === 'string' && HEALTH_ROUTE.test(side.value)) return side.value;
  return null;
}
