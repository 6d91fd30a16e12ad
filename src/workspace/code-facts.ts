// What the inventory learns from one parsed code file: does it listen, does it
// consume Kafka, on which port, which routes, which env vars it requires.
// Pure: reads the tree, never changes it.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { ENV_READ, type Needles } from '../engine/prefilter.js';

export interface CodeFacts {
  listens: boolean;
  consumesKafka: boolean;
  port: number | null;
  health: string | null;
  ready: string | null;
  prisma: boolean;
  /** Env vars read without a default and not merely tested. */
  requiredEnv: string[];
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

/**
 * Text without which codeFacts finds nothing (the prefilter for the
 * inventory): a listen or consumer call, a health/ready route, Prisma, an env
 * read, or a `requiredEnv`-style list.
 */
export const FACT_NEEDLES: Needles = [
  'listen',
  ['consumer', 'groupId'],
  // Route strings start with a slash (HEALTH_ROUTE, READY_ROUTE).
  /\/[\w-]*(health|livez|liveness|ping|ready|readiness)/,
  'prisma',
  'Prisma',
  ENV_READ,
  // `const requiredEnvVars = [...]`: one identifier naming both.
  /required[\w$]*env|env[\w$]*required/i,
];

export function codeFacts(j: JSCodeshift, root: Collection): CodeFacts {
  const facts: CodeFacts = { listens: false, consumesKafka: false, port: null, health: null, ready: null, prisma: false, requiredEnv: [] };
  const required = new Set<string>();
  const portVars = new Map<string, number>();

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
    if (name === 'consumer') {
      const opts = args[0] as { type?: string; properties?: { key?: { name?: string } }[] } | undefined;
      if (opts?.type === 'ObjectExpression' && opts.properties?.some((pr) => pr.key?.name === 'groupId')) facts.consumesKafka = true;
    }
    const route = args[0] as { type?: string; value?: unknown } | undefined;
    if (name && ['get', 'all', 'route', 'head', 'use'].includes(name) && typeof route?.value === 'string') {
      if (!facts.health && HEALTH_ROUTE.test(route.value)) facts.health = route.value;
      if (!facts.ready && READY_ROUTE.test(route.value)) facts.ready = route.value;
    }
  });

  // http.createServer handlers compare req.url against the route.
  root.find(j.BinaryExpression).forEach((p) => {
    const sides = [p.node.left, p.node.right] as { type?: string; value?: unknown }[];
    for (const s of sides) {
      if (typeof s.value !== 'string') continue;
      if (!facts.health && HEALTH_ROUTE.test(s.value)) facts.health = s.value;
      if (!facts.ready && READY_ROUTE.test(s.value)) facts.ready = s.value;
    }
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

export function mergeFacts(all: CodeFacts[]): CodeFacts {
  const out: CodeFacts = { listens: false, consumesKafka: false, port: null, health: null, ready: null, prisma: false, requiredEnv: [] };
  const env = new Set<string>();
  for (const f of all) {
    out.listens ||= f.listens;
    out.consumesKafka ||= f.consumesKafka;
    out.port ??= f.port;
    out.health ??= f.health;
    out.ready ??= f.ready;
    out.prisma ||= f.prisma;
    f.requiredEnv.forEach((e) => env.add(e));
  }
  out.requiredEnv = [...env].sort();
  return out;
}
