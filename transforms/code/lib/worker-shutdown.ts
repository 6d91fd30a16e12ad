// What consumer-ref-shutdown needs to know about a worker: where each kafkajs
// consumer and producer is created and which binding holds it, what the
// SIGTERM path (the handler plus the local functions and methods it calls)
// already disconnects or closes, and which database clients the module can
// see. Read-only: nothing here changes the tree.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';
import { dependencyMatcher, moduleImports, type Driver } from './connect-calls.js';
import { lineOf, signalHandlers } from './snippet.js';
import {
  descendants,
  enclosingFunction,
  idName,
  isFunction,
  localFunctions,
  memberCall,
  moduleBindings,
  programBody,
  stringValue,
  unwrap,
  type AnyNode,
} from './worker-ast.js';

export type KafkaKind = 'consumer' | 'producer';

/** The binding a kafkajs client lives in, which decides how shutdown can reach it. */
export type Holder =
  /** A module-level binding: reachable as is. */
  | { type: 'module'; name: string; isLet: boolean }
  /** A module-level ref (or array of refs) set from a function: `consumerRef = consumer`. */
  | { type: 'ref'; name: string; array: boolean }
  /** A local of a function with no module-level ref yet. */
  | { type: 'local'; name: string; declaration: AnyNode; fn: AnyNode }
  /** A class field: shutdown goes through the module-level instance. */
  | { type: 'field'; cls: AnyNode; field: string; isPrivate: boolean }
  /** Anything else; `returned` when a factory hands it to its caller. */
  | { type: 'other'; returned: boolean };

export interface KafkaClient {
  kind: KafkaKind;
  call: AnyNode;
  line: number;
  holder: Holder;
}

/** The calls that stop a kafkajs client, and those that release a database client. */
const STOPS = new Set(['disconnect', 'stop']);
const CLOSES = new Set(['close', 'quit', 'end', 'disconnect', '$disconnect', 'destroy']);

/** How each driver's client is released. */
export const CLOSE_METHOD: Partial<Record<Driver, string>> = {
  mongodb: 'close',
  ioredis: 'quit',
  redis: 'quit',
  pg: 'end',
  prisma: '$disconnect',
  typeorm: 'destroy',
  sequelize: 'close',
};

/** Type names in annotations (`let redis: Redis | null`) that tell the driver when no initialiser does. */
const CLIENT_TYPES: Record<string, { source: string; driver: Driver }> = {
  MongoClient: { source: 'mongodb', driver: 'mongodb' },
  Redis: { source: 'ioredis', driver: 'ioredis' },
  Cluster: { source: 'ioredis', driver: 'ioredis' },
  Pool: { source: 'pg', driver: 'pg' },
  PrismaClient: { source: '@prisma/client', driver: 'prisma' },
  RedisClientType: { source: 'redis', driver: 'redis' },
  DataSource: { source: 'typeorm', driver: 'typeorm' },
  Sequelize: { source: 'sequelize', driver: 'sequelize' },
};

// ---------------------------------------------------------------------------
// kafkajs clients

function kafkaKind(call: AnyNode, isKafka: (n: AnyNode) => boolean): KafkaKind | null {
  const m = memberCall(call);
  if (!m || (m.property !== 'consumer' && m.property !== 'producer')) return null;
  if (isKafka(m.object)) return m.property;
  // Without a visible `new Kafka()`, a consumer is still recognisable by its groupId.
  const opts = unwrap(call.arguments[0]);
  const hasGroup = opts?.type === 'ObjectExpression' && opts.properties.some((p: AnyNode) => idName(p.key) === 'groupId' || stringValue(p.key) === 'groupId');
  return m.property === 'consumer' && hasGroup ? 'consumer' : null;
}

function enclosingClass(path: { parent: unknown }): AnyNode | null {
  for (let p = path.parent as { node: AnyNode; parent: unknown } | null; p; p = p.parent as typeof p)
    if (p.node.type === 'ClassDeclaration' || p.node.type === 'ClassExpression') return p.node;
  return null;
}

/** `ref = x` or `refs.push(x)` inside `fn`, with `ref` a module-level binding. */
function moduleRefOf(fn: AnyNode, local: string, module: Set<string>): { name: string; array: boolean } | null {
  for (const n of descendants(fn.body)) {
    if (n.type === 'AssignmentExpression' && idName(unwrap(n.right)) === local && idName(n.left) && module.has(n.left.name)) return { name: n.left.name, array: false };
    const m = memberCall(n);
    if (m?.property === 'push' && idName(m.object) && module.has(m.object.name) && n.arguments.some((a: AnyNode) => idName(unwrap(a)) === local))
      return { name: m.object.name, array: true };
  }
  return null;
}

function fieldIsPrivate(cls: AnyNode, field: string): boolean {
  return cls.body.body.some(
    (m: AnyNode) => (m.type === 'ClassProperty' || m.type === 'ClassPrivateProperty') && idName(m.key) === field && (m.accessibility === 'private' || m.accessibility === 'protected'),
  );
}

export function kafkaClients(ctx: CodeContext): KafkaClient[] {
  const { j, root } = ctx;
  const deps = dependencyMatcher(ctx);
  const module = moduleBindings(j, root);
  const moduleNames = new Set(module.keys());
  const isKafka = (n: AnyNode) => {
    const u = unwrap(n);
    if (u.type === 'NewExpression' && /(^|\.)Kafka$/.test(calleeName(u.callee))) return true;
    const key = idName(u) ?? (u.type === 'MemberExpression' && u.object.type === 'ThisExpression' ? idName(u.property) : null);
    return !!key && (deps.clientOf(u) === 'kafkajs' || /kafka/i.test(key));
  };
  const out: KafkaClient[] = [];
  root.find(j.CallExpression).forEach((path) => {
    const call = path.node as AnyNode;
    const kind = kafkaKind(call, isKafka);
    if (!kind) return;
    let p = path.parent;
    while (p && ['AwaitExpression', 'TSAsExpression', 'TSNonNullExpression', 'ParenthesizedExpression'].includes(p.node.type)) p = p.parent;
    const parent = p?.node as AnyNode;
    const fn = enclosingFunction(path);
    const returned = parent?.type === 'ReturnStatement' || (isFunction(parent) && parent.body === p!.node);
    let holder: Holder = { type: 'other', returned };
    const inLoop = insideLoop(path, fn);
    if (parent?.type === 'VariableDeclarator' && idName(parent.id) && !inLoop) {
      const name = parent.id.name as string;
      if (!fn) {
        if (module.has(name)) holder = { type: 'module', name, isLet: module.get(name)!.kind !== 'const' };
      } else {
        const ref = moduleRefOf(fn.node as AnyNode, name, moduleNames);
        holder = ref ? { type: 'ref', ...ref } : { type: 'local', name, declaration: p!.parent.node, fn: fn.node as AnyNode };
      }
    } else if (parent?.type === 'AssignmentExpression' && idName(parent.left) && !inLoop) {
      const name = parent.left.name as string;
      if (moduleNames.has(name)) holder = !fn ? { type: 'module', name, isLet: true } : { type: 'ref', name, array: false };
      else if (fn && p!.parent.node.type === 'ExpressionStatement') holder = { type: 'local', name, declaration: p!.parent.node, fn: fn.node as AnyNode };
    } else if (parent?.type === 'AssignmentExpression' && parent.left.type === 'MemberExpression' && parent.left.object.type === 'ThisExpression' && idName(parent.left.property)) {
      const cls = enclosingClass(path);
      if (cls) holder = { type: 'field', cls, field: parent.left.property.name, isPrivate: fieldIsPrivate(cls, parent.left.property.name) };
    } else if ((parent?.type === 'ClassProperty' || parent?.type === 'PropertyDefinition') && idName(parent.key)) {
      const cls = enclosingClass(p!);
      if (cls) holder = { type: 'field', cls, field: parent.key.name, isPrivate: parent.accessibility === 'private' || parent.accessibility === 'protected' };
    }
    out.push({ kind, call, line: lineOf(call), holder });
  });
  return out;
}

/** True when a loop sits between the call and its function (or the module): one binding, many clients. */
function insideLoop(path: ASTPath, fn: ASTPath | null): boolean {
  for (let p = path.parent as ASTPath | null; p && p !== fn; p = p.parent as ASTPath | null)
    if (/^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(p.node.type) || memberCall(p.node)?.property === 'forEach' || memberCall(p.node)?.property === 'map') return true;
  return false;
}

function calleeName(node: AnyNode): string {
  const n = unwrap(node);
  if (idName(n)) return n.name;
  if (n.type === 'MemberExpression' && idName(n.property)) return `${calleeName(n.object)}.${n.property.name}`;
  return '';
}

// ---------------------------------------------------------------------------
// the SIGTERM path

export interface ShutdownPath {
  /** The `process.on('SIGTERM', ...)` call and its top-level statement; null when there is none. */
  sigterm: AnyNode | null;
  statement: AnyNode | null;
  sigint: boolean;
  /** The function to extend: the handler, or the local function it delegates to. Null when out of reach. */
  target: AnyNode | null;
  /** Every function that runs on the way: handler, delegate, local helpers and instance methods they call. */
  scope: AnyNode[];
}

/** Local classes by name, and module-level instances `const worker = new Worker()` by binding name. */
export function moduleInstances(j: JSCodeshift, root: Collection): Map<string, AnyNode> {
  const classes = new Map<string, AnyNode>();
  for (const s of programBody(j, root)) {
    const d = s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' ? s.declaration : s;
    if (d?.type === 'ClassDeclaration' && d.id) classes.set(d.id.name, d);
  }
  const out = new Map<string, AnyNode>();
  for (const [name, b] of moduleBindings(j, root)) {
    const init = unwrap(b.declarator.init);
    const cls = init?.type === 'NewExpression' && idName(init.callee) ? classes.get(init.callee.name) : undefined;
    if (cls) out.set(name, cls);
  }
  return out;
}

export function classMethod(cls: AnyNode, name: string): AnyNode | null {
  return cls.body.body.find((m: AnyNode) => (m.type === 'ClassMethod' || m.type === 'ClassPrivateMethod') && idName(m.key) === name) ?? null;
}

/** A handler like `() => void shutdown('SIGTERM')` or `async () => { await shutdown(); }` delegates to `shutdown`. */
function delegateOf(handler: AnyNode, fns: Map<string, { node: AnyNode }>): AnyNode | null {
  const body = handler.body.type === 'BlockStatement' ? (handler.body.body.length === 1 ? handler.body.body[0] : null) : handler.body;
  let expr = body?.type === 'ExpressionStatement' ? body.expression : body;
  expr = unwrap(expr);
  while (expr && (expr.type === 'AwaitExpression' || (expr.type === 'UnaryExpression' && expr.operator === 'void'))) expr = unwrap(expr.argument);
  return expr?.type === 'CallExpression' && idName(expr.callee) ? (fns.get(expr.callee.name)?.node ?? null) : null;
}

export function shutdownPath(ctx: CodeContext): ShutdownPath {
  const { j, root } = ctx;
  const fns = localFunctions(j, root);
  const body = programBody(j, root);
  const statementOf = (node: AnyNode) => body.find((s) => descendants(s).includes(node)) ?? null;
  // ['SIGTERM', 'SIGINT'].forEach((s) => process.on(s, shutdown)) counts for both signals.
  const listed = new Set(root.find(j.ArrayExpression).nodes().flatMap((a) => (a.elements as AnyNode[]).map(stringValue).filter((v): v is string => !!v)));
  const dynamic = root
    .find(j.CallExpression)
    .filter((p) => {
      const m = memberCall(p.node);
      return !!m && idName(m.object) === 'process' && (m.property === 'on' || m.property === 'once') && !stringValue(p.node.arguments[0]);
    })
    .nodes()[0] as AnyNode | undefined;
  const term = (signalHandlers(j, root, 'SIGTERM').nodes()[0] as AnyNode | undefined) ?? (listed.has('SIGTERM') ? dynamic : undefined);
  const sigint = signalHandlers(j, root, 'SIGINT').size() > 0 || (!!dynamic && listed.has('SIGINT'));
  if (!term) return { sigterm: null, statement: null, sigint, target: null, scope: [] };

  const arg = unwrap(term.arguments[1]);
  const handler: AnyNode | null = isFunction(arg) ? arg : idName(arg) ? (fns.get(arg.name)?.node ?? null) : null;
  const delegate = handler && isFunction(arg) ? delegateOf(handler, fns) : null;
  const target = delegate ?? handler;

  const scope: AnyNode[] = [];
  const instances = moduleInstances(j, root);
  const queue = [handler, delegate].filter((n): n is AnyNode => !!n);
  while (queue.length) {
    const fn = queue.shift()!;
    if (scope.includes(fn)) continue;
    scope.push(fn);
    for (const n of descendants(fn.body, true)) {
      if (n.type !== 'CallExpression') continue;
      const local = idName(n.callee) ? fns.get(n.callee.name) : undefined;
      if (local) queue.push(local.node);
      const m = memberCall(n);
      const cls = m && idName(m.object) ? instances.get(m.object.name) : undefined;
      const method = cls ? classMethod(cls, m!.property) : null;
      if (method) queue.push(method);
    }
  }
  return { sigterm: term, statement: statementOf(term), sigint, target, scope };
}

/**
 * What the shutdown path releases, as keys: `name` for a binding, `this.field`
 * inside class methods (reported as `Class#field`), `inst.field`, and `refs`
 * for an array whose elements are disconnected in a loop or `.map`.
 */
export function releasedKeys(j: JSCodeshift, root: Collection, scope: AnyNode[]): Set<string> {
  const out = new Set<string>();
  const instances = moduleInstances(j, root);
  const classOfMethod = new Map<AnyNode, AnyNode>();
  for (const cls of instances.values()) for (const m of cls.body.body) classOfMethod.set(m, cls);
  for (const fn of scope) {
    const cls = classOfMethod.get(fn);
    for (const n of descendants(fn.body, true)) {
      const m = memberCall(n);
      if (m && (STOPS.has(m.property) || CLOSES.has(m.property))) {
        const obj = unwrap(m.object);
        if (idName(obj)) out.add(obj.name);
        else if (obj.type === 'MemberExpression' && idName(obj.property)) {
          if (obj.object.type === 'ThisExpression' && cls) out.add(`${cls.id.name}#${obj.property.name}`);
          else if (idName(obj.object)) out.add(`${obj.object.name}.${obj.property.name}`);
        }
      }
      // refs.map((c) => c.disconnect()), refs.forEach(...)
      if (m && (m.property === 'map' || m.property === 'forEach') && idName(m.object) && releases(n.arguments[0])) out.add(m.object.name);
      if (n.type === 'ForOfStatement' && idName(n.right) && releases(n.body)) out.add(n.right.name);
    }
  }
  return out;
}

function releases(node: AnyNode): boolean {
  return descendants(node, true).some((n) => {
    const m = memberCall(n);
    return !!m && (STOPS.has(m.property) || CLOSES.has(m.property));
  });
}

/** True when the path already arms a timer that exits the process. */
export function hasForceExit(scope: AnyNode[]): boolean {
  return scope.some((fn) =>
    descendants(fn.body, true).some((n) => n.type === 'CallExpression' && idName(n.callee) === 'setTimeout' && descendants(n.arguments[0], true).some((c) => memberCall(c)?.property === 'exit')),
  );
}

export function hasExit(scope: AnyNode[]): boolean {
  return scope.some((fn) => descendants(fn.body, true).some((n) => memberCall(n)?.property === 'exit' && idName(memberCall(n)!.object) === 'process'));
}

// ---------------------------------------------------------------------------
// database clients

export interface DbClient {
  /** `mongoClient`, or `mongoose` for the default connection. */
  name: string;
  method: string;
  /** A `let` may still be unset when SIGTERM arrives: it is closed with `?.`. */
  optional: boolean;
}

function annotatedDriver(declarator: AnyNode, imports: Map<string, string>): Driver | null {
  for (const n of descendants(declarator.id.typeAnnotation)) {
    if (n.type !== 'TSTypeReference' || !idName(n.typeName)) continue;
    const known = CLIENT_TYPES[n.typeName.name];
    if (known && imports.get(n.typeName.name) === known.source) return known.driver;
  }
  return null;
}

/** Module-level database clients, by what made them (`new MongoClient()`, `createClient()`) or their type annotation. */
export function databaseClients(ctx: CodeContext): DbClient[] {
  const { j, root } = ctx;
  const deps = dependencyMatcher(ctx);
  const imports = new Map([...moduleImports(j, root)].map(([local, b]) => [local, b.source]));
  const out: DbClient[] = [];
  for (const [name, b] of moduleBindings(j, root)) {
    let driver = annotatedDriver(b.declarator, imports);
    if (!driver)
      for (const { init } of deps.inits.get(name) ?? []) {
        const v = unwrap(init);
        const made = v.type === 'AwaitExpression' ? unwrap(v.argument) : v;
        // Only what constructs a client: `client.db()` is a handle on the same connection.
        const constructs = made.type === 'NewExpression' || (made.type === 'CallExpression' && /^create(Client|Cluster)$/.test(memberCall(made)?.property ?? idName(made.callee) ?? ''));
        const kind = constructs ? deps.clientOf(made) : null;
        if (kind && kind !== 'kafkajs') driver = kind;
        if (driver) break;
      }
    const method = driver ? CLOSE_METHOD[driver] : undefined;
    if (method) out.push({ name, method, optional: b.kind !== 'const' });
  }
  const mongoose = [...imports].find(([, source]) => source === 'mongoose')?.[0];
  const connects = mongoose && root.find(j.CallExpression).some((p) => memberCall(p.node)?.property === 'connect' && idName(memberCall(p.node)!.object) === mongoose);
  if (mongoose && connects) out.push({ name: mongoose, method: 'disconnect', optional: false });
  return out;
}
