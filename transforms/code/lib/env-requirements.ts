// Which environment variables a module needs, and whether its service checks
// them at startup. Read-only; require-env-at-startup builds on it.
//
// A variable is *required* when it is read with no default (`process.env.X`,
// `process.env.X as string`, `process.env.A || process.env.B`) and its name
// says it is a URL or a secret, when a check throws without it, or when its
// default is a localhost URL (fine on a laptop, wrong in a container) — written
// inline, in a module constant (`|| DEFAULT_URL`) or as the else branch of
// `process.env.X ? process.env.X : 'http://localhost:…'`. It is *covered* when
// startup code checks it: the audit's `requiredEnvVars` block, a module-level
// `if (!process.env.X) ...exit/throw`, or such a check inside a function that
// startup code calls (`initialize()` from `main()`).
// Code in the branch a container never takes (`isProd ? url : url ||
// 'http://localhost'`, `if (process.env.NODE_ENV !== 'production')`) is local
// development and requires nothing; a read in the branch it does take is
// required under that branch's condition.
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import { envName } from '../../../src/workspace/code-facts.js';
import { lineOf } from './snippet.js';
import {
  descendants,
  enclosingFunction,
  failsHard,
  idName,
  isFunction,
  localFunctions,
  memberCall,
  programBody,
  runsAtStartup,
  sourceOf,
  startupScopes,
  stringValue,
  unexported,
  unwrap,
  type AnyNode,
} from './worker-ast.js';

export type EnvRule = 'missing-env-validation' | 'env-checked-late' | 'localhost-default-in-container';

/**
 * Variables a program reads but never needs set, port variables (port-from-env's
 * concern) and browser build-time variables (inlined by the bundler, not read at runtime).
 */
const OPTIONAL_ENV = new Set(['NODE_ENV', 'PORT', 'HOST', 'DOCKER', 'DEBUG', 'LOG_LEVEL', 'TZ', 'CI', 'HOSTNAME', 'HOME', 'PATH', 'PWD']);
const OPTIONAL_NAME = /(^|_)PORT$|^npm_|^(NEXT_PUBLIC|VITE|REACT_APP)_/;
/** Names that hold a URL or a secret: read without a default, they are required. */
export const REQUIRED_NAME = /(^|_)(URL|URI|SECRET|TOKEN|PASSWORD|KEY|DSN)$/;
/** A service's own "am I in a container" flag, e.g. `process.env.DOCKER === 'true'`. */
const CONTAINER_FLAGS = new Set(['DOCKER', 'IN_DOCKER', 'IS_DOCKER', 'RUNNING_IN_DOCKER', 'CONTAINER', 'IN_CONTAINER', 'IS_CONTAINER', 'RUNNING_IN_CONTAINER']);
export const DEFAULT_CONTAINER_FLAG = "process.env.NODE_ENV === 'production'";
/** NODE_ENV values: the ones a container runs with, and the ones it never does. */
const CONTAINER_ENVS = new Set(['production', 'prod', 'staging']);
const LOCAL_ENVS = new Set(['development', 'dev', 'local', 'test']);
const LOCALHOST = /^(?:[a-z][\w+.-]*:\/\/)?(?:[^@/\s]*@)?(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0)(?::\d+)?(?:[/?#,]|$)/i;

export interface Requirement {
  rule: EnvRule;
  /** Any one of them satisfies it (`MONGO_URI || MONGODB_URI`). */
  names: string[];
  /** Source of the condition under which it is required (a container flag), null for always. */
  when: string | null;
  line: number;
  /** The localhost default, for messages. */
  fallback?: string;
}

/** The startup check the module already has, in the audit's shape. */
export interface ValidationBlock {
  /** `const requiredEnvVars = ['A', 'B']`: the array literal. */
  array: AnyNode | null;
  /** `missingVars` in `const missingVars = requiredEnvVars.filter(...)` or `const missingVars = []`. */
  missing: string | null;
  /** The top-level `if (missingVars.length > 0) { ...exit }` statement. */
  report: AnyNode | null;
}

export interface EnvAnalysis {
  /** Required variables no startup code checks, one per variable group and rule, first read first. */
  requirements: Requirement[];
  /** Names checked at startup. */
  covered: Set<string>;
  block: ValidationBlock;
  /** Source of the container condition: the file's own flag, else NODE_ENV production. */
  containerFlag: string;
}

function optional(name: string): boolean {
  return OPTIONAL_ENV.has(name) || OPTIONAL_NAME.test(name);
}

const WRAPPERS = new Set(['TSAsExpression', 'TSNonNullExpression', 'ParenthesizedExpression', 'TSSatisfiesExpression', 'TSTypeAssertion']);

/** A `||`/`??` chain around an env read: the variables it tries in order and what it falls back to. */
interface Chain {
  top: ASTPath;
  names: string[];
  fallback: AnyNode | null;
  /** The local that holds the value, for `const { X } = process.env`. */
  local?: string;
}

function chainOf(read: ASTPath): Chain {
  let top = read;
  for (;;) {
    const parent = top.parent as ASTPath | null;
    const pn = parent?.node as AnyNode | undefined;
    if (pn && (WRAPPERS.has(pn.type) || (pn.type === 'LogicalExpression' && (pn.operator === '||' || pn.operator === '??')))) top = parent!;
    else break;
  }
  const operands: AnyNode[] = [];
  const flatten = (n: AnyNode) => {
    const u = unwrap(n);
    if (u.type === 'LogicalExpression' && (u.operator === '||' || u.operator === '??')) {
      flatten(u.left);
      flatten(u.right);
    } else operands.push(u);
  };
  flatten(top.node as AnyNode);
  const names: string[] = [];
  let fallback: AnyNode | null = null;
  for (const o of operands) {
    const name = envName(o);
    if (name) {
      if (!fallback && !optional(name)) names.push(name);
    } else fallback ??= o;
  }
  return { top, names, fallback };
}

/** `process.env.X ? process.env.X : fallback` is `process.env.X || fallback` written out. */
function conditionalChain(chain: Chain): Chain {
  const parent = chain.top.parent as ASTPath | null;
  const cond = parent?.node as AnyNode | undefined;
  if (cond?.type !== 'ConditionalExpression' || cond.test !== chain.top.node || chain.fallback || chain.names.length === 0) return chain;
  const again = envName(unwrap(cond.consequent));
  return again && chain.names.includes(again) ? { top: parent!, names: chain.names, fallback: cond.alternate } : chain;
}

/** Where a chain's value goes: tested (`if (process.env.X)`, `!x`, `x === 'y'`) or used. */
function isTest(chain: Chain): boolean {
  const parent = chain.top.parent?.node as AnyNode | undefined;
  const node = chain.top.node;
  if (!parent) return false;
  if (parent.type === 'UnaryExpression' || parent.type === 'BinaryExpression') return true;
  if (parent.type === 'LogicalExpression' && parent.operator === '&&') return true;
  if ((parent.type === 'IfStatement' || parent.type === 'ConditionalExpression' || parent.type === 'WhileStatement') && parent.test === node) return true;
  return false;
}

type Fallback = { kind: 'none' } | { kind: 'localhost'; value: string } | { kind: 'guarded'; when: AnyNode; negate: boolean } | { kind: 'default' };

function isEmpty(n: AnyNode | null): boolean {
  const u = n && unwrap(n);
  return !u || stringValue(u) === '' || u.type === 'NullLiteral' || idName(u) === 'undefined' || (u.type === 'Literal' && u.value === null);
}

/** The text of a string or template literal, template holes left out (`http://localhost:${port}` → `http://localhost:`). */
function literalText(n: AnyNode | null): string | null {
  if (!n) return null;
  return stringValue(n) ?? (n.type === 'TemplateLiteral' ? n.quasis.map((q: AnyNode) => q.value.cooked).join('') : null);
}

/** Resolves a name to the module-level `const` it denotes at a path, or null. */
type ConstOf = (at: ASTPath, name: string) => AnyNode | null;

function classify(fallback: AnyNode | null, at?: ASTPath, constOf?: ConstOf): Fallback {
  if (isEmpty(fallback)) return { kind: 'none' };
  const f = unwrap(fallback);
  // `|| DEFAULT_TRAINER_URL`: a module constant holding the localhost URL.
  const named = idName(f) && at && constOf ? constOf(at, f.name) : null;
  const text = literalText(f) ?? literalText(named);
  if (text !== null && LOCALHOST.test(text)) return { kind: 'localhost', value: text };
  if (f.type === 'ConditionalExpression') {
    if (isEmpty(f.consequent)) return { kind: 'guarded', when: f.test, negate: false };
    if (isEmpty(f.alternate)) return { kind: 'guarded', when: f.test, negate: true };
  }
  return { kind: 'default' };
}

function conditionSource(j: JSCodeshift, when: AnyNode, negate: boolean): string {
  const src = sourceOf(j, when);
  return negate ? `!(${src})` : src;
}

/** The file's container flag comparison, e.g. `process.env.DOCKER === 'true'`. */
function containerFlag(j: JSCodeshift, root: Collection): string {
  const found = root
    .find(j.BinaryExpression)
    .filter((p) => ['===', '=='].includes(p.node.operator) && [p.node.left, p.node.right].some((side) => CONTAINER_FLAGS.has(envName(side) ?? '')))
    .nodes()[0];
  return found ? sourceOf(j, found) : DEFAULT_CONTAINER_FLAG;
}

/** Module-level `const` initialisers by name: what a name means when nothing shadows it. */
function moduleConsts(j: JSCodeshift, root: Collection): ConstOf {
  const consts = new Map<string, AnyNode>();
  for (const s of programBody(j, root)) {
    const decl = unexported(s);
    if (decl.type === 'VariableDeclaration' && decl.kind === 'const')
      for (const d of decl.declarations as AnyNode[]) if (idName(d.id) && d.init) consts.set(d.id.name, unwrap(d.init));
  }
  return (at, name) => {
    const init = consts.get(name);
    if (!init) return null;
    const declaring = (at as { scope?: { lookup(n: string): { isGlobal?: boolean } | null } }).scope?.lookup(name);
    return !declaring || declaring.isGlobal ? init : null;
  };
}

/**
 * Whether a test holds in a container: true for `process.env.NODE_ENV ===
 * 'production'`, `process.env.DOCKER === 'true'`, `!isLocal`; false for
 * `NODE_ENV !== 'production'`, `NODE_ENV === 'development'`; null when it is no
 * container test. Names are followed to the module constant they hold.
 */
function containerPolarity(test: AnyNode, at: ASTPath, constOf: ConstOf, depth = 0): boolean | null {
  const t = unwrap(test);
  if (depth > 3) return null;
  if (t.type === 'UnaryExpression' && t.operator === '!') {
    const inner = containerPolarity(t.argument, at, constOf, depth + 1);
    return inner === null ? null : !inner;
  }
  if (CONTAINER_FLAGS.has(envName(t) ?? '')) return true;
  if (idName(t)) {
    const init = constOf(at, t.name);
    return init ? containerPolarity(init, at, constOf, depth + 1) : null;
  }
  if (t.type !== 'BinaryExpression' || !['===', '==', '!==', '!='].includes(t.operator)) return null;
  const negated = t.operator.startsWith('!');
  const [env, other] = envName(t.left) ? [envName(t.left), stringValue(t.right)] : [envName(t.right), stringValue(t.left)];
  if (!env || other === null) return null;
  let holds: boolean | null = null;
  if (env === 'NODE_ENV') holds = CONTAINER_ENVS.has(other) ? true : LOCAL_ENVS.has(other) ? false : null;
  else if (CONTAINER_FLAGS.has(env)) holds = ['true', '1', 'yes'].includes(other) ? true : ['false', '0', 'no', ''].includes(other) ? false : null;
  return holds === null ? null : holds !== negated;
}

/** The source of a container test, followed through constants so it reads the same in any file. */
function containerSource(j: JSCodeshift, test: AnyNode, at: ASTPath, constOf: ConstOf, negate = false): string {
  const t = unwrap(test);
  const init = idName(t) ? constOf(at, t.name) : null;
  if (init) return containerSource(j, init, at, constOf, negate);
  if (t.type === 'UnaryExpression' && t.operator === '!') return containerSource(j, t.argument, at, constOf, !negate);
  if (negate && t.type === 'BinaryExpression' && NEGATED[t.operator]) return `${sourceOf(j, t.left)} ${NEGATED[t.operator]} ${sourceOf(j, t.right)}`;
  const src = sourceOf(j, t);
  return negate ? `!${/^[\w$.]+$/.test(src) ? src : `(${src})`}` : src;
}

const NEGATED: Record<string, string> = { '===': '!==', '!==': '===', '==': '!=', '!=': '==' };

/**
 * The container branch a path sits in: 'local' inside a branch a container
 * never takes, else the source of the innermost container condition whose
 * branch holds it, else null.
 */
function containerBranch(j: JSCodeshift, path: ASTPath, constOf: ConstOf): 'local' | { when: string } | null {
  let when: string | null = null;
  for (let child = path, p = path.parent as ASTPath | null; p; child = p, p = p.parent as ASTPath | null) {
    const n = p.node as AnyNode;
    if (n.type !== 'ConditionalExpression' && n.type !== 'IfStatement') continue;
    const branch = n.consequent === child.node ? true : n.alternate === child.node ? false : null;
    if (branch === null) continue;
    const polarity = containerPolarity(n.test, p, constOf);
    if (polarity === null) continue;
    if (polarity !== branch) return 'local';
    when ??= containerSource(j, n.test, p, constOf, !branch);
  }
  return when === null ? null : { when };
}

/** `if (!x)`, `if (!process.env.X || !y)`: the operands a failing check rejects when empty. */
function negatedOperands(test: AnyNode): AnyNode[] {
  const t = unwrap(test);
  if (t.type === 'UnaryExpression' && t.operator === '!') return [unwrap(t.argument)];
  if (t.type === 'LogicalExpression') return [...negatedOperands(t.left), ...negatedOperands(t.right)];
  if (t.type === 'BinaryExpression' && (t.operator === '===' || t.operator === '==')) {
    const other = unwrap(t.right);
    if (other.type === 'NullLiteral' || idName(other) === 'undefined') return [unwrap(t.left)];
  }
  return [];
}

/** A top-level validation block in the audit's shape, if the module has one. */
export function validationBlock(j: JSCodeshift, root: Collection): ValidationBlock {
  const body = programBody(j, root);
  const consts = new Map<string, AnyNode>();
  for (const s of body) if (s.type === 'VariableDeclaration') for (const d of s.declarations) if (idName(d.id)) consts.set(d.id.name, unwrap(d.init));
  let missing: string | null = null;
  let report: AnyNode | null = null;
  for (const s of body) {
    if (s.type !== 'IfStatement' || !failsHard(s.consequent)) continue;
    const m = descendants(s.test).find((n) => n.type === 'MemberExpression' && idName(n.property) === 'length' && idName(n.object));
    const init = m ? consts.get(m.object.name) : undefined;
    if (!init) continue;
    const isList = init.type === 'ArrayExpression' || memberCall(init)?.property === 'filter';
    if (isList) {
      missing = m!.object.name;
      report = s;
      break;
    }
  }
  let array: AnyNode | null = null;
  const filtered = missing ? memberCall(consts.get(missing)) : null;
  if (filtered?.property === 'filter' && idName(filtered.object)) array = consts.get(filtered.object.name) ?? null;
  if (!array)
    for (const [name, init] of consts)
      if (/required/i.test(name) && /env|var/i.test(name) && init?.type === 'ArrayExpression' && init.elements.every((e: AnyNode) => stringValue(e) !== null)) array = init;
  if (array?.type !== 'ArrayExpression') array = null;
  return { array, missing, report };
}

/** Every env requirement of a module and what its startup already checks. */
export function analyzeEnv(j: JSCodeshift, root: Collection): EnvAnalysis {
  const scopes = startupScopes(j, root);
  const block = validationBlock(j, root);
  const flag = containerFlag(j, root);
  const constOf = moduleConsts(j, root);
  const covered = new Set<string>();
  for (const e of block.array?.elements ?? []) {
    const v = stringValue(e);
    if (v) covered.add(v);
  }

  // Chains (one per `||` expression), by the function they sit in.
  const chains: Chain[] = [];
  const seen = new Set<AnyNode>();
  root.find(j.MemberExpression).forEach((p) => {
    if (!envName(p.node)) return;
    const parent = p.parent?.node as AnyNode | undefined;
    if (parent?.type === 'AssignmentExpression' && parent.left === p.node) return; // a write, not a read
    const chain = conditionalChain(chainOf(p));
    if (seen.has(chain.top.node as AnyNode)) return;
    seen.add(chain.top.node as AnyNode);
    // `X ? X : fallback` reads X again in its consequent: one chain, not two.
    if (chain.top.node !== p.node && chain.top.node.type === 'ConditionalExpression') seen.add(chain.top.node.consequent);
    chains.push(chain);
  });
  // `const { DATABASE_URL, SECRET = 'dev' } = process.env`: one chain per property.
  root.find(j.VariableDeclarator).forEach((p) => {
    const d = p.node as AnyNode;
    const init = unwrap(d.init);
    if (d.id.type !== 'ObjectPattern' || init?.type !== 'MemberExpression' || idName(init.object) !== 'process' || idName(init.property) !== 'env') return;
    for (const prop of d.id.properties as AnyNode[]) {
      const name = idName(prop.key) ?? stringValue(prop.key);
      const value = prop.value?.type === 'AssignmentPattern' ? prop.value : null;
      const local = idName(value ? value.left : prop.value);
      if (name && local && !prop.computed && !optional(name)) chains.push({ top: p, names: [name], fallback: value ? value.right : null, local });
    }
  });
  const scopeOf = (p: ASTPath) => (enclosingFunction(p)?.node as AnyNode | undefined) ?? null;

  // `const url = process.env.A || process.env.B`: locals that carry a chain.
  const carriers = new Map<AnyNode | null, Map<string, Chain>>();
  for (const c of chains) {
    const parent = c.top.parent?.node as AnyNode | undefined;
    const local = c.local ?? (parent?.type === 'VariableDeclarator' && idName(parent.id) && parent.init === c.top.node ? parent.id.name : null);
    if (!local) continue;
    const scope = scopeOf(c.top);
    const map = carriers.get(scope) ?? new Map<string, Chain>();
    map.set(local, c);
    carriers.set(scope, map);
  }

  // Checks: `if (!x) throw` covers at startup, is late elsewhere; a test that does not fail makes the read optional there.
  const late: Requirement[] = [];
  const lateNames = new Set<string>();
  const tested = new Map<AnyNode | null, Set<string>>();
  root.find(j.IfStatement).forEach((p) => {
    const scope = scopeOf(p);
    const checks = failsHard(p.node.consequent) || (enclosingFunction(p) === null && descendants(p.node.consequent).some((n) => memberCall(n)?.property === 'push'));
    for (const operand of negatedOperands(p.node.test)) {
      const direct = envName(operand);
      const carried = idName(operand) ? (carriers.get(scope)?.get(operand.name) ?? carriers.get(null)?.get(operand.name)) : undefined;
      const names = direct ? (optional(direct) ? [] : [direct]) : (carried?.names ?? []);
      if (names.length === 0 || !checks) continue;
      if (runsAtStartup(p, scopes)) names.forEach((n) => covered.add(n));
      else {
        const fb = carried ? classify(carried.fallback, carried.top, constOf) : ({ kind: 'none' } as Fallback);
        if (fb.kind === 'localhost' || fb.kind === 'default') continue; // the check never fires; the default is the finding
        late.push({ rule: 'env-checked-late', names, when: fb.kind === 'guarded' ? conditionSource(j, fb.when, fb.negate) : null, line: lineOf(p.node) });
        names.forEach((n) => lateNames.add(n));
      }
    }
  });
  for (const c of chains) {
    if (!isTest(c)) continue;
    const scope = scopeOf(c.top);
    const set = tested.get(scope) ?? new Set<string>();
    c.names.forEach((n) => set.add(n));
    tested.set(scope, set);
  }

  // Reads that use the value.
  const reads: Requirement[] = [];
  for (const c of chains) {
    if (c.names.length === 0 || isTest(c)) continue;
    const guard = tested.get(scopeOf(c.top));
    if (c.names.some((n) => covered.has(n) || lateNames.has(n) || guard?.has(n))) continue;
    const branch = containerBranch(j, c.top, constOf);
    if (branch === 'local') continue; // local development only: a container never runs it
    const fb = classify(c.fallback, c.top, constOf);
    const line = lineOf(c.top.node);
    if (fb.kind === 'localhost') reads.push({ rule: 'localhost-default-in-container', names: c.names, when: branch?.when ?? flag, line, fallback: fb.value });
    else if (fb.kind === 'guarded') reads.push({ rule: 'missing-env-validation', names: c.names, when: conditionSource(j, fb.when, fb.negate), line });
    else if (fb.kind === 'none' && c.names.some((n) => REQUIRED_NAME.test(n))) reads.push({ rule: 'missing-env-validation', names: c.names, when: branch?.when ?? null, line });
  }

  const byKey = new Map<string, Requirement>();
  for (const r of [...late, ...reads].sort((a, b) => a.line - b.line)) {
    const key = `${r.rule}:${r.names.join('|')}`;
    if (!byKey.has(key) && !r.names.some((n) => covered.has(n))) byKey.set(key, r);
  }
  return { requirements: [...byKey.values()], covered, block, containerFlag: flag };
}

/**
 * Is this module a service's entry? It is when package.json#main points at it,
 * or when it starts something at module level: calls a local function
 * (`main().catch(...)`), or listens / runs a consumer on the startup path.
 * Libraries (`type: 'lib'`) have no entry.
 */
export function isEntryModule(j: JSCodeshift, root: Collection, path: string, service: ServiceShape | null): boolean {
  if (service?.type === 'lib') return false;
  if (isMainModule(path, service)) return true;
  const fns = localFunctions(j, root);
  const callsLocal = (node: AnyNode): boolean => {
    const e = unwrap(node);
    if (e.type === 'AwaitExpression' || (e.type === 'UnaryExpression' && e.operator === 'void')) return callsLocal(e.argument);
    const m = memberCall(e);
    if (m && (m.property === 'catch' || m.property === 'then' || m.property === 'finally')) return callsLocal(m.object);
    return e.type === 'CallExpression' && ((idName(e.callee) !== null && fns.has(e.callee.name)) || isFunction(unwrap(e.callee)));
  };
  if (programBody(j, root).some((s) => s.type === 'ExpressionStatement' && callsLocal(s.expression))) return true;
  const scopes = startupScopes(j, root, fns);
  return root.find(j.CallExpression).some((p) => {
    const m = memberCall(p.node);
    if (!m || !runsAtStartup(p, scopes)) return false;
    return m.property === 'listen' || (m.property === 'run' && /consumer/i.test(idName(m.object) ?? ''));
  });
}

/** True when package.json#main names this module (its source, for a built main). */
export function isMainModule(path: string, service: ServiceShape | null): boolean {
  return !!service && service.type !== 'lib' && mainCandidates(service).includes(stemOf(path));
}

export interface ServiceShape {
  dir: string;
  type: string;
  manifest: Record<string, unknown>;
}

function stemOf(file: string): string {
  return file.replace(/\.(c|m)?[jt]sx?$/, '');
}

/** Source stems package.json#main points at: dist/index.js → src/index; dist/services/x/src/index.js → src/index. */
function mainCandidates(service: ServiceShape): string[] {
  const main = typeof service.manifest.main === 'string' ? service.manifest.main.replace(/^\.\//, '') : null;
  if (!main) return [];
  const dir = service.dir === '.' ? '' : `${service.dir}/`;
  const inner =
    service.dir !== '.' && main.includes(`${service.dir}/`) ? main.slice(main.lastIndexOf(`${service.dir}/`) + service.dir.length + 1) : main.replace(/^(dist|build|lib|out)\//, '');
  return [...new Set([`${dir}${inner}`, `${dir}src/${inner.replace(/^src\//, '')}`].map(stemOf))];
}

/** Likely entry files of a service as workspace-relative stems, best first. */
export function entryCandidates(service: ServiceShape): string[] {
  const dir = service.dir === '.' ? '' : `${service.dir}/`;
  const defaults = ['src/index', 'src/main', 'src/server', 'index', 'main', 'server'].map((n) => `${dir}${n}`);
  return [...new Set([...mainCandidates(service), ...defaults])];
}
