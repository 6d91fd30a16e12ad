// Does an HTTP listen wait for a dependency connect, and if so, how can the
// listen move ahead of it? A "gate" is the connect the listen waits for; a
// "move" says which statement (the unit) goes before which (the anchor) and
// which connects get wrapped in the retry helper. Shapes:
//   await      — `await connect(); ...; app.listen()` in one function body or
//                at the top level (main(), bootstrap(), an IIFE, a class start())
//   then       — `connect().then(() => app.listen())`
//   call site  — `await connectDB(); startServer();` where startServer listens
//   callback   — `client.connect(url, cb)`, `connection.once('open', cb)`,
//                `connect().then(startServer)`: manual
// Pure: reads the tree; listen-before-connect applies the move.
import type { ASTPath } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';
import { connectOfCall, DRIVER_LABEL, isCall, isMember, propertyName, refersTo, unwrap, type AstNode, type DependencyMatcher } from './connect-calls.js';
import type { HttpApp, ListenSite } from './startup-apps.js';
import { isRetryWrapped } from './startup-retry.js';
import {
  awaitsDirectly,
  crossesFunction,
  declaredNames,
  patternNames,
  referencedNames,
  siblingsBefore,
  statementLevels,
  targetNames,
  type Level,
} from './startup-tree.js';

/** A connect the listen waits for; `wrapped` when it already runs inside a retry helper. */
export interface AwaitedConnect {
  call: ASTPath;
  /** The call node as matched (paths are shared, and a wrap replaces the path's value). */
  node: AstNode;
  label: string;
  wrapped: boolean;
}

/** How the listen moves ahead of its connects. */
export interface Move {
  /** The statement list the unit moves into. */
  list: AstNode[];
  /** The first statement there that waits for a connect: the unit goes right before it. */
  anchor: AstNode;
  /** The statement that starts the server (or calls the function that does). */
  unit: AstNode;
  /** The unit and what travels with it (what it needs before, what uses the server after), in order. */
  hoist: AstNode[];
  /** Where the unit comes from: a statement list, or a `.then` callback's expression body. */
  from: { list: AstNode[] } | { arrow: AstNode };
  /** Connects to route through the retry helper. */
  connects: AwaitedConnect[];
  /** The unit is `return app.listen(...)`: the server is kept in a variable and returned where the unit was. */
  returns: boolean;
}

export interface StartupGate {
  /** The first connect the listen waits for. */
  connect: AwaitedConnect;
  move: Move | null;
  /** Set when the shape is recognised but not rewritten; starts with `manual: `. */
  manual: string | null;
}

type Ctx = Pick<CodeContext, 'j' | 'root'>;

const CHAIN_METHODS = new Set(['then', 'catch', 'finally']);
const PROMISE_COMBINATORS = new Set(['all', 'allSettled']);
const CONNECT_EVENTS = new Set(['open', 'connected', 'connect', 'ready']);
/** Fastify methods that add routes or plugins: they must all run before listen. */
const FASTIFY_SETUP = /^(register|route|get|post|put|patch|delete|head|options|all|addHook|decorate\w*|set\w+Handler|addSchema|addContentTypeParser)$/;

const MANUAL = {
  levels: 'manual: the listen waits for connects at several nesting levels; move it before the first connect by hand',
  fastify: 'manual: routes are registered on Fastify after the connect, and Fastify cannot add routes once it listens; register them before the connect, then listen first',
  needsConnection: 'manual: the listen uses a value that only exists after the connect; start the server without it, then connect',
  callbackValue: 'manual: the listen uses a value of the connect callback; start the server without it, then connect',
  notStatement: 'manual: the connect chain is not a statement of its own; listen before it by hand',
  exits: 'manual: the statement that listens also returns or jumps; move the listen before the connect by hand',
  nest: 'manual: NestJS connects in its modules; keep app.listen first in bootstrap(), connect in a provider with retry, and expose readiness with @nestjs/terminus',
};

function connectAt(deps: DependencyMatcher, call: ASTPath): AwaitedConnect | null {
  // connectOfCall: a helper reached through a whole-module require (`const connectDB = require('./db')`) counts too.
  const m = connectOfCall(deps, call);
  return m && { call, node: call.node as AstNode, label: DRIVER_LABEL[m.driver], wrapped: isRetryWrapped(call) };
}

/**
 * True when the call's value flows straight into `awaitNode`: through casts,
 * `.then/.catch/.finally`, `Promise.all([...])`, or a retry wrapper's arrow.
 */
function awaitedThrough(call: ASTPath, awaitNode: AstNode): boolean {
  let cur = call;
  while (cur.parent) {
    const parent = cur.parent as ASTPath;
    const node = parent.node as AstNode;
    if (node === awaitNode) return true;
    const grand = parent.parent?.node as AstNode | undefined;
    if (/^TS|^Parenthesized/.test(node.type)) cur = parent;
    else if (isMember(node) && node.object === cur.node && CHAIN_METHODS.has(propertyName(node) ?? '') && isCall(grand) && grand.callee === node) cur = parent.parent as ASTPath;
    else if (node.type === 'ArrayExpression' && isCall(grand) && isMember(grand.callee) && PROMISE_COMBINATORS.has(propertyName(grand.callee) ?? '')) cur = parent.parent as ASTPath;
    else if (node.type === 'ArrowFunctionExpression' && node.body === cur.node && isCall(grand) && grand.arguments.includes(node)) cur = parent.parent as ASTPath;
    else return false;
  }
  return false;
}

/** Connects a statement awaits at its own level (connects inside nested functions run later). */
export function awaitedConnects(ctx: Ctx, deps: DependencyMatcher, stmt: ASTPath): AwaitedConnect[] {
  const { j } = ctx;
  const out: AwaitedConnect[] = [];
  j(stmt)
    .find(j.AwaitExpression)
    .forEach((a) => {
      if (crossesFunction(a, stmt.node as AstNode)) return;
      j(a)
        .find(j.CallExpression)
        .forEach((c) => {
          const found = awaitedThrough(c, a.node as AstNode) ? connectAt(deps, c) : null;
          if (found) out.push(found);
        });
    });
  return out;
}

interface GatedLevel {
  level: Level;
  gates: { node: AstNode; connects: AwaitedConnect[] }[];
}

/** Each enclosing level of `from` whose earlier siblings await a connect. */
function gatedLevels(ctx: Ctx, deps: DependencyMatcher, levels: Level[]): GatedLevel[] {
  return levels
    .map((level) => ({
      level,
      gates: siblingsBefore(level)
        .map((p) => ({ node: p.node as AstNode, connects: awaitedConnects(ctx, deps, p) }))
        .filter((g) => g.connects.length > 0),
    }))
    .filter((l) => l.gates.length > 0);
}

/**
 * What travels with the unit: the statements of the section that declare
 * names it needs (transitively), and the statements right after it that use
 * the server it creates. Null when a needed statement waits itself.
 */
function travelling(ctx: Ctx, section: AstNode[], unit: AstNode, after: AstNode[]): { before: AstNode[]; followers: AstNode[] } | null {
  const { j } = ctx;
  const declaredIn = new Map<string, AstNode>();
  for (const s of section) for (const n of declaredNames(j, s)) declaredIn.set(n, s);
  const needed = new Set<AstNode>();
  const queue = [unit];
  while (queue.length) {
    for (const name of referencedNames(j, queue.pop()!)) {
      const decl = declaredIn.get(name);
      if (!decl || needed.has(decl)) continue;
      if (awaitsDirectly(j, decl)) return null;
      needed.add(decl);
      queue.push(decl);
    }
  }
  const targets = targetNames(j, unit);
  const followers: AstNode[] = [];
  for (const s of after) {
    const refs = referencedNames(j, s);
    const usesServer = [...targets].some((t) => refs.has(t));
    const usesSection = [...refs].some((r) => declaredIn.has(r) && !needed.has(declaredIn.get(r)!));
    if (!usesServer || usesSection || awaitsDirectly(j, s)) break;
    followers.push(s);
  }
  return { before: section.filter((s) => needed.has(s)), followers };
}

/** True when the section sets Fastify up (routes, plugins, hooks): that must stay before its listen. */
function setsUpFastify(ctx: Ctx, section: AstNode[], app: HttpApp): boolean {
  if (app.framework !== 'fastify' || !app.target) return false;
  const { j } = ctx;
  return section.some((s) =>
    j(s as never)
      .find(j.CallExpression)
      .some((p) => {
        const callee = unwrap(p.node.callee as AstNode);
        return isMember(callee) && FASTIFY_SETUP.test(propertyName(callee) ?? '') && j(callee.object as never).toSource() === app.target;
      }),
  );
}

/** `return app.listen(...)`: the unit hands the server back to its caller. */
function returnsListen(unit: AstNode): boolean {
  return unit.type === 'ReturnStatement' && !!unit.argument;
}

/** True when the statement returns, breaks or continues at its own level: moving it would skip what follows. */
function jumps(ctx: Ctx, unit: AstNode): boolean {
  const { j } = ctx;
  if (/^(Return|Break|Continue)Statement$/.test(unit.type)) return true;
  return (
    j(unit as never)
      .find(j.Statement)
      .filter((p) => /^(Return|Break|Continue)Statement$/.test(p.node.type) && !crossesFunction(p as ASTPath, unit))
      .size() > 0
  );
}

/** Await shape: statements before the listen's statement (or before the call that reaches it) await a connect. */
function awaitGate(ctx: Ctx, deps: DependencyMatcher, app: HttpApp, from: ASTPath): StartupGate | null {
  const gated = gatedLevels(ctx, deps, statementLevels(from).levels);
  if (gated.length === 0) return null;
  const { level, gates } = gated[gated.length - 1]!;
  const gate: StartupGate = { connect: gates[0]!.connects[0]!, move: null, manual: null };
  if (gated.length > 1) return { ...gate, manual: MANUAL.levels };
  const { list, index } = level;
  const anchor = gates[0]!.node;
  const section = list.slice(list.indexOf(anchor), index);
  if (setsUpFastify(ctx, section, app)) return { ...gate, manual: MANUAL.fastify };
  const unit = list[index]!;
  const moving = travelling(ctx, section, unit, list.slice(index + 1));
  if (!moving) return { ...gate, manual: MANUAL.needsConnection };
  const returns = returnsListen(unit);
  if (!returns && jumps(ctx, unit)) return { ...gate, manual: MANUAL.exits };
  const hoist = [...moving.before, unit, ...moving.followers];
  return { ...gate, move: { list, anchor, unit, hoist, from: { list }, connects: gates.flatMap((g) => g.connects), returns } };
}

/** The connects at the root of a `.then()` chain: `mongoose.connect(uri).then(...)`, `Promise.all([...]).then(...)`. */
function chainConnects(ctx: Ctx, deps: DependencyMatcher, thenCall: ASTPath): AwaitedConnect[] {
  let cur = thenCall.get('callee', 'object') as ASTPath;
  for (;;) {
    const node = unwrap(cur.node as AstNode);
    const callee = isCall(node) ? unwrap(node.callee) : null;
    if (!isMember(callee) || !CHAIN_METHODS.has(propertyName(callee) ?? '')) break;
    cur = cur.get('callee', 'object') as ASTPath;
  }
  const direct = connectAt(deps, cur);
  if (direct) return [direct];
  const callee = isCall(cur.node as AstNode) ? unwrap((cur.node as AstNode).callee) : null;
  if (!isMember(callee) || !PROMISE_COMBINATORS.has(propertyName(callee) ?? '')) return [];
  const elements = cur.get('arguments', 0, 'elements') as ASTPath;
  const out: AwaitedConnect[] = [];
  for (let i = 0; i < ((elements.value as unknown as unknown[] | null) ?? []).length; i++) {
    const found = connectAt(deps, elements.get(i) as ASTPath);
    if (found) out.push(found);
  }
  return out;
}

/** Callback shapes: `client.connect(url, cb)`, `mongoose.connection.once('open', cb)`. Always manual. */
function callbackGate(deps: DependencyMatcher, fn: ASTPath): StartupGate | null {
  const call = fn.parent as ASTPath | null;
  const node = call?.node as AstNode | undefined;
  if (!call || !isCall(node) || !node.arguments.includes(fn.node)) return null;
  let connect = connectAt(deps, call);
  const callee = unwrap(node.callee);
  if (!connect && isMember(callee) && ['on', 'once'].includes(propertyName(callee) ?? '') && CONNECT_EVENTS.has(node.arguments[0]?.value)) {
    const driver = deps.clientOf(callee.object, call);
    if (driver) connect = { call, node, label: DRIVER_LABEL[driver], wrapped: false };
  }
  return connect && { connect, move: null, manual: `manual: the server starts inside a ${connect.label} connect callback; listen first, then connect with retry` };
}

/** Then shape: the listen runs in the callback of a `.then()` on a connect. */
function thenGate(ctx: Ctx, deps: DependencyMatcher, fn: ASTPath, listen: ASTPath): StartupGate | null {
  const { j } = ctx;
  const thenCall = fn.parent as ASTPath | null;
  const t = thenCall?.node as AstNode | undefined;
  const callee = isCall(t) ? unwrap(t.callee) : null;
  if (!thenCall || !isCall(t) || t.arguments[0] !== fn.node || !isMember(callee) || propertyName(callee) !== 'then') return null;
  const connects = chainConnects(ctx, deps, thenCall);
  if (!connects.length) return null;
  const gate: StartupGate = { connect: connects[0]!, move: null, manual: null };
  const outerLevels = statementLevels(thenCall).levels;
  const chain = outerLevels[0];
  if (!chain || chain.path.node.type !== 'ExpressionStatement') return { ...gate, manual: MANUAL.notStatement };
  const gated = gatedLevels(ctx, deps, outerLevels);
  if (gated.some((g) => g.level !== chain)) return { ...gate, manual: MANUAL.levels };
  const anchor = gated[0]?.gates[0]?.node ?? chain.list[chain.index]!;
  const allConnects = [...(gated[0]?.gates.flatMap((g) => g.connects) ?? []), ...connects];
  const arrow = fn.node as AstNode;
  const params = new Set<string>();
  for (const p of arrow.params as AstNode[]) patternNames(j, p, params);
  let move: Move;
  if (arrow.body.type !== 'BlockStatement') {
    const unit = j.expressionStatement(arrow.body) as unknown as AstNode;
    move = { list: chain.list, anchor, unit, hoist: [unit], from: { arrow }, connects: allConnects, returns: false };
  } else {
    const inner = statementLevels(listen).levels.at(-1)!;
    const unit = inner.list[inner.index]!;
    const local = new Set(params);
    for (const s of inner.list.slice(0, inner.index)) for (const n of declaredNames(j, s)) local.add(n);
    if ([...referencedNames(j, unit)].some((n) => local.has(n))) return { ...gate, manual: MANUAL.callbackValue };
    const followers = (travelling(ctx, [], unit, inner.list.slice(inner.index + 1))?.followers ?? []).filter(
      (s) => ![...referencedNames(j, s)].some((n) => local.has(n)),
    );
    const returns = returnsListen(unit);
    if (!returns && jumps(ctx, unit)) return { ...gate, manual: MANUAL.exits };
    move = { list: chain.list, anchor, unit, hoist: [unit, ...followers], from: { list: inner.list }, connects: allConnects, returns };
  }
  if ([...referencedNames(j, move.unit)].some((n) => params.has(n))) return { ...gate, manual: MANUAL.callbackValue };
  const clash = [...declaredNames(j, move.unit)].find((n) => chain.path.scope?.lookup?.(n));
  if (clash) return { ...gate, manual: `manual: moving the listen out of the callback would redeclare \`${clash}\`; move it by hand` };
  return { ...gate, move };
}

function within(path: ASTPath, node: AstNode): boolean {
  for (let cur = path.parent as ASTPath | null; cur; cur = cur.parent as ASTPath | null) if (cur.node === node) return true;
  return false;
}

function functionName(fn: ASTPath): string | undefined {
  const node = fn.node as AstNode;
  const parent = fn.parent?.node as AstNode | undefined;
  return node.id?.name ?? (parent?.type === 'VariableDeclarator' ? parent.id?.name : undefined);
}

/** `connect().then(startServer)`: the listening function is handed to a connect chain by name. Manual. */
function passedToThen(ctx: Ctx, deps: DependencyMatcher, fn: ASTPath): StartupGate | null {
  const name = functionName(fn);
  if (!name) return null;
  for (const ref of ctx.root.find(ctx.j.Identifier, { name }).paths() as ASTPath[]) {
    const call = ref.parent as ASTPath | null;
    const node = call?.node as AstNode | undefined;
    const callee = isCall(node) ? unwrap(node.callee) : null;
    if (!call || !isCall(node) || node.arguments[0] !== ref.node || !isMember(callee) || propertyName(callee) !== 'then' || !refersTo(ref, name, fn)) continue;
    const [connect] = chainConnects(ctx, deps, call);
    if (connect) return { connect, move: null, manual: `manual: ${name}() is handed to .then() of a ${connect.label} connect; call it before the connect, then connect with retry` };
  }
  return null;
}

/** Call sites of a named function (`startServer()`), from which its listen is reached. */
function callSites(ctx: Ctx, fn: ASTPath): ASTPath[] {
  const node = fn.node as AstNode;
  const name = functionName(fn);
  if (!name) return [];
  return ctx.root
    .find(ctx.j.CallExpression)
    .filter((p) => {
      const callee = unwrap(p.node.callee as AstNode);
      return callee?.type === 'Identifier' && callee.name === name && !within(p, node) && refersTo(p, name, fn);
    })
    .paths() as ASTPath[];
}

/** How the listen of a site waits for a connect, or null when it listens first. */
export function gateOf(ctx: Ctx, deps: DependencyMatcher, site: ListenSite): StartupGate | null {
  const own = awaitGate(ctx, deps, site.app, site.path);
  const { fn } = statementLevels(site.path);
  let outer: StartupGate | null = null;
  if (fn) outer = callbackGate(deps, fn) ?? thenGate(ctx, deps, fn, site.path) ?? passedToThen(ctx, deps, fn);
  if (fn && !outer)
    for (const call of callSites(ctx, fn)) {
      outer = awaitGate(ctx, deps, site.app, call);
      if (outer) break;
    }
  const gate = own && outer ? { ...own, move: null, manual: MANUAL.levels } : (own ?? outer);
  if (gate && site.app.framework === 'nest') return { ...gate, move: null, manual: MANUAL.nest };
  return gate;
}
