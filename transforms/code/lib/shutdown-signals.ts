// Where a module asks to hear SIGTERM/SIGINT: `process.on(...)` (also
// `once`, `addListener`, `prependListener`, and a signal walked from an array
// literal), plus libraries that register the signals themselves and call back
// (close-with-grace, Fastify's recommended shutdown helper). Shared by
// http-graceful-shutdown's matcher and its cross-module reachability pass
// (shutdown-reach.ts), which reads registrations in other modules of the
// service too. Read-only.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { bindingOf, isFunction, isStringLit, propName, requireSource, unwrap, type Node } from './http-server.js';

export interface Registration {
  /** The registering call: `process.on(...)`, `closeWithGrace(...)`. */
  path: ASTPath<Node>;
  signals: string[];
  /** The array literal the signals come from (`['SIGTERM'].forEach(...)`), if any. */
  list: Node | null;
  /** The handler argument as written (a function, a name, `app.stop.bind(app)`). */
  handler: ASTPath<Node> | null;
  /** The handler function and its path, when it is a function of this module. */
  fn: { node: Node; path: ASTPath<Node> } | null;
  /** Registered by a library, not `process.on`: the fixer never mirrors it for SIGINT. */
  library: boolean;
}

const LISTEN_METHODS = new Set(['on', 'once', 'addListener', 'prependListener']);
/** close-with-grace listens to both and calls its last argument. */
const GRACE_SIGNALS = ['SIGTERM', 'SIGINT'];

/** The array literal a loop variable walks: `[..].forEach((sig) => ..)`, `for (const sig of [..])`. */
function loopedSignals(path: ASTPath<Node>, name: string): Node | null {
  for (let p = path.parent; p; p = p.parent) {
    const n = p.node;
    if (isFunction(n) && n.params.some((x: Node) => x.type === 'Identifier' && x.name === name)) {
      const call = p.parent?.node;
      const callee = call?.type === 'CallExpression' ? call.callee : null;
      const list = callee?.type === 'MemberExpression' ? unwrap(callee.object) : null;
      if (propName(callee) === 'forEach' && list?.type === 'ArrayExpression') return list;
      return null;
    }
    // `for (const sig of ['SIGTERM', 'SIGINT'] as const)`
    const list = n.type === 'ForOfStatement' ? unwrap(n.right) : null;
    if (list?.type === 'ArrayExpression') {
      const decl = n.left.type === 'VariableDeclaration' ? n.left.declarations[0]?.id : n.left;
      if (decl?.type === 'Identifier' && decl.name === name) return list;
    }
  }
  return null;
}

/** A function node, or a name bound to a function declaration / function-valued const, seen from `at`. */
export function resolveFunction(at: ASTPath<Node>, node: Node): { node: Node; path: ASTPath<Node> } | null {
  if (isFunction(node)) return { node, path: at };
  if (node?.type !== 'Identifier') return null;
  let b: ASTPath<Node> | null;
  try {
    b = bindingOf(at, node.name);
  } catch {
    return null; // ast-types cannot scan this scope (`catch {}` without a binding)
  }
  if (!b) return null;
  if (b.node.type === 'FunctionDeclaration') return { node: b.node, path: b };
  if (b.node.type === 'VariableDeclarator' && isFunction(b.node.init)) return { node: b.node.init, path: b.get('init') };
  return null;
}

/** Local names bound to close-with-grace's default export (`import closeWithGrace from`, `require()`). */
function graceNames(j: JSCodeshift, root: Collection): Set<string> {
  const out = new Set<string>();
  root.find(j.ImportDeclaration).forEach((p) => {
    if (p.node.source.value !== 'close-with-grace') return;
    for (const s of (p.node.specifiers ?? []) as Node[]) if (s.type !== 'ImportSpecifier') out.add(s.local.name);
  });
  root.find(j.VariableDeclarator).forEach((p) => {
    const id = p.node.id as Node;
    if (id.type === 'Identifier' && requireSource(p.node.init) === 'close-with-grace') out.add(id.name);
  });
  return out;
}

/** Every signal registration under `scope` (the whole module by default), in source order. */
export function registrations(j: JSCodeshift, root: Collection, scope?: ASTPath<Node>): Registration[] {
  const out: Registration[] = [];
  const grace = graceNames(j, root);
  (scope ? j(scope) : root).find(j.CallExpression).forEach((p) => {
    const callee = p.node.callee as Node;
    const args = p.node.arguments as Node[];
    if (callee.type === 'Identifier' && grace.has(callee.name)) {
      const last = args.length - 1;
      if (last < 0) return;
      const handler = p.get('arguments', last);
      out.push({ path: p, signals: GRACE_SIGNALS, list: null, handler, fn: resolveFunction(handler, args[last]), library: true });
      return;
    }
    if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier' || callee.object.name !== 'process') return;
    if (!LISTEN_METHODS.has(propName(callee) ?? '')) return;
    const [sig, handlerNode] = args;
    let signals: string[] = [];
    let list: Node | null = null;
    if (isStringLit(sig)) signals = [sig.value];
    else if (sig?.type === 'Identifier') {
      list = loopedSignals(p, sig.name);
      signals = list ? list.elements.filter(isStringLit).map((e: Node) => e.value) : [];
    }
    if (!signals.length) return;
    const handler = handlerNode ? p.get('arguments', 1) : null;
    out.push({ path: p, signals, list, handler, fn: handler ? resolveFunction(handler, handlerNode) : null, library: false });
  });
  return out;
}
