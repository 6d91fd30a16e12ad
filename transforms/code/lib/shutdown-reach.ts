// Does SIGTERM close this HTTP server? A wrong "never closed" is a blocking
// finding on code that is right, so before concluding it we follow what a
// service really does between the signal and `close()`:
// - handles: the server and what closes it for it (`io = new Server(server)`
//   of socket.io, `createHttpTerminator({ server })`, `stoppable(server)`, a
//   Fastify/Nest app, `this.httpServer` of a class), by name or class field;
// - calls: from each SIGTERM handler into local functions, class methods of
//   known instances (`app.stop()`, `this.stop()`), and functions and classes
//   of the service's own modules imported relatively (resolveModule /
//   parseModule, bounded, never node_modules), with handles passed as
//   arguments mapped onto parameters;
// - registrations: in this file, in helpers this file hands the server to
//   (`registerShutdown(server)`), and in other modules of the service that
//   import this one (directly or through others);
// - libraries that own the shutdown (terminus, http-graceful-shutdown).
// What cannot be followed (a call through a parameter or a computed member,
// a `close`-like call on an object of unknown origin, a module outside the
// service) is recorded; the verdict only says "open" when nothing it could not
// follow can reach the server: when a close of it exists, or it left this
// file (returned, exported, handed to a package), the answer is "unknown".
// Module resolution and bindings live in shutdown-modules.ts. Read-only:
// nothing here changes a tree.
import type { ASTPath } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';
import { bindingOf, isFunction, lineOf, propName, requireSource, unwrap, type ListenSite, type Node } from './http-server.js';
import {
  enclosingClass,
  enclosingFunction,
  exportsAnything,
  isMemberNode,
  isThisMember,
  safely,
  ServiceModules,
  walkNodes,
  type ClassRef,
  type Mod,
} from './shutdown-modules.js';
import { registrations, type Registration } from './shutdown-signals.js';

/** What a value is to the server: itself, or something whose method closes it. */
export type HandleKind = 'server' | 'app' | 'stoppable' | 'io' | 'terminator';

const CLOSERS: Record<HandleKind, readonly string[]> = {
  server: ['close'],
  // Fastify and Nest apps close their HTTP server.
  app: ['close'],
  // stoppable(server) adds stop() and keeps close().
  stoppable: ['close', 'stop'],
  // socket.io's close() closes the HTTP server it was attached to.
  io: ['close'],
  terminator: ['terminate'],
};

/** A function we cannot read, handed the server under such a name, is trusted to close it. */
const TRUSTED_HELPER = /close|stop|shutdown|terminate/i;
/** A call by such a name on an object of unknown origin may close anything. */
const CLOSER_LIKE = /close|stop|shutdown|terminat|destroy|dispose|drain|teardown|cleanup/i;
/** Another module can only close our server on SIGTERM if it mentions one of these. */
const OUTSIDE_TEXT = /SIGTERM|close-with-grace|createTerminus|http-graceful-shutdown/;
const BENIGN_GLOBALS = new Set(['console', 'process', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'Promise', 'JSON', 'Object', 'Array', 'Math', 'Date', 'Number', 'String', 'Error']);

/** Bounds: frames walked, module hops along one path. */
const MAX_FRAMES = 120;
const MAX_HOPS = 4;

export interface Place {
  file: string;
  line: number;
}

export interface Unfollowed extends Place {
  what: string;
}

export type Verdict =
  /** `by`: the registration of this file that closes it (SIGINT is judged against it), when one does. */
  | { type: 'closed'; by: Registration | null }
  | {
      type: 'open';
      /** A close of the server that no SIGTERM handler reaches (App.stop()). */
      unreached: (Place & { what: string }) | null;
      /** A SIGTERM registration outside this file that was followed and does not close it. */
      elsewhere: Place | null;
    }
  /** `silent`: a close exists and is likely reached through what we could not follow. */
  | { type: 'unknown'; silent: boolean; why: string };

type Names = Map<string, HandleKind>;

interface Frame {
  mod: Mod;
  fn: ASTPath<Node>;
  names: Names;
  hops: number;
}

/** A registration with the handles visible where it is made. */
interface HandlerAt {
  mod: Mod;
  reg: Registration;
  names: Names;
}

type Resolved =
  | { type: 'frame'; mod: Mod; fn: ASTPath<Node>; closure: boolean }
  /** A const whose value is not a function we can read: `promisify(server.close.bind(server))`. */
  | { type: 'value'; mod: Mod; init: ASTPath<Node> }
  | { type: 'dynamic'; what: string }
  | { type: 'external'; name: string; object: 'package' | 'global' | 'unknown' | 'handle' | 'none' };

interface Walk {
  closes: Place | null;
  unfollowed: Unfollowed[];
}

function describe(n: Node): string {
  const u = unwrap(n);
  if (u?.type === 'Identifier') return u.name;
  if (u?.type === 'ThisExpression') return 'this';
  if (isMemberNode(u)) return `${describe(u.object)}.${propName(u) ?? '[…]'}`;
  if (u?.type === 'CallExpression') return `${describe(u.callee)}()`;
  return '…';
}

/** A frame is walked once per set of handles it knows. */
function signature(names: Names): string {
  return [...names].map(([k, v]) => `${k}:${v}`).sort().join(',');
}

export class Reach {
  private readonly modules: ServiceModules;
  private readonly home: Mod;
  private readonly envs = new Map<string, Names>();
  /** Handle-holding fields per class node. */
  private readonly fields = new Map<Node, { cls: ClassRef; names: Names }>();
  private readonly ctorsMapped = new Set<string>();
  private readonly returning = new Set<Node>();
  private readonly returnKinds = new Map<Node, HandleKind | null>();
  private frames = 0;

  constructor(
    ctx: CodeContext,
    private readonly site: ListenSite,
  ) {
    this.modules = new ServiceModules(ctx);
    this.home = this.modules.home;
  }

  // -------------------------------------------------------------------------
  // Verdict

  verdict(fileRegs: Registration[]): Verdict {
    const names = this.env(this.home);
    if (this.ownedByLibrary(this.home, null, names, true)) return { type: 'closed', by: null };
    const unfollowed: Unfollowed[] = [];
    const termRegs = fileRegs.filter((r) => r.signals.includes('SIGTERM'));
    for (const reg of termRegs) {
      const w = this.walkHandler(this.home, reg, names);
      if (w.closes) return { type: 'closed', by: reg };
      unfollowed.push(...w.unfollowed);
    }
    // Handlers registered by helpers this file hands the server to, walked
    // again with the helper's parameters bound (`setup(server)` registering
    // `() => srv.close()` is also one of this file's registrations).
    let elsewhere: Place | null = null;
    const helpers = this.helperRegistrations(this.home, null, names, 0, new Set());
    if (helpers.owned) return { type: 'closed', by: null };
    for (const h of helpers.regs) {
      const w = this.walkHandler(h.mod, h.reg, h.names);
      if (w.closes) return { type: 'closed', by: null };
      unfollowed.push(...w.unfollowed);
      if (h.mod !== this.home) elsewhere ??= { file: h.mod.file, line: lineOf(h.reg.path.node) };
    }
    // Only when this file registers nothing and exports something: a handler
    // in a module that imports it. A module that exports nothing cannot hand
    // its server to another module's handler.
    const outside = termRegs.length || helpers.regs.length || !exportsAnything(this.home) ? [] : this.outsideRegistrations();
    for (const o of outside) {
      if (o.owned) return { type: 'closed', by: null };
      for (const h of o.regs) {
        const w = this.walkHandler(h.mod, h.reg, h.names);
        if (w.closes) return { type: 'closed', by: null };
        unfollowed.push(...w.unfollowed);
        elsewhere ??= { file: h.mod.file, line: lineOf(h.reg.path.node) };
      }
    }

    const sites = this.closeSites(names, helpers.frames);
    const escape = this.escapes(names);
    const registered = termRegs.length > 0 || helpers.regs.length > 0 || outside.some((o) => o.regs.length > 0);
    const first = sites[0];
    // A close inside a callback handed to code we cannot read (a lifecycle
    // library, a hook registry): that code most likely runs it on SIGTERM.
    const handed = sites.find((s) => s.handedTo);
    if (handed) return { type: 'unknown', silent: true, why: `${handed.what} (line ${handed.line}) is handed to ${handed.handedTo}, which shipshape cannot follow` };
    if (!this.knowsServer() && registered) {
      // The server was never named: nothing here can tell what a handler closes.
      return { type: 'unknown', silent: true, why: 'the server is not kept in a variable shipshape can follow' };
    }
    const u = unfollowed[0];
    if (u && (first || escape)) {
      const why = `the SIGTERM path calls ${u.what} at ${u.file}:${u.line}, which shipshape cannot follow`;
      // A close exists and the path goes through code we cannot read: stay
      // silent. Without any close, only an escaped server could be closed
      // there: say what could not be followed instead of "never closed".
      return first ? { type: 'unknown', silent: true, why } : { type: 'unknown', silent: false, why: `${why}; the server is ${escape!.what} (line ${escape!.line})` };
    }
    return { type: 'open', unreached: first ? { file: first.file, line: first.line, what: first.what } : null, elsewhere: registered && !termRegs.length ? elsewhere : null };
  }

  /**
   * True when shipshape knows where the server is: a variable, a class field,
   * the caller of a function returning it, or nowhere at all (a dropped
   * `app.listen()` result nobody can close).
   */
  private knowsServer(): boolean {
    if (this.env(this.home).size > 0 || [...this.fields.values()].some((f) => f.names.size > 0)) return true;
    const taken = this.listenParent().type;
    return !!this.listenKind() && (taken === 'return' || taken === 'dropped');
  }

  /** What takes the listen call's result, past `await` and casts. */
  private listenParent(): { type: 'return' | 'kept' | 'dropped' | 'other'; node: Node } {
    let p: ASTPath<Node> = this.site.path;
    while (p.parent && /^(AwaitExpression|TSAsExpression|TSNonNullExpression|ParenthesizedExpression)$/.test(p.parent.node.type)) p = p.parent;
    const parent = p.parent?.node;
    if (parent?.type === 'ReturnStatement' || (isFunction(parent) && parent.body === p.node)) return { type: 'return', node: parent };
    if (parent?.type === 'VariableDeclarator' || parent?.type === 'AssignmentExpression') return { type: 'kept', node: parent };
    if (parent?.type === 'ExpressionStatement' || (parent?.type === 'CallExpression' && parent.callee === p.node) || isMemberNode(parent)) return { type: 'dropped', node: parent };
    return { type: 'other', node: parent };
  }

  // -------------------------------------------------------------------------
  // Handles

  /** The kind of the listen call's receiver, and of its result. */
  private receiverKind(): HandleKind | null {
    const k = this.site.kind;
    if (k === 'fastify' || k === 'nest') return 'app';
    return k === 'http' || k === 'unknown' || receiverIsServer(this.site) ? 'server' : null;
  }

  private listenKind(): HandleKind | null {
    return this.site.kind === 'fastify' || this.site.kind === 'nest' ? null : 'server';
  }

  private seeds(): Names {
    const names: Names = new Map();
    const kind = this.receiverKind();
    const obj = unwrap(unwrap(this.site.path.node.callee)?.object);
    if (kind && obj?.type === 'Identifier') names.set(obj.name, kind);
    else if (kind && isThisMember(obj)) {
      const cls = enclosingClass(this.site.path);
      if (cls) this.setField({ mod: this.home, path: cls }, propName(obj)!, kind);
    }
    return names;
  }

  /** Module-level view of the handles a module can name. */
  private env(mod: Mod): Names {
    const cached = this.envs.get(mod.file);
    if (cached) return cached;
    const names = mod === this.home ? this.seeds() : this.importedHandles(mod);
    this.envs.set(mod.file, names);
    this.aliasPass(mod, null, names);
    return names;
  }

  /** `import { server } from './server'`: names another module binds to our handles. */
  private importedHandles(mod: Mod): Names {
    const out: Names = new Map();
    const { j, root } = mod;
    const bind = (local: string, spec: string, imported: string) => {
      const target = this.modules.load(mod, spec);
      if (target !== this.home || imported === '*') return;
      const b = this.modules.exportOf(this.home, imported, 0);
      if (b?.type === 'value') {
        const id = b.declarator.node.id;
        const k = id?.type === 'Identifier' ? this.env(this.home).get(id.name) : undefined;
        if (k) out.set(local, k);
      }
    };
    root.find(j.ImportDeclaration).forEach((p) => {
      for (const s of (p.node.specifiers ?? []) as Node[]) {
        if (s.type === 'ImportSpecifier') bind(s.local.name, String(p.node.source.value), s.imported.name ?? s.imported.value);
      }
    });
    root.find(j.VariableDeclarator).forEach((p) => {
      const src = requireSource(p.node.init);
      if (src === null || p.node.id.type !== 'ObjectPattern') return;
      for (const prop of p.node.id.properties as Node[]) if (prop.value?.type === 'Identifier') bind(prop.value.name, src, prop.key?.name ?? prop.key?.value);
    });
    return out;
  }

  private setField(cls: ClassRef, field: string, kind: HandleKind): boolean {
    let entry = this.fields.get(cls.path.node);
    if (!entry) this.fields.set(cls.path.node, (entry = { cls, names: new Map() }));
    const was = entry.names.get(field);
    if (was && !(was === 'server' && kind === 'stoppable')) return false;
    entry.names.set(field, kind);
    return true;
  }

  private fieldKind(cls: ASTPath<Node> | null, field: string | null): HandleKind | null {
    return (cls && field && this.fields.get(cls.node)?.names.get(field)) || null;
  }

  /** Finds aliases of handles under `scope` (the whole module when null) until nothing changes. */
  private aliasPass(mod: Mod, scope: ASTPath<Node> | null, names: Names): void {
    const { j } = mod;
    const within = () => (scope ? j(scope) : mod.root);
    const set = (name: string, k: HandleKind | null) => {
      const was = names.get(name);
      if (!k || (was && !(was === 'server' && k === 'stoppable'))) return false;
      names.set(name, k);
      return true;
    };
    for (let round = 0; round < 4; round++) {
      let changed = false;
      within()
        .find(j.VariableDeclarator)
        .forEach((p) => {
          const id = p.node.id as Node;
          if (id.type !== 'Identifier' || !p.node.init) return;
          const k = this.kindOf(mod, p.node.init, p, names) ?? (names.has(id.name) && this.isLibrary(mod, p.node.init, 'stoppable', 'default') ? 'stoppable' : null);
          changed = set(id.name, k) || changed;
        });
      within()
        .find(j.AssignmentExpression)
        .forEach((p) => {
          const left = p.node.left as Node;
          const k = this.kindOf(mod, p.node.right, p, names);
          if (left.type === 'Identifier') changed = set(left.name, k ?? (names.has(left.name) && this.isLibrary(mod, p.node.right, 'stoppable', 'default') ? 'stoppable' : null)) || changed;
          else if (isThisMember(left)) {
            const cls = enclosingClass(p);
            const field = propName(left)!;
            const upgraded = !k && this.fieldKind(cls, field) && this.isLibrary(mod, p.node.right, 'stoppable', 'default') ? 'stoppable' : k;
            if (cls && upgraded) changed = this.setField({ mod, path: cls }, field, upgraded) || changed;
          }
        });
      within()
        .find(j.ClassProperty)
        .forEach((p) => {
          const key = propName({ type: 'MemberExpression', computed: p.node.computed, property: p.node.key });
          const k = p.node.value ? this.kindOf(mod, p.node.value, p, names) : null;
          const cls = p.parent?.parent;
          if (key && k && cls) changed = this.setField({ mod, path: cls }, key, k) || changed;
        });
      within()
        .find(j.CallExpression)
        .forEach((p) => {
          const args = p.node.arguments as Node[];
          const callee = unwrap(p.node.callee);
          // stoppable(server) patches the server in place.
          if (this.isLibrary(mod, callee, 'stoppable', 'default')) {
            const target = unwrap(args[0]);
            if (target?.type === 'Identifier' && names.has(target.name)) changed = set(target.name, 'stoppable') || changed;
          }
          // io.attach(server) / io.listen(server) on a socket.io Server.
          if (isMemberNode(callee) && ['attach', 'listen'].includes(propName(callee) ?? '') && unwrap(callee.object)?.type === 'Identifier' && this.isSocketIo(mod, p, callee.object, names)) {
            if (args.length && this.kindOf(mod, args[0], p, names)) changed = set(unwrap(callee.object).name, 'io') || changed;
          }
          this.mapConstructor(mod, p, names);
        });
      within()
        .find(j.NewExpression)
        .forEach((p) => this.mapConstructor(mod, p, names));
      if (!changed) break;
    }
  }

  /** `new Lifecycle(server)`: the constructor's parameters (and fields set from them) hold the handle. */
  private mapConstructor(mod: Mod, p: ASTPath<Node>, names: Names): void {
    const args = p.node.arguments as Node[];
    if (p.node.type !== 'NewExpression' || !args.length) return;
    const kinds = args.map((a) => this.kindOf(mod, a, p, names));
    if (!kinds.some(Boolean)) return;
    const cls = this.modules.classOf(mod, p, p.node.callee);
    if (!cls) return;
    const key = `${cls.mod.file}:${lineOf(cls.path.node)}:${kinds.join(',')}`;
    if (this.ctorsMapped.has(key)) return;
    this.ctorsMapped.add(key);
    const ctor = this.modules.method(cls, 'constructor', 0);
    if (!ctor) return;
    const params = ctor.fn.node.params as Node[];
    params.forEach((param, i) => {
      const k = kinds[i];
      if (k && param.type === 'TSParameterProperty' && param.parameter.type === 'Identifier') this.setField(cls, param.parameter.name, k);
    });
    const local = new Map([...this.env(ctor.mod), ...this.mapParams(ctor.fn.node, kinds)]);
    this.aliasPass(ctor.mod, ctor.fn, local);
  }

  /** The handle kind of an expression, or null. */
  private kindOf(mod: Mod, node: Node, at: ASTPath<Node>, names: Names, depth = 0): HandleKind | null {
    const e = unwrap(node);
    if (!e || depth > 6) return null;
    if (e === this.site.path.node) return this.listenKind();
    if (e.type === 'Identifier') return names.get(e.name) ?? null;
    if (isThisMember(e)) return this.fieldKind(enclosingClass(at), propName(e));
    if (isMemberNode(e)) {
      const objKind = this.kindOf(mod, e.object, at, names, depth + 1);
      if (objKind === 'app' && propName(e) === 'server') return 'server';
      // `lifecycle.server` on a namespace import of the module that made it.
      const obj = unwrap(e.object);
      if (obj?.type === 'Identifier' && !e.computed) {
        const b = this.modules.lookup(mod, at, obj.name);
        if (b.type === 'module' && b.mod === this.home) {
          const x = this.modules.exportOf(this.home, propName(e)!, 0);
          const id = x?.type === 'value' ? x.declarator.node.id : null;
          return id?.type === 'Identifier' ? (this.env(this.home).get(id.name) ?? null) : null;
        }
      }
      return null;
    }
    if (e.type === 'NewExpression' || e.type === 'CallExpression') {
      const args = e.arguments as Node[];
      const argKind = (i: number) => (args[i] ? this.kindOf(mod, args[i], at, names, depth + 1) : null);
      const callee = unwrap(e.callee);
      if (this.isSocketIoCtor(mod, callee)) {
        const k = argKind(0);
        return k === 'server' || k === 'stoppable' || k === 'app' ? 'io' : null;
      }
      if (e.type === 'NewExpression') return null;
      if (this.isLibrary(mod, callee, 'stoppable', 'default')) return argKind(0) ? 'stoppable' : null;
      if (this.isLibrary(mod, callee, 'http-terminator', 'createHttpTerminator')) {
        const opts = unwrap(args[0]);
        const prop = opts?.type === 'ObjectExpression' ? opts.properties.find((x: Node) => (x.key?.name ?? x.key?.value) === 'server') : null;
        return prop && this.kindOf(mod, prop.value, at, names, depth + 1) ? 'terminator' : null;
      }
      if (this.isLibrary(mod, callee, '@godaddy/terminus', 'createTerminus')) return argKind(0);
      if (isMemberNode(callee)) {
        const objKind = this.kindOf(mod, callee.object, at, names, depth + 1);
        const method = propName(callee);
        if (objKind === 'app' && method === 'getHttpServer') return 'server';
        if ((objKind === 'server' || objKind === 'stoppable') && method === 'listen') return objKind;
      }
      // `await startServer()`: what the function returns.
      const r = this.resolve(mod, at, callee, names);
      return r.type === 'frame' ? this.returnKind(r.mod, r.fn, r.closure ? names : this.env(r.mod)) : null;
    }
    return null;
  }

  private returnKind(mod: Mod, fn: ASTPath<Node>, base: Names): HandleKind | null {
    if (this.returnKinds.has(fn.node)) return this.returnKinds.get(fn.node)!;
    if (this.returning.has(fn.node) || this.returning.size > 8) return null;
    this.returning.add(fn.node);
    try {
      const kind = this.returnKindOf(mod, fn, base);
      this.returnKinds.set(fn.node, kind);
      return kind;
    } finally {
      this.returning.delete(fn.node);
    }
  }

  private returnKindOf(mod: Mod, fn: ASTPath<Node>, base: Names): HandleKind | null {
    if (fn.node.body?.type !== 'BlockStatement') return this.kindOf(mod, fn.node.body, fn, base);
    const names = new Map(base);
    this.aliasPass(mod, fn, names);
    let kind: HandleKind | null = null;
    mod.j(fn)
      .find(mod.j.ReturnStatement)
      .forEach((p) => {
        if (!kind && p.node.argument && enclosingFunction(p)?.node === fn.node) kind = this.kindOf(mod, p.node.argument, p, names);
      });
    return kind;
  }

  /** `param[i] <- kinds[i]`, including `({ server })` destructured from `{ server }`. */
  private mapParams(fn: Node, kinds: (HandleKind | null)[], objects: Node[] = [], at?: { mod: Mod; path: ASTPath<Node>; names: Names }): Names {
    const out: Names = new Map();
    (fn.params as Node[]).forEach((param, i) => {
      const p = param.type === 'TSParameterProperty' ? param.parameter : param.type === 'AssignmentPattern' ? param.left : param;
      const k = kinds[i];
      if (p?.type === 'Identifier' && k) out.set(p.name, k);
      const obj = unwrap(objects[i]);
      if (p?.type === 'ObjectPattern' && obj?.type === 'ObjectExpression' && at) {
        for (const prop of p.properties as Node[]) {
          const key = prop.key?.name ?? prop.key?.value;
          const value = prop.value?.type === 'AssignmentPattern' ? prop.value.left : prop.value;
          const given = obj.properties.find((x: Node) => (x.key?.name ?? x.key?.value) === key);
          const gk = given ? this.kindOf(at.mod, given.value, at.path, at.names) : null;
          if (value?.type === 'Identifier' && gk) out.set(value.name, gk);
        }
      }
    });
    return out;
  }

  // -------------------------------------------------------------------------
  // Libraries

  /** Is `callee` the export `name` of package `source` (import, require, or `require(source).name`)? */
  private isLibrary(mod: Mod, node: Node, source: string, name: string): boolean {
    const callee = unwrap(node?.type === 'CallExpression' ? node.callee : node);
    if (!callee) return false;
    if (callee.type === 'Identifier') {
      const imp = this.modules.imp(mod, callee.name);
      return !!imp && imp.source === source && (imp.imported === name || (name === 'default' && imp.imported === '*'));
    }
    if (callee.type === 'CallExpression') return name === 'default' && requireSource(callee) === source;
    if (isMemberNode(callee) && propName(callee) === name) {
      const obj = unwrap(callee.object);
      if (obj?.type === 'Identifier') {
        const imp = this.modules.imp(mod, obj.name);
        return !!imp && imp.source === source && (imp.imported === '*' || imp.imported === 'default');
      }
      return requireSource(obj) === source;
    }
    return false;
  }

  private isSocketIoCtor(mod: Mod, callee: Node): boolean {
    if (callee?.type === 'CallExpression') return requireSource(callee) === 'socket.io';
    if (callee?.type === 'Identifier') return this.modules.imp(mod, callee.name)?.source === 'socket.io';
    return isMemberNode(callee) && propName(callee) === 'Server' && this.isLibrary(mod, callee, 'socket.io', 'Server');
  }

  /** `io` bound to a socket.io Server (attached later with io.attach(server)). */
  private isSocketIo(mod: Mod, at: ASTPath<Node>, obj: Node, names: Names): boolean {
    if (names.get(obj.name) === 'io') return false;
    const b = this.modules.lookup(mod, at, obj.name);
    if (b.type !== 'value') return false;
    const init = unwrap(b.declarator.node.init);
    return (init?.type === 'NewExpression' || init?.type === 'CallExpression') && this.isSocketIoCtor(mod, unwrap(init.callee));
  }

  /**
   * Libraries that register SIGTERM themselves and close the server they are
   * given: terminus and http-graceful-shutdown. In this file any call counts
   * (terminus is given the server it serves); in a helper, the handle must be
   * the argument.
   */
  private ownedByLibrary(mod: Mod, scope: ASTPath<Node> | null, names: Names, anyArgument: boolean): boolean {
    const { j } = mod;
    return (scope ? j(scope) : mod.root).find(j.CallExpression).some((p) => {
      const callee = unwrap(p.node.callee);
      const owns = this.isLibrary(mod, callee, '@godaddy/terminus', 'createTerminus') || this.isLibrary(mod, callee, 'http-graceful-shutdown', 'default');
      return owns && (anyArgument || ((p.node.arguments as Node[]).length > 0 && !!this.kindOf(mod, p.node.arguments[0], p, names)));
    });
  }

  // -------------------------------------------------------------------------
  // Calls

  /** What a callee leads to. */
  private resolve(mod: Mod, at: ASTPath<Node>, calleeNode: Node, names: Names): Resolved {
    let callee = unwrap(calleeNode);
    // fn.call(...), fn.apply(...), fn.bind(...)(...): the function itself.
    if (isMemberNode(callee) && !callee.computed && ['call', 'apply', 'bind'].includes(propName(callee) ?? '') && (isMemberNode(unwrap(callee.object)) || unwrap(callee.object)?.type === 'Identifier')) callee = unwrap(callee.object);
    if (!callee) return { type: 'external', name: '', object: 'none' };
    if (isFunction(callee)) return { type: 'external', name: '(function)', object: 'none' };
    if (callee.type === 'Identifier') return this.resolveName(mod, at, callee.name, names);
    if (isMemberNode(callee)) {
      const method = propName(callee);
      const obj = unwrap(callee.object);
      const label = describe(callee);
      if (method === null) return { type: 'dynamic', what: `${label}, a computed member` };
      if (['then', 'catch', 'finally'].includes(method)) return { type: 'external', name: method, object: 'none' };
      if (this.kindOf(mod, obj, at, names)) return { type: 'external', name: method, object: 'handle' };
      if (obj?.type === 'ThisExpression') {
        const cls = enclosingClass(at);
        const m = cls ? this.modules.method({ mod, path: cls }, method, 0) : null;
        return m ? { type: 'frame', mod: m.mod, fn: m.fn, closure: m.mod === mod } : { type: 'external', name: label, object: 'unknown' };
      }
      if (isThisMember(obj)) {
        const cls = enclosingClass(at);
        const inner = cls ? this.modules.fieldClass({ mod, path: cls }, propName(obj)!) : null;
        const m = inner ? this.modules.method(inner, method, 0) : null;
        return m ? { type: 'frame', mod: m.mod, fn: m.fn, closure: false } : { type: 'external', name: label, object: 'unknown' };
      }
      if (obj?.type === 'Identifier') {
        const b = this.modules.lookup(mod, at, obj.name);
        if (b.type === 'global') return { type: 'external', name: label, object: 'global' };
        if (b.type === 'package') return { type: 'external', name: label, object: 'package' };
        if (b.type === 'param') return { type: 'external', name: label, object: 'unknown' };
        if (b.type === 'module') {
          const x = this.modules.exportOf(b.mod, method, 0);
          if (x?.type === 'function') return { type: 'frame', mod: x.mod, fn: x.fn, closure: false };
          return { type: 'external', name: label, object: 'unknown' };
        }
        if (b.type === 'class') {
          const m = this.modules.method(b.cls, method, 0);
          return m ? { type: 'frame', mod: m.mod, fn: m.fn, closure: m.mod === mod } : { type: 'external', name: label, object: 'unknown' };
        }
        if (b.type === 'value') {
          const cls = this.modules.instanceClass(mod, at, obj.name);
          const m = cls ? this.modules.method(cls, method, 0) : null;
          if (m) return { type: 'frame', mod: m.mod, fn: m.fn, closure: m.mod === mod };
          // const lifecycle = { stop() { ... } }
          const init = unwrap(b.declarator.node.init);
          if (init?.type === 'ObjectExpression') {
            const k = (init.properties as Node[]).findIndex((x) => (x.key?.name ?? x.key?.value) === method);
            const prop = init.properties[k];
            const initPath = b.declarator.get('init');
            if (k >= 0 && isFunction(prop)) return { type: 'frame', mod: b.mod, fn: initPath.get('properties', k), closure: b.mod === mod };
            if (k >= 0 && isFunction(prop.value)) return { type: 'frame', mod: b.mod, fn: initPath.get('properties', k, 'value'), closure: b.mod === mod };
          }
          return { type: 'external', name: label, object: 'unknown' };
        }
        return { type: 'external', name: label, object: 'unknown' };
      }
      return { type: 'external', name: label, object: 'unknown' };
    }
    return { type: 'dynamic', what: `${describe(callee)}, a computed function` };
  }

  private resolveName(mod: Mod, at: ASTPath<Node>, name: string, names: Names): Resolved {
    const b = this.modules.lookup(mod, at, name);
    switch (b.type) {
      case 'function':
        return { type: 'frame', mod: b.mod, fn: b.fn, closure: b.mod === mod };
      case 'value': {
        const init = b.declarator.get('init');
        return init.node ? { type: 'value', mod: b.mod, init } : { type: 'dynamic', what: `${name}(), a variable` };
      }
      case 'param':
        return names.has(name) ? { type: 'external', name, object: 'handle' } : { type: 'dynamic', what: `${name}(), a parameter or loop variable` };
      case 'global':
        return { type: 'external', name, object: 'global' };
      case 'package':
        return { type: 'external', name, object: 'package' };
      case 'class':
      case 'module':
        return { type: 'external', name, object: 'none' };
      case 'unread':
        return { type: 'dynamic', what: `${name}(), from a module outside the service` };
    }
  }

  private frame(mod: Mod, fn: ASTPath<Node>, base: Names, params: Names, hops: number): Frame {
    const names = new Map([...base, ...params]);
    this.aliasPass(mod, fn, names);
    return { mod, fn, names, hops };
  }

  /** A closing member on a handle: `server.close`, `io.close`, `terminator.terminate`, `this.httpServer.close`. */
  private isCloser(mod: Mod, member: ASTPath<Node>, names: Names): boolean {
    const prop = propName(member.node);
    if (!prop) return false;
    const k = this.kindOf(mod, member.node.object, member, names);
    return !!k && CLOSERS[k].includes(prop);
  }

  /** Follows a SIGTERM handler through the calls it makes. */
  private walkHandler(mod: Mod, reg: Registration, names: Names): Walk {
    const out: Walk = { closes: null, unfollowed: [] };
    const at = reg.handler;
    if (!at) {
      out.unfollowed.push({ file: mod.file, line: lineOf(reg.path.node), what: 'a handler shipshape cannot see' });
      return out;
    }
    const start: Frame[] = [];
    if (isFunction(unwrap(at.node))) start.push(this.frame(mod, at, names, new Map(), 0));
    else this.step(mod, at, unwrap(at.node), [], names, 0, start, out);
    this.walk(start, out);
    return out;
  }

  private walk(queue: Frame[], out: Walk): void {
    const seen = new Map<Node, Set<string>>();
    while (queue.length && !out.closes) {
      const f = queue.shift()!;
      const sig = signature(f.names);
      const walked = seen.get(f.fn.node) ?? new Set<string>();
      if (walked.has(sig)) continue;
      if (this.frames++ > MAX_FRAMES) {
        // Past the bound the rest of the path is unknown, not "no close".
        out.unfollowed.push({ file: f.mod.file, line: lineOf(f.fn.node), what: 'more calls than shipshape follows' });
        return;
      }
      walked.add(sig);
      seen.set(f.fn.node, walked);
      const { j } = f.mod;
      j(f.fn)
        .find(j.MemberExpression)
        .forEach((m) => {
          if (!out.closes && this.isCloser(f.mod, m, f.names)) out.closes = { file: f.mod.file, line: lineOf(m.node) };
        });
      if (out.closes) return;
      j(f.fn)
        .find(j.CallExpression)
        .forEach((c) => this.step(f.mod, c, c.node.callee, c.node.arguments as Node[], f.names, f.hops, queue, out, c));
    }
  }

  /** One call on the SIGTERM path: queue what it reaches, note what cannot be followed. */
  private step(mod: Mod, at: ASTPath<Node>, callee: Node, args: Node[], names: Names, hops: number, queue: Frame[], out: Walk, call?: ASTPath<Node>): void {
    const r = this.resolve(mod, at, callee, names);
    const argKinds = args.map((a) => this.kindOf(mod, a, at, names));
    const line = lineOf(at.node);
    if (r.type === 'frame') {
      if (hops + (r.mod === mod ? 0 : 1) > MAX_HOPS) return void out.unfollowed.push({ file: mod.file, line, what: `${describe(callee)}()` });
      const params = this.mapParams(r.fn.node, argKinds, args, call ? { mod, path: call, names } : undefined);
      queue.push(this.frame(r.mod, r.fn, r.closure ? names : this.env(r.mod), params, hops + (r.mod === mod ? 0 : 1)));
      return;
    }
    if (r.type === 'value') {
      // const close = promisify(server.close.bind(server)): the close sits in the value.
      const closes = r.mod.j(r.init).find(r.mod.j.MemberExpression).some((m) => this.isCloser(r.mod, m, r.mod === mod ? names : this.env(r.mod)));
      if (closes) out.closes ??= { file: r.mod.file, line: lineOf(r.init.node) };
      else out.unfollowed.push({ file: mod.file, line, what: `${describe(callee)}()` });
      return;
    }
    if (r.type === 'dynamic') return void out.unfollowed.push({ file: mod.file, line, what: r.what });
    const handed = argKinds.some(Boolean) && r.object !== 'handle' && r.object !== 'global';
    if (handed && TRUSTED_HELPER.test(r.name)) {
      out.closes ??= { file: mod.file, line };
      return;
    }
    // The server handed to code we cannot read, or a close-like call on an
    // object we cannot trace: either may close it.
    if (handed || ((r.object === 'unknown' || r.object === 'package') && CLOSER_LIKE.test(r.name))) out.unfollowed.push({ file: mod.file, line, what: `${r.name}()` });
  }

  // -------------------------------------------------------------------------
  // Registrations elsewhere

  /**
   * SIGTERM registrations in the functions a module hands a handle to
   * (`registerShutdown(server)`), transitively, with the parameter bound.
   */
  private helperRegistrations(
    mod: Mod,
    scope: ASTPath<Node> | null,
    names: Names,
    hops: number,
    seen: Set<Node>,
  ): { regs: HandlerAt[]; frames: Frame[]; owned: boolean } {
    const result = { regs: [] as HandlerAt[], frames: [] as Frame[], owned: false };
    if (hops > 3) return result;
    const { j } = mod;
    (scope ? j(scope) : mod.root).find(j.CallExpression).forEach((c) => {
      if (result.owned || this.frames > MAX_FRAMES) return;
      const args = c.node.arguments as Node[];
      const kinds = args.map((a) => this.kindOf(mod, a, c, names));
      if (!kinds.some(Boolean)) return;
      const r = this.resolve(mod, c, c.node.callee, names);
      if (r.type !== 'frame' || seen.has(r.fn.node)) return;
      seen.add(r.fn.node);
      this.frames++;
      const f = this.frame(r.mod, r.fn, r.closure ? names : this.env(r.mod), this.mapParams(r.fn.node, kinds, args, { mod, path: c, names }), hops);
      result.frames.push(f);
      if (this.ownedByLibrary(f.mod, f.fn, f.names, false)) result.owned = true;
      for (const reg of registrations(f.mod.j, f.mod.root, f.fn)) {
        if (reg.signals.includes('SIGTERM') && !seen.has(reg.path.node)) {
          seen.add(reg.path.node);
          result.regs.push({ mod: f.mod, reg, names: f.names });
        }
      }
      const deeper = this.helperRegistrations(f.mod, f.fn, f.names, hops + 1, seen);
      result.regs.push(...deeper.regs);
      result.frames.push(...deeper.frames);
      result.owned ||= deeper.owned;
    });
    return result;
  }

  /**
   * SIGTERM registrations in other modules of the service that import this
   * one (directly or through other modules): an entrypoint that starts the
   * server from here and closes it on its own SIGTERM handler.
   */
  private outsideRegistrations(): { regs: HandlerAt[]; owned: boolean }[] {
    const out: { regs: HandlerAt[]; owned: boolean }[] = [];
    for (const file of this.modules.otherFiles()) {
      const text = this.modules.read(file);
      if (!text || !OUTSIDE_TEXT.test(text)) continue;
      const mod = this.modules.loadFile(file, text);
      if (!mod) continue;
      if (!this.modules.importsHome(mod)) continue;
      const regs = registrations(mod.j, mod.root).filter((r) => r.signals.includes('SIGTERM'));
      const env = this.env(mod);
      const helpers = this.helperRegistrations(mod, null, env, 1, new Set());
      const owned = helpers.owned || this.ownedByLibrary(mod, null, env, false);
      if (regs.length || helpers.regs.length || owned) out.push({ regs: [...regs.map((reg) => ({ mod, reg, names: env })), ...helpers.regs], owned });
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Evidence: closes nobody reached, and a server that leaves this file

  /** Every close of a handle in this file, in classes holding one, and in helpers handed one. */
  private closeSites(names: Names, helperFrames: Frame[]): (Place & { what: string; handedTo: string | null })[] {
    const out: (Place & { what: string; handedTo: string | null })[] = [];
    // A close in another signal's handler (SIGINT only) is that signal's
    // shutdown, not one SIGTERM should call: the fixer mirrors it.
    const otherSignals = new Set<Node>();
    for (const r of registrations(this.home.j, this.home.root)) if (!r.signals.includes('SIGTERM') && r.fn) otherSignals.add(r.fn.node);
    const inOtherSignal = (m: ASTPath<Node>) => {
      for (let f = enclosingFunction(m); f; f = enclosingFunction(f)) if (otherSignals.has(f.node)) return true;
      return false;
    };
    const scan = (mod: Mod, scope: ASTPath<Node> | null, env: Names) => {
      const { j } = mod;
      (scope ? j(scope) : mod.root).find(j.MemberExpression).forEach((m) => {
        if (!this.isCloser(mod, m, env) || inOtherSignal(m)) return;
        out.push({ file: mod.file, line: lineOf(m.node), what: this.closeOwner(m, describe(m.node)), handedTo: this.handedTo(mod, m, env) });
      });
    };
    scan(this.home, null, names);
    for (const f of helperFrames) scan(f.mod, f.fn, f.names);
    for (const { cls } of this.fields.values()) if (cls.mod !== this.home) scan(cls.mod, cls.path, this.env(cls.mod));
    return out;
  }

  /** `App.stop()` for a close inside a method, `stop()` inside a named function, else the close itself. */
  private closeOwner(m: ASTPath<Node>, fallback: string): string {
    for (let fn = enclosingFunction(m); fn; fn = enclosingFunction(fn)) {
      const holder = fn.parent?.node;
      const key = fn.node.key ?? (holder?.type === 'ClassProperty' || holder?.type === 'PropertyDefinition' ? holder.key : null);
      const cls = enclosingClass(fn);
      if (cls && key?.type === 'Identifier') return `${cls.node.id?.name ?? 'class'}.${key.name}()`;
      const named = fn.node.id?.name ?? (holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier' ? holder.id.name : null);
      if (named) return `${named}()`;
    }
    return `${fallback}()`;
  }

  /** The callee a close is handed to inside a callback, when shipshape cannot follow that callee. */
  private handedTo(mod: Mod, m: ASTPath<Node>, names: Names): string | null {
    for (let p: ASTPath<Node> | null = enclosingFunction(m); p; p = enclosingFunction(p)) {
      const call = p.parent?.node;
      if ((call?.type !== 'CallExpression' && call?.type !== 'NewExpression') || !(call.arguments as Node[]).includes(p.node)) continue;
      // process.on('SIGUSR2', ...), server.on('close', ...), setTimeout(...): known, not a shutdown hook.
      const r = this.resolve(mod, p.parent, call.callee, names);
      if (r.type === 'dynamic') return r.what;
      if (r.type === 'external' && (r.object === 'package' || r.object === 'unknown') && !/^(on|once|addListener|get|post|put|patch|delete|use|all|route)$/.test(r.name.split('.').pop() ?? '')) return `${r.name}()`;
    }
    return null;
  }

  /** Where a named handle (or the listen result itself) leaves this file's sight, if it does. */
  private escapes(names: Names): (Place & { what: string }) | null {
    const { j, root } = this.home;
    let found: (Place & { what: string }) | null = null;
    const hit = (node: Node, what: string) => (found ??= { file: this.home.file, line: lineOf(node), what });
    // The listen result handed on as is: returned, exported, passed.
    if (this.listenKind()) {
      const { type, node } = this.listenParent();
      if (type === 'return') hit(node, 'returned by its function');
      else if (type === 'other' && node) hit(node, 'handed on where it is made');
    }
    root.find(j.Identifier).forEach((p) => {
      if (found || !names.has(p.node.name)) return;
      const parent = p.parent?.node;
      if (!parent) return;
      if (isMemberNode(parent)) return;
      if ((parent.type === 'ObjectProperty' || parent.type === 'Property') && parent.key === p.node && !parent.shorthand) return;
      if (parent.type === 'ExportSpecifier' || parent.type === 'ExportDefaultDeclaration') return void hit(parent, 'exported');
      if (parent.type === 'VariableDeclarator' && parent.id === p.node) {
        if (p.parent.parent?.parent?.node.type === 'ExportNamedDeclaration') hit(parent, 'exported');
        return;
      }
      if (parent.type === 'ReturnStatement' || (isFunction(parent) && parent.body === p.node)) return void hit(parent, 'returned by its function');
      if (parent.type === 'ArrayExpression') return void hit(parent, 'put in an array');
      if (parent.type === 'AssignmentExpression' && parent.right === p.node && isMemberNode(parent.left) && !isThisMember(parent.left)) return void hit(parent, `stored in ${describe(parent.left)}`);
      if (parent.type === 'ObjectProperty' || parent.type === 'Property') {
        const call = p.parent.parent?.parent?.node;
        const known = (call?.type === 'CallExpression' || call?.type === 'NewExpression') && this.knownCallee(this.home, p.parent.parent.parent, call.callee, names);
        if (!known) hit(parent, 'stored in an object');
        return;
      }
      if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && (parent.arguments as Node[]).includes(p.node)) {
        if (!this.knownCallee(this.home, p.parent, parent.callee, names)) hit(parent, `passed to ${describe(parent.callee)}()`);
      }
    });
    return found;
  }

  /** A callee a handle may be given to without leaving our sight. */
  private knownCallee(mod: Mod, at: ASTPath<Node>, callee: Node, names: Names): boolean {
    const c = unwrap(callee);
    if (this.isSocketIoCtor(mod, c) || this.isLibrary(mod, c, 'stoppable', 'default') || this.isLibrary(mod, c, 'http-terminator', 'createHttpTerminator')) return true;
    if (this.isLibrary(mod, c, '@godaddy/terminus', 'createTerminus') || this.isLibrary(mod, c, 'http-graceful-shutdown', 'default')) return true;
    // ws attaches to the server and never closes one it did not create.
    if (c?.type === 'Identifier' && this.modules.imp(mod, c.name)?.source === 'ws') return true;
    if (isMemberNode(c) && propName(c) === 'Server' && unwrap(c.object)?.type === 'Identifier' && this.modules.imp(mod, unwrap(c.object).name)?.source === 'ws') return true;
    const r = this.resolve(mod, at, c, names);
    if (r.type === 'frame') return true;
    if (r.type === 'external' && (r.object === 'global' || r.object === 'handle')) return BENIGN_GLOBALS.has(r.name.split('.')[0]!) || r.object === 'handle';
    // Loggers: logger.info({ server }) keeps nothing.
    return r.type === 'external' && /^(console|logger|log)\./.test(r.name);
  }
}

/**
 * `server.listen()` where `server = http.createServer(app)`: the site is an
 * Express or Koa app's, but the receiver is the node server itself.
 */
export function receiverIsServer(site: ListenSite): boolean {
  if (site.kind !== 'express' && site.kind !== 'koa') return false;
  const obj = unwrap(unwrap(site.path.node.callee)?.object);
  return initsOf(site.path, obj).some(makesServer);
}

/** What a receiver is set to: its declarator, or for `this.x` the class's `this.x = …` and `x = …` field. */
function initsOf(at: ASTPath<Node>, obj: Node): Node[] {
  if (obj?.type === 'Identifier') {
    const b = safely(() => bindingOf(at, obj.name));
    return b?.node.type === 'VariableDeclarator' && b.node.init ? [b.node.init] : [];
  }
  const cls = isThisMember(obj) ? enclosingClass(at) : null;
  if (!cls) return [];
  const field = propName(obj);
  const out: Node[] = [];
  for (const n of walkNodes(cls.node.body)) {
    if (n.type === 'AssignmentExpression' && isThisMember(n.left) && propName(n.left) === field) out.push(n.right);
    if ((n.type === 'ClassProperty' || n.type === 'PropertyDefinition') && n.value && (n.key?.name ?? n.key?.value) === field) out.push(n.value);
  }
  return out;
}

/** `http.createServer(...)`, through wrappers that return the server they are given: stoppable(), createTerminus(). */
function makesServer(init: Node): boolean {
  for (let e = unwrap(init); e?.type === 'CallExpression'; e = unwrap(e.arguments[0])) {
    const callee = unwrap(e.callee);
    const name = callee?.type === 'Identifier' ? callee.name : propName(callee);
    if (name === 'createServer') return true;
  }
  return false;
}

