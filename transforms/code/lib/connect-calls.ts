// Which calls connect a service to a database, cache or broker, and which
// bindings hold such a client. Shared by the startup transforms
// (listen-before-connect, liveness-checks-dependency, dependency-retry,
// consumer-ref-shutdown) so they all agree on what a "dependency" is:
// mongoose, the MongoDB driver, Prisma, pg, redis, ioredis, kafkajs, TypeORM's
// DataSource.initialize(), Sequelize's authenticate()/sync(), and local
// helpers (`getMongoConnection()`, `connectDB()`) whose body reaches one of
// those, in the same file or in a relatively imported module. Pure: reads
// trees, never changes them.
//
// Usage:
//   const deps = dependencyMatcher(ctx);
//   deps.connectOf(callPath)   // { driver, helper } | null  for one call
//   deps.findConnectCalls()    // every connect call of the file, with line and label
//   deps.clientOf(expr)        // driver when `expr` is (rooted at) a client: `prisma`, `this.redis`, `mongoose.connection`
//   deps.clients()             // bindings that hold a client: [{ key: 'pool' | 'this.redis', driver }]
//   connectOfCall(deps, call)  // connectOf, plus a whole-module require called as a function
//   connectingImports(deps)    // relative imports whose module connects as it loads (`import './db'`)
import path from 'node:path';
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { parse } from '../../../src/engine/parsers.js';
import { memoized } from '../../../src/engine/node-index.js';
import type { CodeContext } from '../../../src/engine/types.js';

/** The client libraries shipshape knows. */
export type Driver = 'mongoose' | 'mongodb' | 'prisma' | 'pg' | 'redis' | 'ioredis' | 'kafkajs' | 'typeorm' | 'sequelize';

/** What a log line or a finding calls the dependency behind a driver. */
export const DRIVER_LABEL: Record<Driver, string> = {
  mongoose: 'MongoDB',
  mongodb: 'MongoDB',
  prisma: 'Prisma',
  pg: 'Postgres',
  redis: 'Redis',
  ioredis: 'Redis',
  kafkajs: 'Kafka',
  typeorm: 'TypeORM',
  sequelize: 'Sequelize',
};

/** A loose view of a Babel/TS AST node: the matcher checks shapes, it never trusts them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AstNode = { type: string; loc?: { start: { line: number }; end: { line: number } } | null; [field: string]: any };

export interface ConnectMatch {
  driver: Driver;
  /** The local helper the call goes through (`getMongoConnection`), null for a direct driver call. */
  helper: string | null;
}

export interface ConnectCall extends ConnectMatch {
  path: ASTPath;
  /** 1-based line of the call. */
  line: number;
  /** Human name of the dependency, e.g. 'MongoDB'. */
  label: string;
}

/** Where an imported binding comes from: `name` is 'default', '*' (namespace / whole require) or the exported name. */
export interface ImportBinding {
  source: string;
  name: string;
}

/** What the matcher needs from a context; another module is read through the same shape. */
export type ModuleSource = Pick<CodeContext, 'j' | 'root' | 'path' | 'workspace'>;

/** A value given to a binding: `const x = init`, `x = init`, `this.x = init`, class field `x = init`. */
export interface BindingInit {
  init: AstNode;
  /** The statement that creates the binding when it is one (declaration or assignment statement). */
  statement: ASTPath | null;
}

const WRAPPERS = new Set(['TSAsExpression', 'TSNonNullExpression', 'TSSatisfiesExpression', 'TSTypeAssertion', 'ParenthesizedExpression']);
const CONNECTABLE = new Set<Driver>(['mongodb', 'pg', 'redis', 'ioredis', 'kafkajs']);
const KAFKA_CLIENTS = new Set(['producer', 'consumer', 'admin']);
const MODULE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];
/** How many relative imports deep a helper is followed. */
const MAX_MODULE_DEPTH = 3;

/** Strips TS casts, non-null assertions and parentheses. */
export function unwrap(node: AstNode | null | undefined): AstNode | null {
  let n = node ?? null;
  while (n && WRAPPERS.has(n.type)) n = n.expression as AstNode;
  return n;
}

/** Name of a non-computed member property (`a.b` → 'b', `a['b']` → 'b'). */
export function propertyName(member: AstNode): string | null {
  const p = member.property as AstNode | undefined;
  if (!p) return null;
  if (!member.computed && (p.type === 'Identifier' || p.type === 'PrivateName')) return (p.name as string) ?? (p.id?.name as string) ?? null;
  if (p.type === 'StringLiteral' || p.type === 'Literal') return typeof p.value === 'string' ? p.value : null;
  return null;
}

type MemberNode = AstNode & { object: AstNode; property: AstNode };
type CallNode = AstNode & { callee: AstNode; arguments: AstNode[] };

export function isMember(n: AstNode | null | undefined): n is MemberNode {
  return n?.type === 'MemberExpression' || n?.type === 'OptionalMemberExpression';
}

export function isCall(n: AstNode | null | undefined): n is CallNode {
  return n?.type === 'CallExpression' || n?.type === 'OptionalCallExpression';
}

/** 'name' for an identifier, 'this.name' for `this.name`, else null: the keys of bindings. */
export function bindingKey(node: AstNode | null | undefined): string | null {
  const n = unwrap(node);
  if (n?.type === 'Identifier') return n.name as string;
  if (isMember(n) && n.object?.type === 'ThisExpression') {
    const name = propertyName(n);
    return name ? `this.${name}` : null;
  }
  return null;
}

/** `require('x')` → 'x'. */
export function requireSource(node: AstNode | null | undefined): string | null {
  const n = unwrap(node);
  if (!isCall(n) || n.callee?.type !== 'Identifier' || n.callee.name !== 'require') return null;
  const arg = n.arguments?.[0] as AstNode | undefined;
  return arg && (arg.type === 'StringLiteral' || arg.type === 'Literal') && typeof arg.value === 'string' ? arg.value : null;
}

/** Local name → where it is imported from, for `import` and `require` alike (type-only imports excluded). */
export function moduleImports(j: JSCodeshift, root: Collection): Map<string, ImportBinding> {
  const out = new Map<string, ImportBinding>();
  root.find(j.ImportDeclaration).forEach((p) => {
    const decl = p.node as AstNode;
    if (decl.importKind === 'type') return;
    const source = decl.source.value as string;
    for (const s of (decl.specifiers ?? []) as AstNode[]) {
      if (s.importKind === 'type') continue;
      const local = s.local?.name as string;
      if (s.type === 'ImportDefaultSpecifier') out.set(local, { source, name: 'default' });
      else if (s.type === 'ImportNamespaceSpecifier') out.set(local, { source, name: '*' });
      else out.set(local, { source, name: (s.imported?.name ?? s.imported?.value) as string });
    }
  });
  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as AstNode;
    const init = unwrap(p.node.init as AstNode);
    let source = requireSource(init);
    let name = '*';
    if (!source && isMember(init) && requireSource(init.object)) {
      source = requireSource(init.object);
      name = propertyName(init) ?? '*';
    }
    // `const { Pool } = pg` where pg is itself an import.
    if (!source && init?.type === 'Identifier' && id.type === 'ObjectPattern') {
      const base = out.get(init.name as string);
      if (base && (base.name === 'default' || base.name === '*')) source = base.source;
    }
    if (!source) return;
    if (id.type === 'Identifier') out.set(id.name as string, { source, name });
    else if (id.type === 'ObjectPattern')
      for (const prop of id.properties as AstNode[]) {
        const key = prop.key?.name ?? prop.key?.value;
        const value = prop.value?.type === 'AssignmentPattern' ? prop.value.left : prop.value;
        if (typeof key === 'string' && value?.type === 'Identifier') out.set(value.name as string, { source, name: key });
      }
  });
  root.find(j.TSImportEqualsDeclaration).forEach((p) => {
    const n = p.node as AstNode;
    const ref = n.moduleReference as AstNode;
    if (ref?.type === 'TSExternalModuleReference') out.set(n.id.name as string, { source: ref.expression.value as string, name: '*' });
  });
  return out;
}

/** The statement a node belongs to when the node is that statement's whole point (declaration or assignment). */
function ownStatement(p: ASTPath): ASTPath | null {
  let cur: ASTPath | null = p;
  while (cur && cur.node.type !== 'VariableDeclaration' && cur.node.type !== 'ExpressionStatement') {
    if (cur.node.type !== 'VariableDeclarator' && cur.node.type !== 'AssignmentExpression') return null;
    cur = cur.parent as ASTPath | null;
  }
  if (!cur) return null;
  // export const app = express();
  if (cur.parent?.node.type === 'ExportNamedDeclaration') return cur.parent as ASTPath;
  return cur;
}

/** Every value given to every binding key of the file, in source order. */
export function bindingInits(j: JSCodeshift, root: Collection): Map<string, BindingInit[]> {
  const out = new Map<string, BindingInit[]>();
  const add = (key: string | null, init: AstNode | null | undefined, statement: ASTPath | null) => {
    if (!key || !init) return;
    const list = out.get(key) ?? [];
    list.push({ init, statement });
    out.set(key, list);
  };
  root.find(j.VariableDeclarator).forEach((p) => add(bindingKey(p.node.id as AstNode), p.node.init as AstNode, ownStatement(p)));
  root.find(j.AssignmentExpression, { operator: '=' }).forEach((p) => add(bindingKey(p.node.left as AstNode), p.node.right as AstNode, ownStatement(p)));
  root.find(j.ClassProperty).forEach((p) => {
    const n = p.node as AstNode;
    if (!n.static && n.key?.type === 'Identifier') add(`this.${n.key.name as string}`, n.value as AstNode, null);
  });
  return out;
}

/** Resolves `./db` from `from` to a file the workspace has, trying TS/JS extensions and index files. */
export function resolveRelative(ws: ModuleSource['workspace'], from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const stem = base.replace(/\.(c|m)?jsx?$/, '');
  const candidates = [base, ...MODULE_EXTENSIONS.map((e) => stem + e), ...MODULE_EXTENSIONS.map((e) => `${base}/index${e}`)];
  return candidates.find((c) => !c.startsWith('..') && ws.read(c) !== undefined) ?? null;
}

/** Matchers of other modules, per workspace, keyed by path and text so a changed file is re-read. */
const moduleCache = new WeakMap<ModuleSource['workspace'], Map<string, DependencyMatcher | null>>();

/** Parses another module of the workspace; null when it is absent or does not parse. */
export function readModule(ws: ModuleSource['workspace'], rel: string): ModuleSource | null {
  const text = ws.read(rel);
  if (text === undefined) return null;
  try {
    const parsed = parse('code', rel, text);
    return parsed.kind === 'code' ? { j: parsed.j, root: parsed.root, path: rel, workspace: ws } : null;
  } catch {
    return null;
  }
}

/** The (cached) matcher of another module of the workspace, by its path relative to the root; null when unreadable. */
export function moduleMatcher(ws: ModuleSource['workspace'], rel: string, depth = 1): DependencyMatcher | null {
  let cache = moduleCache.get(ws);
  if (!cache) moduleCache.set(ws, (cache = new Map()));
  const key = `${rel}\n${ws.read(rel) ?? ''}`;
  if (!cache.has(key)) {
    const src = readModule(ws, rel);
    cache.set(key, src ? new DependencyMatcher(src, depth) : null);
  }
  return cache.get(key) ?? null;
}

/** Recognises dependency connects and clients in one module. Build it with `dependencyMatcher(ctx)`. */
export class DependencyMatcher {
  readonly imports: Map<string, ImportBinding>;
  readonly inits: Map<string, BindingInit[]>;
  /** Named functions: 'name', 'this.method' for class methods, 'exports.name' for CJS exports. */
  private readonly functions = new Map<string, ASTPath>();
  /** Exported name → local function or binding key. */
  private readonly exported = new Map<string, string>();
  private readonly reached = new Map<unknown, ConnectMatch | null>();
  private readonly kinds = new Map<string, Driver | 'kafka' | null>();

  constructor(
    readonly src: ModuleSource,
    private readonly depth = 0,
  ) {
    const { j, root } = src;
    this.imports = moduleImports(j, root);
    this.inits = bindingInits(j, root);
    this.indexFunctions();
    this.indexExports();
  }

  /** The dependency a call connects to, directly or through a helper; null when it is no connect. */
  connectOf(call: ASTPath): ConnectMatch | null {
    const node = call.node as AstNode;
    if (!isCall(node)) return null;
    const callee = unwrap(node.callee);
    if (isMember(callee)) return this.memberConnect(call, callee);
    if (callee?.type === 'Identifier') return this.identifierConnect(call, callee.name as string);
    return null;
  }

  /** Every call of the file that connects to a dependency, in source order. */
  findConnectCalls(): ConnectCall[] {
    const { j, root } = this.src;
    const out: ConnectCall[] = [];
    root.find(j.CallExpression).forEach((p) => {
      const m = this.connectOf(p);
      if (m) out.push({ ...m, path: p, line: (p.node as AstNode).loc?.start.line ?? 1, label: DRIVER_LABEL[m.driver] });
    });
    return out;
  }

  /**
   * The driver when `expr` is or hangs off a dependency client: `prisma.$queryRaw`,
   * `this.redis.ping()`, `mongoose.connection.db`, `pool.query(...)`; null otherwise.
   */
  clientOf(expr: AstNode | null | undefined, at?: ASTPath): Driver | null {
    let e = unwrap(expr);
    while (e) {
      const kind = this.producedBy(e, at);
      if (kind) return kind === 'kafka' ? 'kafkajs' : kind;
      if (isMember(e)) e = unwrap(e.object);
      else if (isCall(e) || e.type === 'NewExpression') e = unwrap(e.callee);
      else if (e.type === 'AwaitExpression') e = unwrap(e.argument);
      else if (e.type === 'TaggedTemplateExpression') e = unwrap(e.tag);
      else return null;
    }
    return null;
  }

  /** Every binding that holds a client (`const pool = new Pool()`, `this.redis = new Redis()`), the Kafka instance itself excluded. */
  clients(): { key: string; driver: Driver }[] {
    const out: { key: string; driver: Driver }[] = [];
    for (const key of this.inits.keys()) {
      const kind = this.bindingKind(key);
      if (kind && kind !== 'kafka') out.push({ key, driver: kind });
    }
    return out;
  }

  /** The connect a function body reaches (first one found), or null. */
  functionConnect(fn: ASTPath, name: string): ConnectMatch | null {
    if (this.reached.has(fn.node)) {
      const known = this.reached.get(fn.node) ?? null;
      return known && { ...known, helper: name };
    }
    this.reached.set(fn.node, null); // cycle guard for recursive helpers
    let found: ConnectMatch | null = null;
    const { j } = this.src;
    j(fn)
      .find(j.CallExpression)
      .forEach((p) => {
        found ??= this.connectOf(p);
      });
    const result = found && { driver: (found as ConnectMatch).driver, helper: name };
    this.reached.set(fn.node, result);
    return result;
  }

  /** The local function a name (or `this.method`) refers to. */
  functionNamed(key: string): ASTPath | null {
    return this.functions.get(key) ?? null;
  }

  /** What an exported function of this module connects to, for importers. */
  exportConnect(name: string): ConnectMatch | null {
    const local = this.exported.get(name);
    const fn = local ? this.functions.get(local) : undefined;
    return fn ? this.functionConnect(fn, name) : null;
  }

  /** The driver of an exported client binding (`export const prisma = new PrismaClient()`). */
  exportClient(name: string): Driver | null {
    const local = this.exported.get(name);
    const kind = local ? this.bindingKind(local) : null;
    return kind === 'kafka' ? 'kafkajs' : kind;
  }

  /** The function behind an export name (`export function x`, `exports.x = ...`, `module.exports = x` as 'default'), or null. */
  exportedFunctionPath(name: string): ASTPath | null {
    const local = this.exported.get(name);
    return (local && this.functions.get(local)) || null;
  }

  /** The resolved path of a relative import source, or null. */
  resolve(spec: string): string | null {
    return resolveRelative(this.src.workspace, this.src.path, spec);
  }

  private module(spec: string): DependencyMatcher | null {
    if (this.depth >= MAX_MODULE_DEPTH) return null;
    const rel = this.resolve(spec);
    return rel ? moduleMatcher(this.src.workspace, rel, this.depth + 1) : null;
  }

  /** The import a name refers to at `at`, unless a local binding shadows it. */
  private importAt(name: string, at?: ASTPath): ImportBinding | null {
    const binding = this.imports.get(name);
    if (!binding) return null;
    const scope = at?.scope?.lookup?.(name);
    return !scope || scope.isGlobal ? binding : null;
  }

  private identifierConnect(call: ASTPath, name: string): ConnectMatch | null {
    const imported = this.importAt(name, call);
    if (imported?.source === 'mongoose' && imported.name === 'connect') return { driver: 'mongoose', helper: null };
    if (imported && imported.source.startsWith('.')) return this.module(imported.source)?.exportConnect(imported.name) ?? null;
    if (imported) return null;
    const fn = this.functions.get(name);
    return fn && refersTo(call, name, fn) ? this.functionConnect(fn, name) : null;
  }

  private memberConnect(call: ASTPath, callee: AstNode): ConnectMatch | null {
    const prop = propertyName(callee);
    const obj = unwrap(callee.object);
    if (!prop || !obj) return null;
    if (prop === '$connect') return { driver: 'prisma', helper: null };
    // ORMs connect through their own verbs: TypeORM `dataSource.initialize()`, Sequelize `sequelize.authenticate()` / `.sync()`.
    if (prop === 'initialize' && this.producedBy(obj, call) === 'typeorm') return { driver: 'typeorm', helper: null };
    if ((prop === 'authenticate' || prop === 'sync') && this.producedBy(obj, call) === 'sequelize') return { driver: 'sequelize', helper: null };
    if (prop === 'connect') {
      const direct = this.staticConnect(obj, call);
      if (direct) return { driver: direct, helper: null };
      const kind = this.producedBy(obj, call);
      if (kind && kind !== 'kafka' && CONNECTABLE.has(kind)) return { driver: kind, helper: null };
    }
    if (prop === 'asPromise' && isCall(obj) && isMember(unwrap(obj.callee)) && propertyName(unwrap(obj.callee)!) === 'createConnection') {
      if (this.isModuleObject(unwrap(unwrap(obj.callee)!.object), 'mongoose', call)) return { driver: 'mongoose', helper: null };
    }
    if (obj.type === 'ThisExpression') {
      const fn = this.functions.get(`this.${prop}`);
      return fn ? this.functionConnect(fn, prop) : null;
    }
    // import * as db from './db'; db.connectDB()
    if (obj.type === 'Identifier') {
      const imported = this.importAt(obj.name as string, call);
      if (imported?.source.startsWith('.') && (imported.name === '*' || imported.name === 'default'))
        return this.module(imported.source)?.exportConnect(prop) ?? null;
    }
    return null;
  }

  /** `mongoose.connect(...)`, `MongoClient.connect(...)` (static). */
  private staticConnect(obj: AstNode, at?: ASTPath): Driver | null {
    if (this.isModuleObject(obj, 'mongoose', at)) return 'mongoose';
    if (obj.type === 'Identifier') {
      const imported = this.importAt(obj.name as string, at);
      if (imported?.source === 'mongodb' && imported.name === 'MongoClient') return 'mongodb';
    }
    if (isMember(obj) && propertyName(obj) === 'MongoClient' && this.isModuleObject(unwrap(obj.object), 'mongodb', at)) return 'mongodb';
    return null;
  }

  /** True when `node` is the default/namespace import of `source` (`mongoose`, `pg`). */
  private isModuleObject(node: AstNode | null, source: string, at?: ASTPath): boolean {
    if (node?.type !== 'Identifier') return false;
    const imported = this.importAt(node.name as string, at);
    return !!imported && imported.source === source && (imported.name === 'default' || imported.name === '*');
  }

  /** The client kind an expression evaluates to (a factory, a connect, or a client binding). */
  private producedBy(expr: AstNode, at?: ASTPath): Driver | 'kafka' | null {
    const e = unwrap(expr);
    if (!e) return null;
    if (e.type === 'AwaitExpression') return this.producedBy(e.argument as AstNode, at);
    if (e.type === 'NewExpression') return this.constructed(unwrap(e.callee), at);
    if (e.type === 'Identifier') {
      if (this.isModuleObject(e, 'mongoose', at)) return 'mongoose';
      const imported = this.importAt(e.name as string, at);
      if (imported?.source.startsWith('.') && imported.name !== '*') return this.module(imported.source)?.exportClient(imported.name) ?? null;
      return imported ? null : this.bindingKind(e.name as string);
    }
    if (isMember(e)) {
      const key = bindingKey(e);
      if (key) return this.bindingKind(key);
      // mongoose.connection
      if (propertyName(e) === 'connection' && this.isModuleObject(unwrap(e.object), 'mongoose', at)) return 'mongoose';
      const obj = unwrap(e.object);
      const imported = obj?.type === 'Identifier' ? this.importAt(obj.name as string, at) : null;
      if (imported?.source.startsWith('.') && (imported.name === '*' || imported.name === 'default'))
        return this.module(imported.source)?.exportClient(propertyName(e) ?? '') ?? null;
      return null;
    }
    if (isCall(e)) return this.called(e, at);
    return null;
  }

  /** `new MongoClient()`, `new Pool()`, `new Redis()`, `new PrismaClient()`, `new Kafka()`. */
  private constructed(callee: AstNode | null, at?: ASTPath): Driver | 'kafka' | null {
    let source: string | null = null;
    let name: string | null = null;
    if (callee?.type === 'Identifier') {
      if (callee.name === 'PrismaClient') return 'prisma';
      const imported = this.importAt(callee.name as string, at);
      if (!imported) return null;
      source = imported.source;
      name = imported.name === 'default' || imported.name === '*' ? '*' : imported.name;
    } else if (isMember(callee)) {
      const obj = unwrap(callee.object);
      const imported = obj?.type === 'Identifier' ? this.importAt(obj.name as string, at) : null;
      if (!imported || (imported.name !== 'default' && imported.name !== '*')) return null;
      source = imported.source;
      name = propertyName(callee);
    }
    if (source === 'mongodb' && name === 'MongoClient') return 'mongodb';
    if (source === 'pg' && (name === 'Pool' || name === 'Client')) return 'pg';
    if (source === 'ioredis' && (name === '*' || name === 'Redis' || name === 'Cluster')) return 'ioredis';
    if (source === '@prisma/client' && name === 'PrismaClient') return 'prisma';
    if (source === 'kafkajs' && name === 'Kafka') return 'kafka';
    if (source === 'typeorm' && name === 'DataSource') return 'typeorm';
    if (source === 'sequelize' && (name === 'Sequelize' || name === '*')) return 'sequelize';
    return null;
  }

  /** Calls that return a client: `createClient()`, `kafka.producer()`, `client.db()`, a connect. */
  private called(call: AstNode, at?: ASTPath): Driver | 'kafka' | null {
    const callee = unwrap(call.callee);
    if (callee?.type === 'Identifier') {
      const imported = this.importAt(callee.name as string, at);
      if (imported && (imported.source === 'redis' || imported.source === '@redis/client') && /^create(Client|Cluster)$/.test(imported.name)) return 'redis';
      if (imported?.source === 'mongoose' && imported.name === 'connect') return 'mongoose';
      if (imported?.source.startsWith('.')) return this.module(imported.source)?.exportConnect(imported.name)?.driver ?? null;
      const fn = imported ? undefined : this.functions.get(callee.name as string);
      return fn ? (this.functionConnect(fn, callee.name as string)?.driver ?? null) : null;
    }
    if (!isMember(callee)) return null;
    const prop = propertyName(callee);
    const obj = unwrap(callee.object);
    if (!prop || !obj) return null;
    if (/^create(Client|Cluster)$/.test(prop) && (this.isModuleObject(obj, 'redis', at) || this.isModuleObject(obj, '@redis/client', at))) return 'redis';
    if (prop === 'createConnection' && this.isModuleObject(obj, 'mongoose', at)) return 'mongoose';
    const staticDriver = prop === 'connect' ? this.staticConnect(obj, at) : null;
    if (staticDriver) return staticDriver;
    const base = this.producedBy(obj, at);
    if (base === 'kafka') return KAFKA_CLIENTS.has(prop) ? 'kafkajs' : null;
    if (base && (prop === 'connect' || prop === 'db' || prop === 'duplicate' || prop === '$extends')) return base;
    return null;
  }

  /** The client kind held by a binding key, from its initialisers; memoised, cycle-safe. */
  private bindingKind(key: string): Driver | 'kafka' | null {
    if (this.kinds.has(key)) return this.kinds.get(key) ?? null;
    this.kinds.set(key, null);
    let kind: Driver | 'kafka' | null = null;
    for (const { init } of this.inits.get(key) ?? []) {
      kind = this.producedBy(init);
      if (kind) break;
    }
    this.kinds.set(key, kind);
    return kind;
  }

  private indexFunctions(): void {
    const { j, root } = this.src;
    root.find(j.Function).forEach((fnPath) => {
      const p = fnPath as ASTPath;
      const n = p.node as AstNode;
      const parent = p.parent?.node as AstNode | undefined;
      if (n.type === 'FunctionDeclaration' && n.id?.name) this.functions.set(n.id.name as string, p);
      else if ((n.type === 'ClassMethod' || n.type === 'MethodDefinition') && !n.static && n.key?.type === 'Identifier') this.functions.set(`this.${n.key.name as string}`, p);
      else if (parent?.type === 'VariableDeclarator' && parent.id?.type === 'Identifier' && parent.init === n) this.functions.set(parent.id.name as string, p);
      else if (parent?.type === 'MethodDefinition' && parent.key?.type === 'Identifier' && !parent.static) this.functions.set(`this.${parent.key.name as string}`, p);
      else if (parent?.type === 'AssignmentExpression' && parent.right === n) {
        const exported = cjsExportName(parent.left as AstNode);
        if (exported) this.functions.set(`exports.${exported}`, p);
      }
    });
  }

  private indexExports(): void {
    const { j, root } = this.src;
    root.find(j.ExportNamedDeclaration).forEach((p) => {
      const n = p.node as AstNode;
      const decl = n.declaration as AstNode | null;
      if (decl?.type === 'FunctionDeclaration' && decl.id) this.exported.set(decl.id.name as string, decl.id.name as string);
      if (decl?.type === 'VariableDeclaration')
        for (const d of decl.declarations as AstNode[]) if (d.id?.type === 'Identifier') this.exported.set(d.id.name as string, d.id.name as string);
      for (const s of (n.specifiers ?? []) as AstNode[]) if (s.local?.name) this.exported.set((s.exported?.name ?? s.local.name) as string, s.local.name as string);
    });
    root.find(j.ExportDefaultDeclaration).forEach((p) => {
      const decl = (p.node as AstNode).declaration as AstNode;
      if (decl?.type === 'Identifier') this.exported.set('default', decl.name as string);
      else if (decl?.id?.name) this.exported.set('default', decl.id.name as string);
      else if (decl && /Function/.test(decl.type)) {
        this.functions.set('exports.default', p.get('declaration') as ASTPath);
        this.exported.set('default', 'exports.default');
      }
    });
    root.find(j.AssignmentExpression, { operator: '=' }).forEach((p) => {
      const left = p.node.left as AstNode;
      const right = unwrap(p.node.right as AstNode);
      if (isModuleExports(left) && right?.type === 'ObjectExpression') {
        for (const prop of right.properties as AstNode[]) {
          const key = prop.key?.name ?? prop.key?.value;
          if (typeof key !== 'string') continue;
          if (prop.value?.type === 'Identifier') this.exported.set(key, prop.value.name as string);
          else if (prop.type === 'ObjectMethod' || /Function/.test(prop.value?.type ?? '')) {
            this.functions.set(`exports.${key}`, (prop.type === 'ObjectMethod' ? p.get('right', 'properties', right.properties.indexOf(prop)) : p.get('right', 'properties', right.properties.indexOf(prop), 'value')) as ASTPath);
            this.exported.set(key, `exports.${key}`);
          }
        }
      } else if (isModuleExports(left) && right?.type === 'Identifier') this.exported.set('default', right.name as string);
      const named = cjsExportName(left);
      if (named) this.exported.set(named, right?.type === 'Identifier' ? (right.name as string) : `exports.${named}`);
    });
  }
}

function isModuleExports(n: AstNode | null): boolean {
  return isMember(n) && n.object?.type === 'Identifier' && n.object.name === 'module' && propertyName(n) === 'exports';
}

/** `exports.x` / `module.exports.x` → 'x'. */
function cjsExportName(left: AstNode | null): string | null {
  if (!isMember(left)) return null;
  const obj = unwrap(left.object);
  const isExports = (obj?.type === 'Identifier' && obj.name === 'exports') || isModuleExports(obj);
  return isExports ? propertyName(left) : null;
}

/** True when `name`, seen from `at`, is bound to the function `fn` (not to a parameter or other local). */
export function refersTo(at: ASTPath, name: string, fn: ASTPath): boolean {
  const scope = at.scope?.lookup?.(name);
  if (!scope) return false;
  const bindings = (scope.getBindings()[name] ?? []) as ASTPath[];
  return bindings.some((b) => {
    const owner = b.parent?.node as AstNode | undefined;
    return owner === fn.node || owner?.init === fn.node;
  });
}

/** The matcher for the file of a context. */
export function dependencyMatcher(src: ModuleSource): DependencyMatcher {
  return memoized(src.root, `dependency-matcher:${src.path}`, () => new DependencyMatcher(src));
}

// ---------------------------------------------------------------------------
// Imported modules that connect. connectOf reads a whole-module CommonJS
// require as a namespace (`db.connect()`), so calling the module itself
// (`const connectDB = require('./config/db'); connectDB()`) finds nothing, and
// a module that connects when it is merely imported (`import './db'`) has no
// call in the importer at all. These extend the matcher for the startup
// rules without changing what connectOf answers.

/** The function a module exports under `name` ('default' for `module.exports = fn` / `export default`), or null. */
export function exportedFunction(deps: DependencyMatcher, name: string): ASTPath | null {
  const { j, root } = deps.src;
  const named = deps.exportedFunctionPath(name);
  if (named || name !== 'default') return named;
  // `module.exports = async () => {...}`: an anonymous export the index does not name.
  const found = root
    .find(j.AssignmentExpression, { operator: '=' })
    .filter((p) => isModuleExports(p.node.left as AstNode) && /Function/.test(unwrap(p.node.right as AstNode)?.type ?? ''))
    .paths()[0];
  return found ? (found.get('right') as ASTPath) : null;
}

/** True when no function boundary lies between the path and the program: the code runs when the module loads. */
function atModuleLevel(p: ASTPath): boolean {
  for (let cur = p.parent as ASTPath | null; cur; cur = cur.parent as ASTPath | null) if (/Function|Method/.test(cur.node.type)) return false;
  return true;
}

/**
 * connectOf, plus a call of a whole-module require whose module exports a
 * connecting function: `const connectDB = require('./config/db'); connectDB()`
 * with `module.exports = connectDB` (or an anonymous function) there.
 */
export function connectOfCall(deps: DependencyMatcher, call: ASTPath): ConnectMatch | null {
  const direct = deps.connectOf(call);
  if (direct) return direct;
  const node = call.node as AstNode;
  const callee = isCall(node) ? unwrap(node.callee) : null;
  if (callee?.type !== 'Identifier') return null;
  const name = callee.name as string;
  const binding = deps.imports.get(name);
  const scope = call.scope?.lookup?.(name);
  if (!binding || binding.name !== '*' || !binding.source.startsWith('.') || (scope && !scope.isGlobal)) return null;
  const rel = deps.resolve(binding.source);
  const other = rel ? moduleMatcher(deps.src.workspace, rel) : null;
  const fn = other ? exportedFunction(other, 'default') : null;
  const found = fn && other ? other.functionConnect(fn, name) : null;
  return found && { driver: found.driver, helper: name };
}

/** Every call of the file that connects, by connectOfCall, in source order. */
export function findAllConnectCalls(deps: DependencyMatcher): ConnectCall[] {
  const { j, root } = deps.src;
  const out: ConnectCall[] = [];
  root.find(j.CallExpression).forEach((p) => {
    const m = connectOfCall(deps, p);
    if (m) out.push({ ...m, path: p, line: (p.node as AstNode).loc?.start.line ?? 1, label: DRIVER_LABEL[m.driver] });
  });
  return out;
}

/** A relative import whose module connects as soon as it is loaded. */
export interface ConnectingImport {
  /** The import source as written: './db'. */
  source: string;
  /** The module that connects (the imported one, or one it imports in turn), relative to the workspace root. */
  module: string;
  /** 1-based line of the import. */
  line: number;
  driver: Driver;
}

/** Relative module sources a file loads: `import ... from './x'`, `import './x'`, `require('./x')` at module level. */
export function relativeLoads(deps: DependencyMatcher): { source: string; line: number }[] {
  const { j, root } = deps.src;
  const out: { source: string; line: number }[] = [];
  root.find(j.ImportDeclaration).forEach((p) => {
    const decl = p.node as AstNode;
    if (decl.importKind === 'type' || typeof decl.source?.value !== 'string') return;
    const specifiers = (decl.specifiers ?? []) as AstNode[];
    if (specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type')) return;
    out.push({ source: decl.source.value as string, line: decl.loc?.start.line ?? 1 });
  });
  root.find(j.CallExpression).forEach((p) => {
    const source = requireSource(p.node as AstNode);
    if (source && atModuleLevel(p)) out.push({ source, line: (p.node as AstNode).loc?.start.line ?? 1 });
  });
  return out.filter((s) => s.source.startsWith('.'));
}

/** The driver a module connects to while it loads: a connect at module level, directly or through a local helper it calls there. */
function connectsOnLoad(deps: DependencyMatcher): Driver | null {
  const { j, root } = deps.src;
  let found: Driver | null = null;
  root.find(j.CallExpression).forEach((p) => {
    if (!found && atModuleLevel(p)) found = connectOfCall(deps, p)?.driver ?? null;
  });
  return found;
}

/**
 * The relatively imported modules that connect to a dependency when they are
 * loaded (`import './db'` where db.ts calls `mongoose.connect(...)` at its top
 * level), followed through their own relative imports.
 */
export function connectingImports(deps: DependencyMatcher): ConnectingImport[] {
  const out: ConnectingImport[] = [];
  const seen = new Set<string>([deps.src.path]);
  const loads = (m: DependencyMatcher, depth: number): { module: string; driver: Driver } | null => {
    const own = connectsOnLoad(m);
    if (own) return { module: m.src.path, driver: own };
    if (depth >= MAX_MODULE_DEPTH) return null;
    for (const { source } of relativeLoads(m)) {
      const rel = m.resolve(source);
      if (!rel || seen.has(rel)) continue;
      seen.add(rel);
      const next = moduleMatcher(m.src.workspace, rel);
      const found = next && loads(next, depth + 1);
      if (found) return found;
    }
    return null;
  };
  for (const { source, line } of relativeLoads(deps)) {
    const rel = deps.resolve(source);
    if (!rel || seen.has(rel)) continue;
    seen.add(rel);
    const m = moduleMatcher(deps.src.workspace, rel);
    const found = m && loads(m, 1);
    if (found) out.push({ source, line, ...found });
  }
  return out;
}
