// One walk per file. Detection used to cost ~200 whole-tree traversals per
// file: every transform and every shared matcher asked `root.find(j.X)` on
// its own. Here the engine walks a tree once, files every node path by its
// type in document order with its subtree span, and, while the index is
// active, jscodeshift's `Collection#find` answers from it: a query for type X
// is the union of the buckets whose type has X as a supertype (so `j.Function`
// works as ast-types defines it), and a query below a path is a range of those
// buckets. Same NodePath objects, same order, same filters as a real
// traversal: transforms and their matchers read the index without knowing it.
//
// An index is only true for an unchanged tree, so the engine activates it for
// detection (read-only by contract) and never while a fixer mutates the tree.
import { createRequire } from 'node:module';
import jscodeshift, { type ASTPath, type Collection } from 'jscodeshift';

const require = createRequire(import.meta.url);
const { fromPaths } = require('jscodeshift/src/Collection.js') as {
  fromPaths(paths: ASTPath[], parent: Collection, type: unknown): Collection;
};
const matchNode = require('jscodeshift/src/matchNode.js') as (node: unknown, filter: unknown) => boolean;

const types = jscodeshift.types;

interface Bucket {
  paths: ASTPath[];
  /** Pre-order number of each path, ascending. */
  order: number[];
}

export class NodeIndex {
  /** Values derived from this tree while it is indexed (shared matchers), by key. */
  readonly memo = new Map<string, unknown>();
  private readonly enter = new Map<ASTPath, number>();
  /** For pre-order number i: one past the number of its last descendant. */
  private readonly exit: number[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly merged = new Map<string, Bucket>();

  constructor(readonly root: Collection) {
    filling = { index: this, counter: 0 };
    try {
      for (const start of root.paths()) indexer.visit(start as never);
    } finally {
      filling = null;
    }
  }

  /** Called by the shared visitor for each node, in document order. */
  add(path: ASTPath, i: number): void {
    this.enter.set(path, i);
    const type = (path.value as { type: string }).type;
    let bucket = this.buckets.get(type);
    if (!bucket) this.buckets.set(type, (bucket = { paths: [], order: [] }));
    bucket.paths.push(path);
    bucket.order.push(i);
  }

  close(i: number, next: number): void {
    this.exit[i] = next;
  }

  /** Every indexed path whose node is of `typeName` or a subtype of it, in document order. */
  private bucketFor(typeName: string): Bucket {
    let bucket = this.merged.get(typeName);
    if (bucket) return bucket;
    const parts: Bucket[] = [];
    for (const [concrete, b] of this.buckets) if (isSubtype(concrete, typeName)) parts.push(b);
    if (parts.length === 1) bucket = parts[0]!;
    else {
      const all: { path: ASTPath; i: number }[] = [];
      for (const b of parts) b.paths.forEach((path, k) => all.push({ path, i: b.order[k]! }));
      all.sort((a, b) => a.i - b.i);
      bucket = { paths: all.map((e) => e.path), order: all.map((e) => e.i) };
    }
    this.merged.set(typeName, bucket);
    return bucket;
  }

  /**
   * `collection.find(type, filter)` from the index, or null when the query
   * reaches outside it (a path of another tree, a type that is not a Node).
   */
  find(collection: Collection, type: { toString(): string }, filter: unknown): Collection | null {
    const typeName = type.toString();
    if (!isNodeType(typeName)) return null;
    const starts = collection.paths();
    const spans: [number, number][] = [];
    for (const p of starts) {
      const i = this.enter.get(p);
      if (i === undefined) return null;
      spans.push([i + 1, this.exit[i]!]);
    }
    const bucket = this.bucketFor(typeName);
    const found: ASTPath[] = [];
    for (const [from, to] of spans) {
      for (let k = lowerBound(bucket.order, from); k < bucket.order.length && bucket.order[k]! < to; k++) {
        const path = bucket.paths[k]!;
        if (!filter || matchNode(path.value, filter)) found.push(path);
      }
    }
    return fromPaths(found, collection, type);
  }
}

// One visitor for every index: ast-types computes a visitor's method table
// per visitor, which cost as much as the walk when made per file.
let filling: { index: NodeIndex; counter: number } | null = null;
const indexer = types.PathVisitor.fromMethodsObject({
  visitNode(path: ASTPath) {
    const state = filling!;
    const i = state.counter++;
    state.index.add(path, i);
    this.traverse(path);
    state.index.close(i, state.counter);
  },
});

// Per concrete type, its supertypes: asked for every bucket of every query of
// every index, so a set lookup, not a string key built per question.
const supertypeSets = new Map<string, Set<string>>();
function isSubtype(concrete: string, of: string): boolean {
  if (concrete === of) return true;
  let supers = supertypeSets.get(concrete);
  if (!supers) supertypeSets.set(concrete, (supers = new Set(types.getSupertypeNames(concrete))));
  return supers.has(of);
}

const nodeTypes = new Map<string, boolean>();
function isNodeType(name: string): boolean {
  let yes = nodeTypes.get(name);
  if (yes === undefined) {
    try {
      yes = name === 'Node' || types.getSupertypeNames(name).includes('Node');
    } catch {
      yes = false;
    }
    nodeTypes.set(name, yes);
  }
  return yes;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

let active: NodeIndex | null = null;

type FindFn = (this: Collection, type: { toString(): string }, filter?: unknown) => Collection;

/** Routes jscodeshift's `find` through the active index; installed once per process. */
function install(): void {
  const proto = Object.getPrototypeOf(jscodeshift('')) as { find: FindFn & { typedRegistrations?: Record<string, FindFn> } };
  const registrations = proto.find.typedRegistrations;
  const original = registrations?.Node;
  if (!registrations || !original || (original as { indexed?: boolean }).indexed) return;
  const indexed: FindFn = function (this: Collection, type, filter) {
    return (active && active.find(this, type, filter)) ?? programOf(this, type, filter) ?? original.call(this, type, filter);
  };
  (indexed as { indexed?: boolean }).indexed = true;
  registrations.Node = indexed;
}
install();

const built = new WeakMap<Collection, NodeIndex>();

/**
 * Runs `fn` with `root`'s tree indexed; the tree must not change inside `fn`.
 * The index is built on first use and kept for the tree's later read-only
 * passes (inventory facts, then detection) until `forgetIndex`.
 */
export function withIndex<T>(root: Collection, fn: () => T): T {
  const outer = active;
  let index = built.get(root);
  if (!index) built.set(root, (index = new NodeIndex(root)));
  active = index;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/**
 * `root.find(j.Program)` from a parsed file is its one Program: the code that
 * asks it (insert points, the top-level body) needs no walk, indexed or not.
 */
function programOf(collection: Collection, type: { toString(): string }, filter: unknown): Collection | null {
  if (filter || type.toString() !== 'Program') return null;
  const paths = collection.paths();
  if (paths.length !== 1 || (paths[0]!.value as { type?: string }).type !== 'File') return null;
  return fromPaths([paths[0]!.get('program') as ASTPath], collection, type);
}

/**
 * Runs a read-only pass over `root` (a fixer's analysis before it edits):
 * inside detection the tree's index is already active; in a fixer, whose
 * earlier edits make any older index stale, a fresh one is built for `fn`
 * and dropped after it, since edits may follow.
 */
export function readOnly<T>(root: Collection, fn: () => T): T {
  if (active?.root === root) return fn();
  const outer = active;
  active = new NodeIndex(root);
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/**
 * A value derived from `root` (a matcher several transforms build), made once
 * per indexed state of the tree; made afresh when `root` is not indexed.
 */
export function memoized<T>(root: Collection, key: string, make: () => T): T {
  if (active?.root !== root) return make();
  if (!active.memo.has(key)) active.memo.set(key, make());
  return active.memo.get(key) as T;
}

/** Drops `root`'s index: called before anything mutates the tree. */
export function forgetIndex(root: Collection): void {
  built.delete(root);
}
