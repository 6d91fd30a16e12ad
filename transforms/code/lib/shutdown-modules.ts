// The service's own modules as shutdown-reach.ts follows them: relative
// imports resolved and parsed once (resolveModule / parseModule of
// http-server.ts), never a package, never outside the service's directory,
// at most MAX_MODULES of them; what a name is bound to (a function, a class,
// an import, a parameter); what a module exports (ESM and CommonJS); the
// methods of a class and its superclasses. Nothing here knows about servers.
// Read-only.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type { CodeContext } from '../../../src/engine/types.js';
import { importOf, isFunction, isStringLit, parseModule, propName, requireSource, resolveModule, unwrap, type Node } from './http-server.js';

/** Modules parsed for one question, at most. */
const MAX_MODULES = 40;
const TEST_FILE = /(^|\/)(__tests__|__mocks__|tests?)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

export interface Mod {
  file: string;
  j: JSCodeshift;
  root: Collection;
}

export interface ClassRef {
  mod: Mod;
  path: ASTPath<Node>;
}

/** What a name is bound to, as far as reaching a close is concerned. */
export type Bound =
  | { type: 'function'; mod: Mod; fn: ASTPath<Node> }
  | { type: 'class'; cls: ClassRef }
  | { type: 'module'; mod: Mod }
  | { type: 'value'; mod: Mod; declarator: ASTPath<Node> }
  | { type: 'package'; source: string; imported: string }
  /** A parameter, loop or catch variable: any value at all. */
  | { type: 'param' }
  | { type: 'global'; name: string }
  /** A relative module we may not or could not read. */
  | { type: 'unread' };

export const isThisMember = (n: Node) => (n?.type === 'MemberExpression' || n?.type === 'OptionalMemberExpression') && n.object.type === 'ThisExpression' && !!propName(n);
export const isMemberNode = (n: Node) => n?.type === 'MemberExpression' || n?.type === 'OptionalMemberExpression';

export function enclosingClass(at: ASTPath<Node>): ASTPath<Node> | null {
  for (let p: ASTPath<Node> | null = at.parent; p; p = p.parent) if (p.node.type === 'ClassBody') return p.parent;
  return null;
}

/** The function a path sits in (itself excluded). */
export function enclosingFunction(at: ASTPath<Node>): ASTPath<Node> | null {
  for (let p: ASTPath<Node> | null = at.parent; p; p = p.parent) if (isFunction(p.node)) return p;
  return null;
}

/** The identifier path that declares `name` as seen from `at` (ast-types scopes); throws where ast-types does. */
function scopeBinding(at: ASTPath<Node>, name: string): ASTPath<Node> | undefined {
  const scope = (at as unknown as { scope?: { lookup(n: string): { getBindings(): Record<string, ASTPath<Node>[]> } | null } }).scope;
  return scope?.lookup(name)?.getBindings()[name]?.[0];
}

/** `fn()`, or null when ast-types cannot scan a scope on the way. */
export function safely<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** Every node under `node`, functions included. */
export function walkNodes(node: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (typeof n.type !== 'string') return;
    out.push(n);
    for (const key of Object.keys(n)) if (key !== 'loc' && key !== 'comments' && key !== 'tokens' && key !== 'original') visit(n[key]);
  };
  visit(node);
  return out;
}

/** True when a module has an ESM export or assigns `module.exports` / `exports.x`. */
export function exportsAnything(mod: Mod): boolean {
  const { j, root } = mod;
  if (root.find(j.ExportNamedDeclaration).size() || root.find(j.ExportDefaultDeclaration).size() || root.find(j.ExportAllDeclaration).size()) return true;
  return root.find(j.AssignmentExpression).some((p) => {
    let target = p.node.left as Node;
    while (isMemberNode(target)) target = target.object;
    return target?.type === 'Identifier' && (target.name === 'exports' || (target.name === 'module' && propName(p.node.left) !== null));
  });
}

/** Relative module specifiers a module imports, requires or imports dynamically. */
function relativeSources(mod: Mod): string[] {
  const { j, root } = mod;
  const out: string[] = [];
  root.find(j.ImportDeclaration).forEach((p) => void out.push(String(p.node.source.value)));
  root.find(j.ExportNamedDeclaration).forEach((p) => void (p.node.source && out.push(String(p.node.source.value))));
  root.find(j.ExportAllDeclaration).forEach((p) => void out.push(String(p.node.source.value)));
  root.find(j.CallExpression).forEach((p) => {
    const callee = p.node.callee as Node;
    const arg = (p.node.arguments as Node[])[0];
    if ((callee.type === 'Import' || (callee.type === 'Identifier' && callee.name === 'require')) && isStringLit(arg)) out.push(arg.value);
  });
  return out.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

export class ServiceModules {
  readonly home: Mod;
  private readonly mods = new Map<string, Mod | null>();
  private readonly importCache = new Map<Mod, Map<string, { source: string; imported: string } | null>>();

  constructor(private readonly ctx: Pick<CodeContext, 'path' | 'j' | 'root' | 'workspace' | 'service'>) {
    this.home = { file: ctx.path, j: ctx.j, root: ctx.root };
    this.mods.set(ctx.path, this.home);
  }

  /** The service's other code files (tests left out), for registrations made outside this file. */
  otherFiles(): string[] {
    if (!this.ctx.service) return [];
    return this.ctx.workspace.paths('code').filter((f) => f !== this.home.file && this.inService(f) && !TEST_FILE.test(f));
  }

  read(file: string): string | undefined {
    return this.ctx.workspace.read(file);
  }

  /** Where a module-level name is imported from (import or require), once per module and name. */
  imp(mod: Mod, name: string): { source: string; imported: string } | null {
    let cache = this.importCache.get(mod);
    if (!cache) this.importCache.set(mod, (cache = new Map()));
    if (!cache.has(name)) cache.set(name, importOf(mod.j, mod.root, name));
    return cache.get(name)!;
  }


  inService(file: string): boolean {
    if (file.split('/').includes('node_modules')) return false;
    const dir = this.ctx.service?.dir;
    return !dir || dir === '.' || file.startsWith(`${dir}/`);
  }

  /** The service's own module `spec` imported from `from`, parsed once; null for packages and unreadable files. */
  load(from: Mod, spec: string): Mod | null {
    if (!spec.startsWith('./') && !spec.startsWith('../')) return null;
    const ref = resolveModule(this.ctx, from.file, spec);
    if (!ref || !this.inService(ref.file)) return null;
    return this.loadFile(ref.file, ref.text);
  }

  loadFile(file: string, text?: string): Mod | null {
    if (this.mods.has(file)) return this.mods.get(file)!;
    if (this.mods.size >= MAX_MODULES) return null;
    const src = text ?? this.ctx.workspace.read(file);
    const parsed = src === undefined ? null : parseModule({ file, text: src });
    const mod = parsed ? { file, j: parsed.j, root: parsed.root } : null;
    this.mods.set(file, mod);
    return mod;
  }

  /** What `name` is bound to where `at` sees it. */
  lookup(mod: Mod, at: ASTPath<Node>, name: string): Bound {
    let id: ASTPath<Node> | undefined;
    try {
      id = scopeBinding(at, name);
    } catch {
      // ast-types cannot scan some scopes (`catch {}` without a binding):
      // fall back on the module's own top-level declarations.
      return this.topLevel(mod, name, 0) ?? { type: 'global', name };
    }
    if (!id) return { type: 'global', name };
    const parent = id.parent;
    const pn = parent?.node;
    if (!pn) return { type: 'param' };
    if (pn.type === 'ImportSpecifier' || pn.type === 'ImportDefaultSpecifier' || pn.type === 'ImportNamespaceSpecifier') {
      const source = String(parent.parent.node.source.value);
      const imported = pn.type === 'ImportSpecifier' ? (pn.imported.name ?? pn.imported.value) : pn.type === 'ImportDefaultSpecifier' ? 'default' : '*';
      return this.imported(mod, source, imported);
    }
    if (pn.type === 'FunctionDeclaration' && pn.id === id.node) return { type: 'function', mod, fn: parent };
    if ((pn.type === 'ClassDeclaration' || pn.type === 'ClassExpression') && pn.id === id.node) return { type: 'class', cls: { mod, path: parent } };
    // Walk up to the declarator when the name sits in a pattern.
    let p: ASTPath<Node> | null = id;
    while (p && p.node.type !== 'VariableDeclarator' && !isFunction(p.node) && p.node.type !== 'CatchClause' && p.node.type !== 'Program') p = p.parent;
    if (!p || p.node.type !== 'VariableDeclarator') return { type: 'param' };
    const loop = p.parent?.parent?.node;
    if (loop && /^For(Of|In)Statement$/.test(loop.type) && loop.left === p.parent.node) return { type: 'param' };
    const init = unwrap(p.node.init);
    const src = requireSource(init);
    if (src !== null) {
      if (p.node.id.type === 'Identifier') return this.imported(mod, src, isMemberNode(init) ? (propName(init) ?? 'default') : 'default');
      const prop = (p.node.id.properties as Node[]).find((x) => x.value?.type === 'Identifier' && x.value.name === name);
      return this.imported(mod, src, prop?.key?.name ?? prop?.key?.value ?? 'default');
    }
    return this.declared(mod, p);
  }

  declared(mod: Mod, declarator: ASTPath<Node>): Bound {
    const init = declarator.node.init;
    if (isFunction(init)) return { type: 'function', mod, fn: declarator.get('init') };
    if (init?.type === 'ClassExpression') return { type: 'class', cls: { mod, path: declarator.get('init') } };
    return { type: 'value', mod, declarator };
  }

  imported(mod: Mod, source: string, imported: string, depth = 0): Bound {
    if (!source.startsWith('./') && !source.startsWith('../')) return { type: 'package', source, imported };
    const target = this.load(mod, source);
    if (!target) return { type: 'unread' };
    if (imported === '*') return { type: 'module', mod: target };
    return this.exportOf(target, imported, depth) ?? (imported === 'default' ? { type: 'module', mod: target } : { type: 'unread' });
  }

  /** A top-level declaration of `name` in a module. */
  topLevel(mod: Mod, name: string, depth: number): Bound | null {
    const body = mod.root.find(mod.j.Program).get('body') as ASTPath<Node>;
    for (let i = 0; i < body.value.length; i++) {
      let stmt = body.get(i) as ASTPath<Node>;
      if ((stmt.node.type === 'ExportNamedDeclaration' || stmt.node.type === 'ExportDefaultDeclaration') && stmt.node.declaration) stmt = stmt.get('declaration');
      const n = stmt.node;
      if (n.type === 'FunctionDeclaration' && n.id?.name === name) return { type: 'function', mod, fn: stmt };
      if (n.type === 'ClassDeclaration' && n.id?.name === name) return { type: 'class', cls: { mod, path: stmt } };
      if (n.type === 'VariableDeclaration') {
        const k = (n.declarations as Node[]).findIndex((d) => d.id?.type === 'Identifier' && d.id.name === name);
        if (k >= 0) {
          const d = stmt.get('declarations', k);
          const src = requireSource(unwrap(d.node.init));
          return src !== null ? this.imported(mod, src, 'default', depth + 1) : this.declared(mod, d);
        }
      }
      if (n.type === 'ImportDeclaration') {
        for (const s of (n.specifiers ?? []) as Node[]) {
          if (s.local?.name !== name) continue;
          const imported = s.type === 'ImportSpecifier' ? (s.imported.name ?? s.imported.value) : s.type === 'ImportDefaultSpecifier' ? 'default' : '*';
          return depth < 3 ? this.imported(mod, String(n.source.value), imported, depth + 1) : null;
        }
      }
    }
    return null;
  }

  /** What module `mod` exports as `name`: ESM exports, re-exports, `module.exports` / `exports.x`. */
  exportOf(mod: Mod, name: string, depth: number): Bound | null {
    if (depth > 3) return null;
    const { j, root } = mod;
    const body = root.find(j.Program).get('body') as ASTPath<Node>;
    const expr = (p: ASTPath<Node>): Bound | null => {
      const n = unwrap(p.node);
      if (isFunction(n)) return { type: 'function', mod, fn: p };
      if (n?.type === 'ClassDeclaration' || n?.type === 'ClassExpression') return { type: 'class', cls: { mod, path: p } };
      if (n?.type === 'Identifier') return this.topLevel(mod, n.name, depth);
      return null;
    };
    for (let i = 0; i < body.value.length; i++) {
      const stmt = body.get(i) as ASTPath<Node>;
      const n = stmt.node;
      if (n.type === 'ExportNamedDeclaration') {
        const d = n.declaration;
        if ((d?.type === 'FunctionDeclaration' || d?.type === 'ClassDeclaration') && d.id?.name === name) return expr(stmt.get('declaration'));
        if (d?.type === 'VariableDeclaration') {
          const k = (d.declarations as Node[]).findIndex((x) => x.id?.type === 'Identifier' && x.id.name === name);
          if (k >= 0) return this.declared(mod, stmt.get('declaration', 'declarations', k));
        }
        for (const s of (n.specifiers ?? []) as Node[]) {
          const exported = s.exported?.name ?? s.exported?.value;
          if (exported !== name) continue;
          const local = s.local?.name ?? exported;
          if (n.source) return this.imported(mod, String(n.source.value), local, depth + 1);
          return this.topLevel(mod, local, depth);
        }
      }
      if (n.type === 'ExportDefaultDeclaration' && name === 'default') return expr(stmt.get('declaration'));
      if (n.type === 'ExportAllDeclaration' && n.source && !n.exported) {
        const b = this.imported(mod, String(n.source.value), name, depth + 1);
        if (b.type !== 'unread') return b;
      }
      if (n.type === 'ExpressionStatement' && n.expression.type === 'AssignmentExpression') {
        const left = n.expression.left;
        const right = stmt.get('expression', 'right');
        const isModuleExports = (x: Node) => isMemberNode(x) && x.object?.type === 'Identifier' && x.object.name === 'module' && propName(x) === 'exports';
        const isExports = (x: Node) => (x?.type === 'Identifier' && x.name === 'exports') || isModuleExports(x);
        if (isModuleExports(left)) {
          if (name === 'default') return expr(right) ?? { type: 'module', mod };
          const obj = unwrap(right.node);
          if (obj?.type === 'ObjectExpression') {
            const k = (obj.properties as Node[]).findIndex((x) => (x.key?.name ?? x.key?.value) === name);
            if (k >= 0) {
              const prop = obj.properties[k];
              if (isFunction(prop)) return { type: 'function', mod, fn: right.get('properties', k) };
              return expr(right.get('properties', k, 'value'));
            }
          }
        }
        if (isMemberNode(left) && isExports(left.object) && propName(left) === name) return expr(right);
      }
    }
    return null;
  }

  /** The class a `new X(...)` or a type names, local or imported from the service. */
  classOf(mod: Mod, at: ASTPath<Node>, callee: Node): ClassRef | null {
    const c = unwrap(callee);
    if (c?.type === 'Identifier') {
      const b = this.lookup(mod, at, c.name);
      return b.type === 'class' ? b.cls : null;
    }
    if (isMemberNode(c) && unwrap(c.object)?.type === 'Identifier') {
      const b = this.lookup(mod, at, unwrap(c.object).name);
      if (b.type !== 'module') return null;
      const x = this.exportOf(b.mod, propName(c) ?? '', 0);
      return x?.type === 'class' ? x.cls : null;
    }
    return null;
  }

  /** A method (or arrow-valued property) of a class or its superclasses. */
  method(cls: ClassRef, name: string, depth: number): { mod: Mod; fn: ASTPath<Node> } | null {
    const members = cls.path.get('body', 'body') as ASTPath<Node>;
    for (let i = 0; i < members.value.length; i++) {
      const m = members.get(i) as ASTPath<Node>;
      const key = m.node.key?.name ?? m.node.key?.value;
      if (key !== name) continue;
      if (m.node.type === 'ClassMethod' || m.node.type === 'ClassPrivateMethod') return { mod: cls.mod, fn: m };
      if (m.node.type === 'MethodDefinition') return { mod: cls.mod, fn: m.get('value') };
      if ((m.node.type === 'ClassProperty' || m.node.type === 'PropertyDefinition') && isFunction(m.node.value)) return { mod: cls.mod, fn: m.get('value') };
    }
    const sup = cls.path.node.superClass;
    if (sup && depth < 3) {
      const parent = this.classOf(cls.mod, cls.path, sup);
      if (parent) return this.method(parent, name, depth + 1);
    }
    return null;
  }

  /** The class of an instance held in `this.field` (`this.http = new HttpServer()`, a typed field or parameter property). */
  fieldClass(cls: ClassRef, field: string): ClassRef | null {
    const { j } = cls.mod;
    let found: ClassRef | null = null;
    const byType = (at: ASTPath<Node>, ann: Node) => {
      const t = ann?.typeAnnotation;
      if (!found && t?.type === 'TSTypeReference' && t.typeName.type === 'Identifier') found = this.classOf(cls.mod, at, t.typeName);
    };
    j(cls.path)
      .find(j.AssignmentExpression)
      .forEach((p) => {
        const left = p.node.left as Node;
        const right = unwrap(p.node.right);
        if (!found && isThisMember(left) && propName(left) === field && right?.type === 'NewExpression') found = this.classOf(cls.mod, p, right.callee);
      });
    j(cls.path)
      .find(j.ClassProperty)
      .forEach((p) => {
        if ((p.node.key as Node).name !== field) return;
        const v = unwrap(p.node.value);
        if (!found && v?.type === 'NewExpression') found = this.classOf(cls.mod, p, v.callee);
        byType(p, p.node.typeAnnotation);
      });
    j(cls.path)
      .find(j.TSParameterProperty)
      .forEach((p) => {
        const param = p.node.parameter as Node;
        if (param.type === 'Identifier' && param.name === field) byType(p, param.typeAnnotation);
      });
    return found;
  }

  /** The instance's class for `obj.m()`: `const app = new App()` (or assigned later), exported instances included. */
  instanceClass(mod: Mod, at: ASTPath<Node>, name: string): ClassRef | null {
    const b = this.lookup(mod, at, name);
    const fromValue = (m: Mod, declarator: ASTPath<Node>): ClassRef | null => {
      const init = unwrap(declarator.node.init);
      if (init?.type === 'NewExpression') return this.classOf(m, declarator, init.callee);
      // `let app: App;` then `app = new App()` somewhere in the module.
      let found: ClassRef | null = null;
      const id = declarator.node.id;
      if (id?.type !== 'Identifier') return null;
      m.root.find(m.j.AssignmentExpression).forEach((p) => {
        const right = unwrap(p.node.right);
        if (!found && (p.node.left as Node).type === 'Identifier' && (p.node.left as Node).name === id.name && right?.type === 'NewExpression') found = this.classOf(m, p, right.callee);
      });
      if (!found && id.typeAnnotation) {
        const t = id.typeAnnotation.typeAnnotation;
        if (t?.type === 'TSTypeReference' && t.typeName.type === 'Identifier') found = this.classOf(m, declarator, t.typeName);
      }
      return found;
    };
    return b.type === 'value' ? fromValue(b.mod, b.declarator) : null;
  }

  /** True when `start` reaches the home module through relative imports (or `require`, `import()`). */
  importsHome(start: Mod): boolean {
    const seen = new Set([start.file]);
    const queue = [start];
    while (queue.length) {
      const mod = queue.shift()!;
      for (const spec of relativeSources(mod)) {
        const next = this.load(mod, spec);
        if (!next) continue;
        if (next === this.home) return true;
        if (!seen.has(next.file)) {
          seen.add(next.file);
          queue.push(next);
        }
      }
    }
    return false;
  }
}
