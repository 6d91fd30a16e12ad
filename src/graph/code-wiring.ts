// What one code file says about its neighbours, for the service graph: the
// env vars that hold another service's address (`*_URL`, `*_URI`, `*_HOST`)
// with the literal the code falls back to, whether the process calls that
// address over HTTP while it starts, and the Kafka topics it produces to and
// subscribes to. Read from the tree the package task already parsed (the
// inventory's facts call this); pure, never changes the tree.
//
// "While it starts" is followed within the file only: a call at module level,
// inside an immediately invoked function, or inside a function of this file
// that the module level calls (`main()`, `main().catch(…)`, `await start()`),
// transitively. A call inside a callback (a route handler, `eachMessage`, a
// timer) runs later and does not count.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type { ServiceWiring, TopicUse, UrlRead } from '../engine/types.js';
import { bare, envName, stringOf } from '../workspace/code-facts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = { type: string; loc?: { start: { line: number } } | null; [key: string]: any };

/** Env vars that name another service's address. */
export const URL_ENV = /_(URL|URI|HOST)$/;

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);
/** Keys that hold positions or comments, not child nodes. */
const SKIP_KEYS = new Set(['loc', 'start', 'end', 'range', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'extra', 'tokens', 'original', 'typeAnnotation', 'returnType', 'typeParameters']);

/** HTTP clients called as a function (`fetch(url)`) or through a method (`axios.get(url)`). */
const HTTP_FUNCTIONS = new Set(['fetch', 'axios', 'got', 'ky', 'request', 'superagent', 'needle']);
const HTTP_OBJECTS = new Set(['axios', 'got', 'ky', 'http', 'https', 'superagent', 'needle', 'undici', 'globalThis']);
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request', 'fetch']);
/** Where an options object names the address: `axios({ url })`, `http.get({ host })`. */
const URL_KEYS = new Set(['url', 'baseURL', 'host', 'hostname', 'uri']);

function lineOf(node: Node | null | undefined): number {
  return node?.loc?.start.line ?? 1;
}

function keyOf(prop: Node): string | null {
  if (prop.computed || (prop.type !== 'ObjectProperty' && prop.type !== 'Property')) return null;
  return prop.key?.type === 'Identifier' ? (prop.key.name as string) : stringOf(prop.key);
}

function propOf(obj: Node | null, key: string): Node | null {
  if (obj?.type !== 'ObjectExpression') return null;
  return ((obj.properties ?? []) as Node[]).find((p) => keyOf(p) === key) ?? null;
}

/** The child nodes of a node, in source order. */
function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key)) continue;
    const v = node[key] as unknown;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof (c as Node).type === 'string') out.push(c as Node);
    } else if (v && typeof v === 'object' && typeof (v as Node).type === 'string') out.push(v as Node);
  }
  return out;
}

/** Every node below `node` (itself included), into nested functions too. */
function* all(node: Node): Generator<Node> {
  yield node;
  for (const c of children(node)) yield* all(c);
}

type Logical = { type: string; operator?: string; left?: unknown; right?: unknown };
const isFallback = (n: Logical | undefined): n is Logical => n?.type === 'LogicalExpression' && (n.operator === '||' || n.operator === '??');

function chainLeaves(node: unknown): unknown[] {
  const n = node as Logical;
  return isFallback(n) ? [...chainLeaves(n.left), ...chainLeaves(n.right)] : [node];
}

/** The file's view of its own names: variables by name and module-level functions by name. */
class Scope {
  readonly inits = new Map<string, Node>();
  readonly functions = new Map<string, Node>();
  private readonly envCache = new Map<Node, Set<string>>();

  constructor(j: JSCodeshift, root: Collection) {
    root.find(j.VariableDeclarator).forEach((p) => {
      const id = p.node.id as Node;
      const init = bare(p.node.init);
      if (id.type !== 'Identifier' || !init) return;
      // The first binding of a name wins: module-level constants come before shadowing locals in most files.
      if (!this.inits.has(id.name as string)) this.inits.set(id.name as string, init);
      if (FUNCTIONS.has(init.type) && !this.functions.has(id.name as string)) this.functions.set(id.name as string, init);
    });
    root.find(j.FunctionDeclaration).forEach((p) => {
      const id = p.node.id as Node | null;
      if (id?.name && !this.functions.has(id.name as string)) this.functions.set(id.name as string, p.node as unknown as Node);
    });
  }

  /** The env vars an expression reads: directly, through a variable, or through a function of this file it calls. */
  envsOf(node: Node, depth = 0): Set<string> {
    const cached = this.envCache.get(node);
    if (cached) return cached;
    const out = new Set<string>();
    this.envCache.set(node, out);
    if (depth > 4) return out;
    for (const n of all(node)) {
      const name = envName(n);
      if (name) out.add(name);
      else if (n.type === 'Identifier') {
        const init = this.inits.get(n.name as string);
        if (init && init !== node && !FUNCTIONS.has(init.type)) for (const e of this.envsOf(init, depth + 1)) out.add(e);
      } else if (n.type === 'CallExpression' && bare(n.callee)?.type === 'Identifier') {
        const fn = this.functions.get(bare(n.callee)!.name as string);
        if (fn && fn !== node) for (const e of this.envsOf(fn.body as Node, depth + 1)) out.add(e);
      }
    }
    return out;
  }

  /** The string values an expression stands for: a literal, a list, a constant, an object constant's key, a fallback. */
  strings(node: unknown, depth = 0): { value: string; pattern: boolean }[] {
    const n = bare(node);
    if (!n || depth > 4) return [];
    const s = stringOf(n);
    if (s !== null) return [{ value: s, pattern: false }];
    switch (n.type) {
      case 'RegExpLiteral':
        return [{ value: n.pattern as string, pattern: true }];
      case 'Literal':
        return n.regex ? [{ value: n.regex.pattern as string, pattern: true }] : [];
      case 'ArrayExpression':
        return (n.elements as unknown[]).flatMap((e) => this.strings(e, depth + 1));
      case 'Identifier': {
        const init = this.inits.get(n.name as string);
        return init ? this.strings(init, depth + 1) : [];
      }
      case 'MemberExpression': {
        const obj = bare(n.object);
        const key = n.computed ? stringOf(n.property) : (n.property?.name as string | undefined);
        const target = obj?.type === 'Identifier' ? this.inits.get(obj.name as string) : null;
        const prop = key && target ? propOf(target, key) : null;
        return prop ? this.strings(prop.value, depth + 1) : [];
      }
      case 'LogicalExpression':
        // `process.env.TOPIC || 'orders'`: the literal is the topic unless deployment overrides it.
        return isFallback(n) ? this.strings(n.right, depth + 1) : [];
      default:
        return [];
    }
  }
}

function isHttpCall(call: Node): boolean {
  const callee = bare(call.callee);
  if (callee?.type === 'Identifier') return HTTP_FUNCTIONS.has(callee.name as string);
  if (callee?.type !== 'MemberExpression' || callee.computed) return false;
  const obj = bare(callee.object);
  return obj?.type === 'Identifier' && HTTP_OBJECTS.has(obj.name as string) && HTTP_METHODS.has(callee.property?.name as string);
}

/** The expression that holds the address an HTTP call goes to. */
function addressOf(call: Node): Node | null {
  const first = bare(call.arguments?.[0]);
  if (first?.type !== 'ObjectExpression') return first;
  const props = ((first.properties ?? []) as Node[]).filter((p) => URL_KEYS.has(keyOf(p) ?? ''));
  return props.length ? { type: 'ArrayExpression', elements: props.map((p) => p.value as Node) } : null;
}

/** The env vars that HTTP calls made while the module starts read their address from. */
function startupEnvs(j: JSCodeshift, root: Collection, scope: Scope): Set<string> {
  const out = new Set<string>();
  const walked = new Set<Node>();
  const queue: Node[] = [];
  const visit = (node: Node): void => {
    if (FUNCTIONS.has(node.type)) return; // a callback or a definition: runs later, if at all
    if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return;
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const callee = bare(node.callee);
      // An immediately invoked function runs now.
      if (callee && FUNCTIONS.has(callee.type)) queue.push(callee.body as Node);
      if (callee?.type === 'Identifier') {
        const fn = scope.functions.get(callee.name as string);
        if (fn) queue.push(fn.body as Node);
      }
      if (node.type === 'CallExpression' && isHttpCall(node)) {
        const address = addressOf(node);
        if (address) for (const e of scope.envsOf(address)) out.add(e);
      }
    }
    for (const c of children(node)) visit(c);
  };
  root.find(j.Program).forEach((p: ASTPath) => {
    for (const stmt of (p.node as unknown as Node).body as Node[]) visit(stmt);
  });
  while (queue.length) {
    const body = queue.shift()!;
    if (walked.has(body)) continue;
    walked.add(body);
    if (body.type === 'BlockStatement') for (const s of body.body as Node[]) visit(s);
    else visit(body); // an arrow's expression body
  }
  return out;
}

/** One read per place; a `process.env.X || process.env.Y || 'lit'` chain counts for each name. */
function urlReads(j: JSCodeshift, root: Collection, file: string, startup: Set<string>): UrlRead[] {
  const out: UrlRead[] = [];
  root.find(j.MemberExpression).forEach((p) => {
    const env = envName(p.node);
    if (!env || !URL_ENV.test(env)) return;
    let top: ASTPath = p;
    while (isFallback(top.parent?.node as Logical)) top = top.parent as ASTPath;
    const leaves = top === p ? [] : chainLeaves(top.node);
    const last = leaves.length ? (leaves[leaves.length - 1] as Node) : null;
    const fallback = last ? stringOf(last) : null;
    out.push({
      env,
      fallback,
      file,
      line: lineOf(p.node as unknown as Node),
      fallbackLine: fallback !== null ? lineOf(bare(last)) : null,
      startup: startup.has(env),
    });
  });
  return out;
}

function topics(j: JSCodeshift, root: Collection, file: string, scope: Scope): { produces: TopicUse[]; consumes: TopicUse[] } {
  const produces: TopicUse[] = [];
  const consumes: TopicUse[] = [];
  const push = (list: TopicUse[], prop: Node, allowPattern: boolean) => {
    for (const s of scope.strings(prop.value)) if (s.value && (allowPattern || !s.pattern)) list.push({ topic: s.value, ...(s.pattern ? { pattern: true } : {}), file, line: lineOf(prop) });
  };
  root.find(j.CallExpression).forEach((p) => {
    const callee = bare(p.node.callee);
    if (callee?.type !== 'MemberExpression' || callee.computed) return;
    const method = callee.property?.name as string | undefined;
    const opts = bare((p.node.arguments as unknown[])[0]);
    if (opts?.type !== 'ObjectExpression') return;
    if (method === 'send') {
      // kafkajs `producer.send({ topic, messages })`: `messages` tells it from `res.send({ topic })`.
      const topic = propOf(opts, 'topic');
      if (topic && propOf(opts, 'messages')) push(produces, topic, false);
    } else if (method === 'sendBatch') {
      const batch = bare(propOf(opts, 'topicMessages')?.value);
      for (const el of batch?.type === 'ArrayExpression' ? (batch.elements as Node[]) : []) {
        const topic = propOf(bare(el), 'topic');
        if (topic) push(produces, topic, false);
      }
    } else if (method === 'subscribe') {
      for (const key of ['topic', 'topics']) {
        const prop = propOf(opts, key);
        if (prop) push(consumes, prop, true);
      }
    }
  });
  return { produces, consumes };
}

/** The graph facts of one parsed code file. */
export function wiringFacts(j: JSCodeshift, root: Collection, file: string): ServiceWiring {
  const scope = new Scope(j, root);
  const startup = startupEnvs(j, root, scope);
  return { urls: urlReads(j, root, file, startup), ...topics(j, root, file, scope) };
}

export function mergeWiring(all: ServiceWiring[]): ServiceWiring {
  return { urls: all.flatMap((w) => w.urls), produces: all.flatMap((w) => w.produces), consumes: all.flatMap((w) => w.consumes) };
}
