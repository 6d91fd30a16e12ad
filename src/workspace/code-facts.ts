// What the inventory learns from one parsed code file: does it listen, does it
// consume Kafka, on which port, which routes, which env vars it requires.
// Routes count wherever the service registers them: a framework call
// (`app.get('/health')`), a `req.url ===` test, a library that serves them
// (@godaddy/terminus `healthChecks` keys) or a controller's decorators
// (NestJS `@Controller('health')` + `@Get()`).
// Pure: reads the tree, never changes it.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { ENV_READ, type Needles } from '../engine/prefilter.js';
import type { ServiceWiring } from '../engine/types.js';
import { mergeWiring, wiringFacts } from '../graph/code-wiring.js';

export interface CodeFacts {
  listens: boolean;
  consumesKafka: boolean;
  port: number | null;
  health: string | null;
  ready: string | null;
  prisma: boolean;
  /** Env vars read without a default and not merely tested. */
  requiredEnv: string[];
  /** Service URLs and Kafka topics, for the service graph (src/graph/code-wiring.ts). */
  wiring?: ServiceWiring;
  /**
   * The delay of the force-exit timer (`setTimeout(() => process.exit(..), N)`):
   * how long shutdown may take before the service gives up. The platform's
   * grace period (ECS stopTimeout, Kubernetes terminationGracePeriodSeconds)
   * must be longer, or the platform kills the service mid-drain.
   */
  shutdownTimeoutMs: number | null;
}

const HEALTH_ROUTE = /^\/[\w-]*(health|healthz|livez|liveness|ping)$/;
const READY_ROUTE = /^\/[\w-]*(ready|readyz|readiness)$/;
/** Env vars a program reads but never needs set. */
const OPTIONAL_ENV = new Set(['NODE_ENV', 'PORT', 'HOST', 'DOCKER', 'DEBUG', 'LOG_LEVEL', 'TZ', 'CI', 'HOSTNAME']);

/** `process.env.X` or `process.env['X']` → 'X'. */
export function envName(node: unknown): string | null {
  const n = node as { type?: string; object?: unknown; property?: { type: string; name?: string; value?: unknown }; computed?: boolean };
  if (n?.type !== 'MemberExpression' && n?.type !== 'OptionalMemberExpression') return null;
  const obj = n.object as { type?: string; object?: { type?: string; name?: string }; property?: { name?: string } };
  if (obj?.type !== 'MemberExpression' || obj.object?.type !== 'Identifier' || obj.object.name !== 'process' || obj.property?.name !== 'env') return null;
  const p = n.property;
  if (!p) return null;
  if (!n.computed && p.type === 'Identifier') return p.name ?? null;
  if (p.type === 'StringLiteral' || p.type === 'Literal') return typeof p.value === 'string' ? p.value : null;
  return null;
}

type Logical = { type: string; operator?: string; left?: unknown; right?: unknown };

const isFallback = (n: Logical | undefined): n is Logical => n?.type === 'LogicalExpression' && (n.operator === '||' || n.operator === '??');

/** The operands of a `a || b ?? c` chain, left to right. */
function chainLeaves(node: unknown): unknown[] {
  const n = node as Logical;
  return isFallback(n) ? [...chainLeaves(n.left), ...chainLeaves(n.right)] : [node];
}

/**
 * How an env read counts: 'optional' when it has a non-env default or is only
 * tested, 'required' when nothing stands behind it, 'alternative' when it is a
 * later name in a chain of env reads (`A || B || C` requires one: listed as A).
 */
function envReadStatus(path: ASTPath): 'optional' | 'required' | 'alternative' {
  let top: ASTPath = path;
  while (isFallback(top.parent?.node as Logical)) top = top.parent as ASTPath;
  if (top !== path) {
    const leaves = chainLeaves(top.node);
    if (envName(leaves[leaves.length - 1]) === null) return 'optional';
    return leaves[0] === path.node ? classifyUse(top) : 'alternative';
  }
  return classifyUse(path);
}

function classifyUse(path: ASTPath): 'optional' | 'required' {
  const parent = path.parent?.node as { type: string; test?: unknown };
  if (!parent) return 'required';
  if (parent.type === 'BinaryExpression' || parent.type === 'UnaryExpression' || parent.type === 'AssignmentPattern') return 'optional';
  if ((parent.type === 'IfStatement' || parent.type === 'ConditionalExpression') && parent.test === path.node) return 'optional';
  return 'required';
}

function literalPort(node: unknown): number | null {
  const n = node as { type?: string; value?: unknown; operator?: string; right?: unknown; arguments?: unknown[]; expression?: unknown };
  if (!n) return null;
  if ((n.type === 'NumericLiteral' || n.type === 'Literal') && typeof n.value === 'number') return n.value;
  if ((n.type === 'StringLiteral' || n.type === 'Literal') && typeof n.value === 'string' && /^\d{2,5}$/.test(n.value)) return Number(n.value);
  if (n.type === 'LogicalExpression') return literalPort(n.right);
  if (n.type === 'CallExpression' && n.arguments?.length) return literalPort(n.arguments[0]);
  if (n.type === 'TSAsExpression' || n.type === 'ParenthesizedExpression') return literalPort(n.expression);
  return null;
}

/** Records a route path when it is the first liveness or readiness route seen. */
function noteRoute(facts: CodeFacts, route: string): void {
  if (!facts.health && HEALTH_ROUTE.test(route)) facts.health = route;
  if (!facts.ready && READY_ROUTE.test(route)) facts.ready = route;
}

// Loose node shape for the library and decorator shapes below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = { type: string; [key: string]: any };

const TYPE_WRAPPERS = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSTypeAssertion', 'TSNonNullExpression', 'ParenthesizedExpression']);

/** The expression under TypeScript's type wrappers and parentheses (`x as T`, `x!`, `(x)`). */
export function bare(node: unknown): Node | null {
  let n = node as Node | null | undefined;
  while (n && TYPE_WRAPPERS.has(n.type)) n = n.expression as Node;
  return n ?? null;
}

/** A string literal's value (a template without expressions too), else null. */
export function stringOf(node: unknown): string | null {
  const n = bare(node);
  if ((n?.type === 'StringLiteral' || n?.type === 'Literal') && typeof n.value === 'string') return n.value;
  if (n?.type === 'TemplateLiteral' && n.expressions.length === 0) return (n.quasis[0]?.value?.cooked as string | undefined) ?? null;
  return null;
}

/** A property's key as written: `healthChecks`, `'/health'`; null when computed. */
function keyOf(prop: Node): string | null {
  if (prop.computed) return null;
  return prop.key?.type === 'Identifier' ? (prop.key.name as string) : stringOf(prop.key);
}

/** Variables initialised with an object literal, by name: options handed to a library by reference. */
function objectBindings(j: JSCodeshift, root: Collection): Map<string, Node> {
  const out = new Map<string, Node>();
  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as Node;
    const init = bare(p.node.init);
    if (id.type === 'Identifier' && init?.type === 'ObjectExpression') out.set(id.name as string, init);
  });
  return out;
}

/** The object literal an expression is, directly or through a variable that holds one. */
function objectOf(node: unknown, objects: Map<string, Node>): Node | null {
  const n = bare(node);
  if (n?.type === 'ObjectExpression') return n;
  return n?.type === 'Identifier' ? (objects.get(n.name as string) ?? null) : null;
}

/** @godaddy/terminus: `createTerminus(server, options)` (`terminus(...)` before v4). */
const TERMINUS = new Set(['createTerminus', 'terminus']);

/** The routes terminus serves: each key of `options.healthChecks` that is a path. */
function terminusRoutes(options: unknown, objects: Map<string, Node>): string[] {
  const props = (objectOf(options, objects)?.properties ?? []) as Node[];
  const checks = props.find((p) => p.type !== 'SpreadElement' && keyOf(p) === 'healthChecks');
  const routes = ((checks?.type !== 'ObjectMethod' && objectOf(checks?.value, objects)?.properties) || []) as Node[];
  return routes.flatMap((p) => {
    const key = p.type === 'SpreadElement' ? null : keyOf(p);
    return key?.startsWith('/') ? [key] : [];
  });
}

/** Class decorators that mount a controller at a path, and method decorators that answer GET on one. */
const CONTROLLER_DECORATORS = new Set(['Controller', 'JsonController']);
const GET_DECORATORS = new Set(['Get', 'All', 'Head']);

/** The paths a route decorator names: `('health')`, `()`, `(['health', 'healthz'])`, `({ path: 'health' })`; null when not literal. */
function decoratorPaths(decorator: Node): string[] | null {
  const call = bare(decorator.expression);
  if (call?.type !== 'CallExpression') return null;
  let arg = bare(call.arguments[0]);
  if (!arg) return [''];
  if (arg.type === 'ObjectExpression') {
    const path = (arg.properties as Node[]).find((p) => p.type !== 'SpreadElement' && keyOf(p) === 'path');
    if (!path) return [''];
    arg = bare(path.value);
  }
  const items = arg?.type === 'ArrayExpression' ? (arg.elements as unknown[]) : [arg];
  const paths = items.map(stringOf);
  return paths.every((s): s is string => s !== null) ? paths : null;
}

function decoratorName(decorator: Node): string | null {
  const call = bare(decorator.expression);
  const callee = call?.type === 'CallExpression' ? bare(call.callee) : null;
  return callee?.type === 'Identifier' ? (callee.name as string) : null;
}

/** Routes a controller class answers GET on: its mount path joined with each handler's (NestJS, routing-controllers). */
function controllerRoutes(cls: Node): string[] {
  const mount = ((cls.decorators ?? []) as Node[]).find((d) => CONTROLLER_DECORATORS.has(decoratorName(d) ?? ''));
  const prefixes = mount ? decoratorPaths(mount) : null;
  if (!prefixes) return [];
  const join = (...parts: string[]) => `/${parts.map((s) => s.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  return ((cls.body?.body ?? []) as Node[]).flatMap((member) =>
    ((member.decorators ?? []) as Node[])
      .filter((d) => GET_DECORATORS.has(decoratorName(d) ?? ''))
      .flatMap((d) => (decoratorPaths(d) ?? []).flatMap((path) => prefixes.map((prefix) => join(prefix, path)))),
  );
}

/**
 * Text without which codeFacts finds nothing (the prefilter for the
 * inventory): a listen or consumer call, a health/ready route, Prisma, an env
 * read, or a `requiredEnv`-style list.
 */
export const FACT_NEEDLES: Needles = [
  'listen',
  ['consumer', 'groupId'],
  // Route strings start with a slash (HEALTH_ROUTE, READY_ROUTE); terminus `healthChecks` keys do too.
  /\/[\w-]*(health|livez|liveness|ping|ready|readiness)/,
  // A controller decorator's path has none: `@Get('health')`, `@Controller('ready')`.
  [/@(?:Controller|JsonController|Get|All|Head)\s*\(/, /health|livez|liveness|ping|ready|readiness/],
  'prisma',
  'Prisma',
  ENV_READ,
  // The graph's topics: kafkajs `producer.send({ topic })`, `consumer.subscribe({ topics })`.
  ['topic', /\b(send|sendBatch|subscribe)\s*\(/],
  // `const requiredEnvVars = [...]`: one identifier naming both.
  /required[\w$]*env|env[\w$]*required/i,
  ['setTimeout', 'exit'],
];

export function codeFacts(j: JSCodeshift, root: Collection, file = ''): CodeFacts {
  const facts: CodeFacts = { listens: false, consumesKafka: false, port: null, health: null, ready: null, prisma: false, requiredEnv: [], shutdownTimeoutMs: null };
  const required = new Set<string>();
  const portVars = new Map<string, number>();
  const numbers = numericConsts(j, root);
  const objects = objectBindings(j, root);
  // Only the inventory (which names the file) draws the graph; other callers skip the walk.
  if (file) facts.wiring = wiringFacts(j, root, file);

  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as { type: string; name?: string };
    if (id.type !== 'Identifier' || !id.name || !/port/i.test(id.name)) return;
    const port = literalPort(p.node.init);
    if (port !== null) portVars.set(id.name, port);
  });

  root.find(j.CallExpression).forEach((p) => {
    const callee = p.node.callee as { type: string; property?: { name?: string }; name?: string };
    const name = callee.type === 'MemberExpression' ? callee.property?.name : callee.type === 'Identifier' ? callee.name : undefined;
    const args = p.node.arguments as unknown[];
    if (name === 'listen') {
      facts.listens = true;
      const first = args[0] as { type?: string; name?: string; properties?: { key?: { name?: string }; value?: unknown }[] } | undefined;
      let port = literalPort(first);
      if (port === null && first?.type === 'Identifier' && first.name) port = portVars.get(first.name) ?? null;
      if (port === null && first?.type === 'ObjectExpression') {
        const prop = first.properties?.find((pr) => pr.key?.name === 'port');
        port = literalPort(prop?.value);
      }
      if (port !== null && facts.port === null) facts.port = port;
    }
    if (name === 'setTimeout' && facts.shutdownTimeoutMs === null && args.length >= 2 && exitsProcess(j, p)) facts.shutdownTimeoutMs = numericValue(args[1], numbers);
    if (name === 'consumer') {
      const opts = args[0] as { type?: string; properties?: { key?: { name?: string } }[] } | undefined;
      if (opts?.type === 'ObjectExpression' && opts.properties?.some((pr) => pr.key?.name === 'groupId')) facts.consumesKafka = true;
    }
    const route = args[0] as { type?: string; value?: unknown } | undefined;
    if (name && ['get', 'all', 'route', 'head', 'use'].includes(name) && typeof route?.value === 'string') noteRoute(facts, route.value);
    if (name && TERMINUS.has(name)) for (const r of terminusRoutes(args[1], objects)) noteRoute(facts, r);
  });

  // http.createServer handlers compare req.url against the route.
  root.find(j.BinaryExpression).forEach((p) => {
    const sides = [p.node.left, p.node.right] as { type?: string; value?: unknown }[];
    for (const s of sides) if (typeof s.value === 'string') noteRoute(facts, s.value);
  });

  root.find(j.ClassDeclaration).forEach((p) => {
    for (const r of controllerRoutes(p.node as unknown as Node)) noteRoute(facts, r);
  });

  root.find(j.ImportDeclaration).forEach((p) => {
    if (p.node.source.value === '@prisma/client') facts.prisma = true;
  });
  root.find(j.Identifier, { name: 'PrismaClient' }).forEach(() => {
    facts.prisma = true;
  });

  root.find(j.MemberExpression).forEach((p) => {
    const name = envName(p.node);
    if (!name || OPTIONAL_ENV.has(name)) return;
    if (envReadStatus(p) === 'required') required.add(name);
  });

  // The audit's explicit list: const requiredEnvVars = ['DATABASE_URL', 'JWT_SECRET'].
  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as { type: string; name?: string };
    const init = p.node.init as { type?: string; elements?: { type?: string; value?: unknown }[] } | null;
    if (id.type === 'Identifier' && /required/i.test(id.name ?? '') && /env/i.test(id.name ?? '') && init?.type === 'ArrayExpression')
      for (const el of init.elements ?? []) if (typeof el?.value === 'string') required.add(el.value);
  });

  facts.requiredEnv = [...required].sort();
  return facts;
}

/** `const X = 8000` (and `8_000`) anywhere in the file: what a timer's delay may name. */
function numericConsts(j: JSCodeshift, root: Collection): Map<string, number> {
  const out = new Map<string, number>();
  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as { type: string; name?: string };
    const init = p.node.init as { type?: string; value?: unknown } | null;
    if (id.type === 'Identifier' && id.name && (init?.type === 'NumericLiteral' || init?.type === 'Literal') && typeof init.value === 'number') out.set(id.name, init.value);
  });
  return out;
}

/** A delay as written: `8000`, a const, `Number(process.env.X ?? 8000)`, `env.X || 8000`. */
function numericValue(node: unknown, consts: Map<string, number>): number | null {
  const n = node as { type?: string; value?: unknown; name?: string; operator?: string; right?: unknown; callee?: { name?: string }; arguments?: unknown[]; expression?: unknown };
  if ((n?.type === 'NumericLiteral' || n?.type === 'Literal') && typeof n.value === 'number') return n.value;
  if (n?.type === 'Identifier' && n.name) return consts.get(n.name) ?? null;
  if (n?.type === 'LogicalExpression' && (n.operator === '??' || n.operator === '||')) return numericValue(n.right, consts);
  if (n?.type === 'CallExpression' && (n.callee?.name === 'Number' || n.callee?.name === 'parseInt')) return numericValue(n.arguments?.[0], consts);
  if (n?.type === 'TSAsExpression' || n?.type === 'ParenthesizedExpression') return numericValue(n.expression, consts);
  return null;
}

/** The timer's callback ends the process: a force-exit timer, not any timeout. */
function exitsProcess(j: JSCodeshift, p: ASTPath): boolean {
  const callback = (p.node as { arguments: { type: string }[] }).arguments[0];
  if (callback?.type !== 'ArrowFunctionExpression' && callback?.type !== 'FunctionExpression') return false;
  return (
    j(p.get('arguments', 0) as ASTPath)
      .find(j.CallExpression)
      .filter((c) => {
        const callee = c.node.callee as { type: string; object?: { name?: string }; property?: { name?: string } };
        return callee.type === 'MemberExpression' && callee.object?.name === 'process' && callee.property?.name === 'exit';
      })
      .size() > 0
  );
}

export function mergeFacts(all: CodeFacts[]): CodeFacts {
  const out: CodeFacts = { listens: false, consumesKafka: false, port: null, health: null, ready: null, prisma: false, requiredEnv: [], shutdownTimeoutMs: null };
  const env = new Set<string>();
  for (const f of all) {
    out.listens ||= f.listens;
    out.consumesKafka ||= f.consumesKafka;
    out.port ??= f.port;
    out.health ??= f.health;
    out.ready ??= f.ready;
    out.prisma ||= f.prisma;
    out.shutdownTimeoutMs ??= f.shutdownTimeoutMs;
    f.requiredEnv.forEach((e) => env.add(e));
  }
  out.requiredEnv = [...env].sort();
  out.wiring = mergeWiring(all.flatMap((f) => (f.wiring ? [f.wiring] : [])));
  return out;
}
