// port-from-env: an HTTP service must listen where the platform tells it to.
// ECS task definitions, Kubernetes and compose set PORT and route traffic to
// it; a literal `app.listen(3004)` ignores that, and a server bound to
// localhost is unreachable from outside its container. A port helper that
// throws at import when PORT is unset kills the process before it listens.
//
// One matcher feeds detect and fix:
// - every `X.listen(...)` of an express/koa/fastify/nest app or a node http
//   server: a literal port (inline or `const PORT = 3004`) becomes
//   `Number(process.env.PORT ?? 3004)`; a loopback host (inline, a constant,
//   or the fallback of `process.env.HOST || 'localhost'`) becomes '0.0.0.0'
//   where it is written; Fastify (and Nest on Fastify) named no host binds
//   localhost, so it gets `host: '0.0.0.0'`.
//   A listen that names no host on plain Node (express, koa, http, nest) is
//   correct: Node binds the unspecified address, every interface. It is never
//   reported on its own; '0.0.0.0' is only written into a call the port fix
//   rewrites anyway, the shape SPEC's fixed code names.
// - a module-level call to a port helper (same file, relative import or
//   workspace package) that throws when its env vars are unset gets a guard at
//   the call site, so an unset PORT falls back to the service's port instead of
//   crashing the import. The helper itself is left alone: other callers may
//   want it strict, and the guard keeps the fix inside the file it reports.
import type { ASTPath } from 'jscodeshift';
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import { applyMatches, toReport, type Match as BaseMatch } from './lib/matches.js';
import type { CodeContext, RuleMeta, Transform } from '../../src/engine/types.js';
import {
  atModuleLevel,
  bindingOf,
  envReadsIn,
  findListenSites,
  importOf,
  initOf,
  isFunction,
  isNumberLit,
  isStringLit,
  lineOf,
  parseModule,
  propName,
  readsEnv,
  resolveModule,
  unwrap,
  type ListenSite,
  type Node,
  type ParsedModule,
} from './lib/http-server.js';
import { literal, statements } from './lib/snippet.js';

const ID = 'port-from-env';
const ANY_HOST = '0.0.0.0';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);
/** Last-resort default when neither the call, the inventory nor the config knows the port. */
const FALLBACK_PORT = 3000;

const rules: Record<string, RuleMeta> = {
  'port-not-from-env': {
    id: 'port-not-from-env',
    severity: 'blocking',
    description: '`listen` on a literal port (`PORT` ignored) or on a loopback host (`127.0.0.1`, `localhost`, `::1`, or Fastify with no host)',
    rationale: 'The platform routes traffic to the PORT it sets, on the container interface; a literal port or a loopback bind never receives it. No host on plain Node is fine: it binds every interface.',
    fixedBy: ID,
  },
  'port-helper-throws-at-load': {
    id: 'port-helper-throws-at-load',
    severity: 'risky',
    description: 'module-level call to a helper that throws when the port env is unset',
    rationale: 'The throw happens while the module is imported, so the process exits before it can listen or log anything useful.',
    fixedBy: ID,
  },
};

type Match = BaseMatch<keyof typeof rules & string>;

// ---------------------------------------------------------------------------
// listen(...) sites

/** Where a listen call takes its port and host. */
interface ListenArgs {
  port: Node | undefined;
  host: Node | undefined;
  /** Fastify/http `listen({ port, host })`, inline or a `const` object; `at` is where it is written. */
  options: { node: Node; at: { holder: Node; key: string | number } } | null;
}

function isCallback(site: ListenSite, node: Node): boolean {
  if (isFunction(node)) return true;
  if (node?.type !== 'Identifier') return false;
  const b = bindingOf(site.path, node.name);
  return !!b && (b.node.type === 'FunctionDeclaration' || isFunction(b.node.init));
}

/** The object literal `listen(opts)` passes: inline, or a `const` declared in this file. */
function optionsOf(site: ListenSite, args: Node[]): ListenArgs['options'] {
  const first = args[0];
  if (first?.type === 'ObjectExpression') return { node: first, at: { holder: args, key: 0 } };
  if (first?.type !== 'Identifier') return null;
  const b = bindingOf(site.path, first.name);
  const init = b?.node.type === 'VariableDeclarator' && b.parent?.node.kind === 'const' ? b.node.init : null;
  return init?.type === 'ObjectExpression' ? { node: init, at: { holder: b!.node, key: 'init' } } : null;
}

function listenArgs(site: ListenSite): ListenArgs {
  const args = site.path.node.arguments as Node[];
  const options = optionsOf(site, args);
  if (options) {
    const prop = (key: string) => options.node.properties.find((p: Node) => (p.type === 'ObjectProperty' || p.type === 'Property') && (p.key.name ?? p.key.value) === key);
    return { port: prop('port')?.value, host: prop('host')?.value, options };
  }
  const first = args[0];
  if (!first || isCallback(site, first)) return { port: undefined, host: undefined, options: null };
  const second = args[1];
  const host = second && !isCallback(site, second) && !isNumberLit(second) ? second : undefined;
  return { port: first, host, options: null };
}

type PortState =
  | { state: 'literal'; value: number; target: 'arg' }
  | { state: 'literal'; value: number; target: 'const'; declarator: Node; name: string }
  | { state: 'env' }
  | { state: 'path' }
  | { state: 'other' };

function literalPort(node: Node): number | null {
  const n = unwrap(node);
  if (isNumberLit(n)) return n.value;
  if (isStringLit(n) && /^\d{1,5}$/.test(n.value)) return Number(n.value);
  return null;
}

/** Reads PORT here or through the constants it names (`const PORT = process.env.PORT || 3000`). */
function readsPort(ctx: CodeContext, at: ASTPath<Node>, node: Node, depth = 0): boolean {
  if (readsEnv(ctx.j, node, 'PORT')) return true;
  if (depth > 3) return false;
  const names: string[] = [];
  const n = unwrap(node);
  if (n?.type === 'Identifier') names.push(n.name);
  else ctx.j(n).find(ctx.j.Identifier).forEach((p) => void names.push(p.node.name));
  return names.some((name) => {
    const init = initOf(at, name);
    return !!init && readsPort(ctx, at, init, depth + 1);
  });
}

function portState(ctx: CodeContext, site: ListenSite, port: Node): PortState {
  const value = literalPort(port);
  if (value !== null) return { state: 'literal', value, target: 'arg' };
  const n = unwrap(port);
  if (isStringLit(n)) return { state: 'path' };
  if (n.type === 'Identifier') {
    const b = bindingOf(site.path, n.name);
    const init = b?.node.type === 'VariableDeclarator' ? b.node.init : null;
    const v = init ? literalPort(init) : null;
    if (v !== null) return { state: 'literal', value: v, target: 'const', declarator: b!.node, name: n.name };
  }
  return readsPort(ctx, site.path, port) ? { state: 'env' } : { state: 'other' };
}

/** Parses one expression; recast reprints it as written here. */
function expression(ctx: CodeContext, src: string): Node {
  return (statements(ctx, `const __value = ${src};`)[0] as Node).declarations[0].init;
}

function envPort(ctx: CodeContext, value: number): Node {
  return expression(ctx, `Number(process.env.PORT ?? ${literal(value)})`);
}

/** Sets `{ ..., key: value }` entries; a one-line object stays on one line. */
function setOptions(ctx: CodeContext, { node: options, at }: NonNullable<ListenArgs['options']>, values: Record<string, string>): void {
  const props = options.properties as Node[];
  const keyOf = (p: Node) => p.key?.name ?? p.key?.value;
  const oneLine = options.loc && options.loc.start.line === options.loc.end.line;
  if (!oneLine) {
    for (const [key, src] of Object.entries(values)) {
      const existing = props.find((p) => keyOf(p) === key);
      if (existing) existing.value = expression(ctx, src);
      else props.push(ctx.j.objectProperty(ctx.j.identifier(key), expression(ctx, src)));
    }
    return;
  }
  const parts = props.map((p) => (keyOf(p) in values ? `${keyOf(p)}: ${values[keyOf(p)]}` : ctx.j(p).toSource({ quote: 'single' })));
  for (const [key, src] of Object.entries(values)) if (!props.some((p) => keyOf(p) === key)) parts.push(`${key}: ${src}`);
  at.holder[at.key] = expression(ctx, `{ ${parts.join(', ')} }`);
}

/** Where a loopback host literal is written when it is not the listen argument itself. */
interface HostSite {
  /** The node that holds the literal, and the key it sits under. */
  holder: Node;
  key: string;
}

type HostState =
  /** No host on plain Node: the unspecified address, every interface. Correct. */
  | { state: 'default' }
  /** No host on a framework that then binds localhost (Fastify, Nest on Fastify). */
  | { state: 'loopback-default'; framework: string }
  /** A loopback host, `how` it is bound for messages; `site` is null when the argument (or option) is the literal itself. */
  | { state: 'loopback'; value: string; how: string; site: HostSite | null }
  | { state: 'other' };

const FASTIFY_ADAPTER = '@nestjs/platform-fastify';

/** Nest apps created with `new FastifyAdapter()` listen like Fastify: on localhost unless told otherwise. */
function nestOnFastify(ctx: CodeContext): boolean {
  return ctx.root.find(ctx.j.NewExpression).some((p) => {
    const callee = unwrap(p.node.callee);
    return callee?.type === 'Identifier' && importOf(ctx.j, ctx.root, callee.name)?.source === FASTIFY_ADAPTER;
  });
}

function loopbackLiteral(node: Node): string | null {
  const n = unwrap(node);
  return isStringLit(n) && LOOPBACK.has(n.value) ? n.value : null;
}

/**
 * The loopback address a host expression binds, followed through `const`
 * bindings (a `let` may be reassigned) and env fallbacks
 * (`process.env.HOST || 'localhost'`: nothing sets HOST in a container).
 */
function loopbackHost(ctx: CodeContext, at: ASTPath<Node>, node: Node, depth = 0): Extract<HostState, { state: 'loopback' }> | null {
  const n = unwrap(node);
  const value = loopbackLiteral(n);
  if (value !== null) return { state: 'loopback', value, how: `'${value}'`, site: null };
  if (n?.type === 'LogicalExpression' && (n.operator === '||' || n.operator === '??') && readsEnv(ctx.j, n.left)) {
    const fallback = loopbackLiteral(n.right);
    if (fallback === null) return null;
    const vars = envReadsIn(ctx.j, n.left).filter((r): r is string => typeof r === 'string');
    const unset = vars.length ? `when ${vars.join(' and ')} ${vars.length > 1 ? 'are' : 'is'} unset` : 'by default';
    return { state: 'loopback', value: fallback, how: `'${fallback}' ${unset}`, site: { holder: n, key: 'right' } };
  }
  if (n?.type !== 'Identifier' || depth > 3) return null;
  const b = bindingOf(at, n.name);
  if (b?.node.type !== 'VariableDeclarator' || b.parent?.node.kind !== 'const' || !b.node.init) return null;
  const inner = loopbackHost(ctx, b, b.node.init, depth + 1);
  if (!inner) return null;
  return { ...inner, how: inner.site ? `${n.name}, ${inner.how}` : `${n.name} = ${inner.how}`, site: inner.site ?? { holder: b.node, key: 'init' } };
}

/**
 * `portKnown`: the call passes its options, or a port it reads from a literal or
 * PORT. `fastify.listen(config.server)` may be an options object that names a
 * host: not knowing, it is left alone rather than reported.
 */
function hostState(ctx: CodeContext, site: ListenSite, host: Node | undefined, portKnown: boolean): HostState {
  if (host === undefined) {
    if (!portKnown) return { state: 'default' };
    if (site.kind === 'fastify') return { state: 'loopback-default', framework: 'Fastify' };
    if (site.kind === 'nest' && nestOnFastify(ctx)) return { state: 'loopback-default', framework: 'Nest on Fastify' };
    return { state: 'default' };
  }
  return loopbackHost(ctx, site.path, host) ?? { state: 'other' };
}

function listenMatch(ctx: CodeContext, site: ListenSite, siblings: number): Match | null {
  const { port, host, options } = listenArgs(site);
  const call = site.path.node;
  const line = site.line;
  if (port === undefined && !options) {
    return {
      rule: 'port-not-from-env',
      line,
      message: 'listen() is given no port, so it picks a random one',
      manual: 'listen() without a port binds a random one; pass Number(process.env.PORT ?? <port>)',
    };
  }
  const ps: PortState = port === undefined ? { state: 'other' } : portState(ctx, site, port);
  if (ps.state === 'path') return null; // a unix socket, not a TCP port
  const hs = hostState(ctx, site, host, !!options || ps.state === 'literal' || ps.state === 'env');
  const hostWrong = hs.state === 'loopback' || hs.state === 'loopback-default';
  if (ps.state !== 'literal' && !hostWrong) return null;

  const problems: string[] = [];
  if (ps.state === 'literal')
    problems.push(`takes ${ps.target === 'arg' ? 'the literal port ' : `${ps.name} = `}${ps.value}${ps.target === 'arg' ? '' : ', a literal'}, so the platform's PORT is ignored`);
  if (hs.state === 'loopback') problems.push(`binds ${hs.how}, unreachable from outside the container`);
  if (hs.state === 'loopback-default') problems.push(`names no host, so ${hs.framework} binds localhost, unreachable from outside the container`);
  // A missing host on plain Node is no defect, so it never moves the fix into
  // the call on its own; when the port fix rewrites the call anyway, the host
  // is named as SPEC's fixed code has it.
  const rewritesCall = ps.state === 'literal' && ps.target === 'arg';
  const addHost = hs.state === 'loopback-default' || (hs.state === 'default' && rewritesCall);
  const wanted = [ps.state === 'literal' ? `Number(process.env.PORT ?? ${ps.value})` : null, hostWrong || addHost ? `host '${ANY_HOST}'` : null].filter(Boolean);
  const callee = site.receiver ? `${site.receiver}.listen()` : 'listen()';

  if (ps.state === 'literal' && siblings > 1) {
    return {
      rule: 'port-not-from-env',
      line,
      message: `${callee} ${problems.join(' and ')}`,
      manual: `${callee} ${problems.join(' and ')}, but ${siblings} servers listen in this file and only one of them can take PORT; give the others their own variables`,
    };
  }
  return {
    rule: 'port-not-from-env',
    line,
    message: `${callee} ${problems.join(' and ')}: listen on ${wanted.join(', ')}`,
    apply() {
      const args = call.arguments as Node[];
      if (ps.state === 'literal' && ps.target === 'const') ps.declarator.init = envPort(ctx, ps.value);
      // A host written elsewhere (a constant, an env fallback) changes there, so every use of it agrees.
      if (hs.state === 'loopback' && hs.site) hs.site.holder[hs.site.key] = ctx.j.stringLiteral(ANY_HOST);
      const hostHere = addHost || (hs.state === 'loopback' && !hs.site);
      if (options) {
        const values: Record<string, string> = {};
        if (rewritesCall) values.port = `Number(process.env.PORT ?? ${literal(ps.value)})`;
        if (hostHere) values.host = literal(ANY_HOST);
        if (Object.keys(values).length) setOptions(ctx, options, values);
        return;
      }
      if (rewritesCall) args[0] = envPort(ctx, ps.value);
      if (addHost) args.splice(1, 0, ctx.j.stringLiteral(ANY_HOST));
      else if (hostHere) args[1] = ctx.j.stringLiteral(ANY_HOST);
    },
  };
}

// ---------------------------------------------------------------------------
// Port helpers that throw at import

interface Helper {
  fn: Node;
  file: string;
  throwLine: number;
  /** Env var names it reads; a number is the index of the parameter that names one. */
  reads: (string | number)[];
  /** Index of a `defaultPort`-like parameter, when it has one. */
  defaultParam: number | null;
}

function findFunction(ctx: CodeContext, mod: ParsedModule, name: string, depth = 0): { mod: ParsedModule; fn: Node } | null {
  const { j, root } = mod;
  let fn: Node = null;
  root.find(j.FunctionDeclaration, { id: { name } }).forEach((p) => void (fn ??= p.node));
  root.find(j.VariableDeclarator, { id: { type: 'Identifier', name } }).forEach((p) => {
    if (isFunction(p.node.init)) fn ??= p.node.init;
  });
  // CommonJS: exports.name = function () {}
  root.find(j.AssignmentExpression).forEach((p) => {
    const left = p.node.left as Node;
    if (propName(left) === name && isFunction(p.node.right)) fn ??= p.node.right;
  });
  if (fn) return { mod, fn };
  if (depth > 2) return null;
  // Re-exports: export * from './x', export { name } from './x'.
  const sources: string[] = [];
  root.find(j.ExportAllDeclaration).forEach((p) => void sources.push(String(p.node.source.value)));
  root.find(j.ExportNamedDeclaration).forEach((p) => {
    if (p.node.source && (p.node.specifiers ?? []).some((s: Node) => s.exported.name === name)) sources.push(String(p.node.source.value));
  });
  for (const src of sources) {
    const ref = resolveModule(ctx, mod.file, src);
    const next = ref && parseModule(ref);
    const hit = next && findFunction(ctx, next, name, depth + 1);
    if (hit) return hit;
  }
  return null;
}

/** `throw` statements of the function itself, not of functions nested in it. */
function ownThrows(j: ParsedModule['j'], fn: Node): Node[] {
  const out: Node[] = [];
  j(fn.body)
    .find(j.ThrowStatement)
    .forEach((p) => {
      for (let q: ASTPath<Node> | null = p.parent; q && q.node !== fn.body; q = q.parent) if (isFunction(q.node)) return;
      out.push(p.node);
    });
  return out;
}

/** The helper's contract, when it throws while its port env vars are unset. */
function analyseHelper(mod: ParsedModule, fn: Node): Helper | null {
  const { j } = mod;
  const throws = ownThrows(j, fn);
  if (!throws.length) return null;
  const params = (fn.params as Node[]).map((p) => (p.type === 'AssignmentPattern' ? p.left : p)).map((p) => (p.type === 'Identifier' ? p.name : null));
  const reads: (string | number)[] = [];
  for (const r of envReadsIn(j, fn.body)) {
    // Static reads count when they name a port (not NODE_ENV, LOG_LEVEL...); a
    // computed read names whatever its parameter receives.
    if (typeof r === 'string') {
      if (/PORT/i.test(r)) reads.push(r);
    } else reads.push(r.computed.type === 'Identifier' ? params.indexOf(r.computed.name) : -1);
  }
  if (!reads.length) return null;
  const defaultParam = params.findIndex((p) => !!p && /default|fallback/i.test(p));
  return { fn, file: mod.file, throwLine: lineOf(throws[0]), reads: [...new Set(reads)], defaultParam: defaultParam >= 0 ? defaultParam : null };
}

function helperOf(ctx: CodeContext, call: ASTPath<Node>): Helper | null {
  const callee = unwrap(call.node.callee);
  const self: ParsedModule = { file: ctx.path, text: ctx.text, j: ctx.j, root: ctx.root };
  let local: string | null = null;
  let member: string | null = null;
  if (callee.type === 'Identifier') local = callee.name;
  else if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') {
    local = callee.object.name;
    member = propName(callee);
  }
  if (!local) return null;
  const name = member ?? local;
  if (!/port/i.test(name)) return null;
  if (!member) {
    const b = bindingOf(call, local);
    const fn = b?.node.type === 'FunctionDeclaration' ? b.node : b?.node.type === 'VariableDeclarator' && isFunction(b.node.init) ? b.node.init : null;
    if (fn) return analyseHelper(self, fn);
  }
  const imp = importOf(ctx.j, ctx.root, local);
  if (!imp) return null;
  const ref = resolveModule(ctx, ctx.path, imp.source);
  const mod = ref && parseModule(ref);
  if (!mod) return null;
  const exported = member ?? (imp.imported === 'default' || imp.imported === '*' ? local : imp.imported);
  const hit = findFunction(ctx, mod, exported);
  return hit ? analyseHelper(hit.mod, hit.fn) : null;
}

/** A call already behind an env test (`A || PORT ? helper() : 3000`) or a try block. */
function guarded(ctx: CodeContext, call: ASTPath<Node>): boolean {
  for (let p: ASTPath<Node> | null = call; p?.parent; p = p.parent) {
    const parent = p.parent.node;
    if (parent.type === 'ConditionalExpression' && parent.consequent === p.node && readsEnv(ctx.j, parent.test)) return true;
    if (parent.type === 'TryStatement' && parent.block === p.node) return true;
    if (parent.type === 'Program') return false;
  }
  return false;
}

function defaultPortFor(ctx: CodeContext, call: Node, helper: Helper): number {
  const arg = helper.defaultParam !== null ? call.arguments[helper.defaultParam] : undefined;
  const fromCall = arg ? literalPort(arg) : null;
  const name = ctx.service?.name;
  return fromCall ?? ctx.service?.port ?? (name ? ctx.workspace.config.defaults.ports?.[name] : undefined) ?? FALLBACK_PORT;
}

function envAccess(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `process.env.${name}` : `process.env[${literal(name)}]`;
}

function helperMatches(ctx: CodeContext): Match[] {
  const { j, root } = ctx;
  const out: Match[] = [];
  root.find(j.CallExpression).forEach((call) => {
    const callee = unwrap(call.node.callee);
    const name = callee.type === 'Identifier' ? callee.name : propName(callee);
    if (!name || !/port/i.test(name) || !atModuleLevel(call) || guarded(ctx, call)) return;
    const helper = helperOf(ctx, call);
    if (!helper) return;
    const node = call.node;
    const calleeSrc = j(node.callee).toSource();
    const where = `${helper.file}:${helper.throwLine}`;
    const names = helper.reads.map((r) => (typeof r === 'number' ? (isStringLit(node.arguments[r]) ? node.arguments[r].value : null) : r));
    const line = lineOf(node);
    if (names.some((n) => n === null)) {
      out.push({
        rule: 'port-helper-throws-at-load',
        line,
        message: `${calleeSrc}() throws at import when its port env is unset (${where})`,
        manual: `${calleeSrc}() throws at import when its port env is unset (${where}) and shipshape cannot tell which variables it reads; call it inside startup or give it a default`,
      });
      return;
    }
    const vars = [...new Set(names as string[])];
    const fallback = defaultPortFor(ctx, node, helper);
    out.push({
      rule: 'port-helper-throws-at-load',
      line,
      message: `${calleeSrc}() runs when the module loads and throws (${where}) when ${vars.join(' and ')} ${vars.length > 1 ? 'are' : 'is'} unset: the process exits before it listens; fall back to port ${fallback}`,
      apply() {
        const cond = expression(ctx, `${vars.map(envAccess).join(' || ')} ? __call__ : ${literal(fallback)}`);
        cond.consequent = node;
        call.replace(cond);
      },
    });
  });
  return out;
}

// ---------------------------------------------------------------------------

function match(ctx: CodeContext): Match[] {
  const sites = findListenSites(ctx);
  const listens = sites
    .map((site) => listenMatch(ctx, site, sites.length))
    .filter((m): m is Match => m !== null);
  return [...listens, ...helperMatches(ctx)];
}

export const transform: Transform<'code'> = {
  id: ID,
  kind: 'code',
  description: "listen on PORT from the environment, on host '0.0.0.0', and never throw at import when PORT is unset",
  // A listen site, or a call to a port helper (`getPort()`, `config.port()`).
  needles: ['listen', /port\w*\s*\(/i],
  rules,
  detect(ctx) {
    return match(ctx).map(toReport);
  },
  fix(ctx) {
    return applyMatches(ctx, readOnly(ctx.root, () => match(ctx)));
  },
};

export default jscodeshiftAdapter(transform);
