// require-env-at-startup: configuration errors are the one case where failing
// fast is right. A service that starts without DATABASE_URL or JWT_SECRET
// looks healthy to the platform and then fails the first request that needs
// the value; a URL that silently falls back to http://localhost:… inside a
// container talks to the container itself. Checked once at startup, a missing
// variable stops the deploy with one line: `Missing required environment
// variables: A, B`.
//
// One matcher (lib/env-requirements.ts) feeds detect and fix:
// - a URL/secret read with no default (`process.env.JWT_SECRET as string`) →
//   missing-env-validation;
// - a check that throws only when the value is first used (`if (!url) throw`
//   in a message handler) → env-checked-late;
// - `process.env.X || 'http://localhost:…'` with no container guard →
//   localhost-default-in-container: the default stays for local development,
//   but in a container (the file's own flag such as `process.env.DOCKER ===
//   'true'`, else NODE_ENV=production) the variable becomes required.
// The service's entry file gets one validation block after its imports (or
// its existing `requiredEnvVars` block is extended): unconditional variables
// join the array, alternatives and container-only ones are pushed by one
// `if` each. Every other module of the service (src/config/db.ts,
// src/clients/trainer.ts) is read the same way and reported `manual:` with
// the entry file to extend; once the entry checks the variable it is quiet. A
// module that starts something itself (`connectDb().catch(…)`) is still not
// the entry when package.json#main names another file or the entry file
// imports it: the one check belongs where the process starts.
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import { ENV_READ } from '../../src/engine/prefilter.js';
import type { CodeContext, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import type { Collection, JSCodeshift } from 'jscodeshift';
import { moduleImports, readModule, requireSource, resolveRelative } from './lib/connect-calls.js';
import { analyzeEnv, entryCandidates, isEntryModule, isMainModule, type EnvAnalysis, type EnvRule, type Requirement } from './lib/env-requirements.js';
import { afterImportsIndex, literal, statements } from './lib/snippet.js';
import { spacedStatements } from './lib/startup-retry.js';
import { idName, memberCall, moduleBindings, prepareTopLevel, programBody, unwrap, type AnyNode } from './lib/worker-ast.js';

const ID = 'require-env-at-startup';
const REQUIRED_ARRAY = 'requiredEnvVars';
const MISSING_LIST = 'missingVars';
const CODE_EXTENSIONS = ['.ts', '.js', '.mts', '.mjs', '.cts', '.cjs', '.tsx', '.jsx'];
const SCRIPT_EXT = /\.(c|m)?[jt]sx?$/;

const rules: Record<EnvRule, RuleMeta> = {
  'missing-env-validation': {
    id: 'missing-env-validation',
    severity: 'risky',
    description: 'DATABASE_URL / JWT_SECRET / *_URL read without startup validation',
    rationale: 'Without a startup check the container starts, passes its health check and then fails the first request that needs the value.',
    fixedBy: ID,
  },
  'env-checked-late': {
    id: 'env-checked-late',
    severity: 'risky',
    description: 'a required env var (URL, secret) is only checked when first used, not at startup',
    rationale: 'The deploy succeeds and the misconfiguration surfaces later, under load, as failed messages or requests.',
    fixedBy: ID,
  },
  'localhost-default-in-container': {
    id: 'localhost-default-in-container',
    severity: 'risky',
    description: "`process.env.X || 'http://localhost:…'` with no container guard",
    rationale: 'Inside a container localhost is the container itself: the fallback turns a missing variable into connection errors instead of a clear startup failure.',
    fixedBy: ID,
  },
};

interface Match {
  req: Requirement;
  message: string;
  manual?: string;
}

/** One line of the startup check: the variables it requires (any one suffices) and when. */
interface Entry {
  names: string[];
  when: string | null;
  reqs: Requirement[];
}

interface Plan {
  matches: Match[];
  /** Entries the fixer writes; empty for modules that are not an entry. */
  entries: Entry[];
  analysis: EnvAnalysis;
}

// ---------------------------------------------------------------------------
// matching

function display(names: string[]): string {
  return names.join(' or ');
}

function describe(r: Requirement): string {
  const v = display(r.names);
  switch (r.rule) {
    case 'env-checked-late':
      return `${v} is only checked when it is first used${r.when ? ` (when ${r.when})` : ''}; a missing value fails a request or message instead of the deploy`;
    case 'localhost-default-in-container':
      return `${v} falls back to ${r.fallback}, which inside a container is the container itself; require it when ${r.when}`;
    default:
      return `${v} is read with no startup check${r.when ? ` (required when ${r.when})` : ''}; a missing value fails the first use instead of the deploy`;
  }
}

/** Merges requirements into check lines: an unconditional requirement wins over a conditional one. */
function entriesOf(reqs: Requirement[]): Entry[] {
  const byNames = new Map<string, Entry>();
  for (const r of reqs) {
    const key = r.names.join('|');
    const e = byNames.get(key);
    if (!e) byNames.set(key, { names: r.names, when: r.when, reqs: [r] });
    else {
      e.reqs.push(r);
      if (r.when === null) e.when = null;
      else if (e.when !== null && e.when !== r.when) e.when = `${wrap(e.when)} || ${wrap(r.when)}`;
    }
  }
  return [...byNames.values()];
}

function joinsArray(e: Entry): boolean {
  return e.when === null && e.names.length === 1;
}

/** Why the entry file's check cannot take this entry, or null when it can. */
function blocker(ctx: CodeContext, a: EnvAnalysis, e: Entry): string | null {
  const { block } = a;
  if (!block.report) {
    if (block.array) return joinsArray(e) ? null : `the ${REQUIRED_ARRAY} check has no list of missing names to add a conditional check to; add it by hand`;
    const taken = [REQUIRED_ARRAY, MISSING_LIST].find((n) => moduleBindings(ctx.j, ctx.root).has(n));
    return taken ? `the module already declares ${taken} for something else; add a startup check by hand` : null;
  }
  return joinsArray(e) && block.array ? null : block.missing ? null : 'the startup check has no list of missing names to extend; add it by hand';
}

/** The service's entry file, workspace-relative, other than the module itself. */
function entryFile(ctx: CodeContext): string | null {
  const service = ctx.service;
  if (!service || service.type === 'lib') return null;
  for (const stem of entryCandidates(service))
    for (const ext of CODE_EXTENSIONS) {
      const rel = `${stem}${ext}`;
      if (rel !== ctx.path && ctx.workspace.read(rel) !== undefined) return rel;
    }
  return null;
}

/** Every module specifier the file loads: imports (side-effect ones too), re-exports, `require` and `import()` of a literal. */
function loadedSpecifiers(j: JSCodeshift, root: Collection): string[] {
  const out: string[] = [];
  const add = (v: unknown) => void (typeof v === 'string' && out.push(v));
  root.find(j.ImportDeclaration).forEach((p) => add(p.node.source.value));
  root.find(j.ExportAllDeclaration).forEach((p) => add(p.node.source.value));
  root.find(j.ExportNamedDeclaration).forEach((p) => add(p.node.source?.value));
  root.find(j.CallExpression).forEach((p) => {
    const n = p.node as AnyNode;
    add(n.callee.type === 'Import' ? n.arguments[0]?.value : requireSource(n));
  });
  root.find(j.ImportExpression).forEach((p) => add((p.node as AnyNode).source?.value));
  return out;
}

/** True when `from` loads `target` through relative imports, a few hops deep. */
function loads(ctx: CodeContext, from: string, target: string, depth = 4): boolean {
  const seen = new Set<string>([from]);
  let frontier = [from];
  for (let hop = 0; hop < depth && frontier.length; hop++) {
    const next: string[] = [];
    for (const file of frontier) {
      const src = readModule(ctx.workspace, file);
      if (!src) continue;
      for (const spec of loadedSpecifiers(src.j, src.root)) {
        const rel = resolveRelative(ctx.workspace, file, spec);
        if (rel === target) return true;
        if (rel && !seen.has(rel)) {
          seen.add(rel);
          next.push(rel);
        }
      }
    }
    frontier = next;
  }
  return false;
}

/**
 * True when the image's CMD/ENTRYPOINT runs this module (`node dist/worker.js`
 * for src/worker.ts): a package with a second process has a second entry.
 */
function startedByImage(ctx: CodeContext): boolean {
  const cmd = ctx.service?.entrypoint;
  if (!cmd || !ctx.service) return false;
  const prefix = ctx.service.dir === '.' ? '' : `${ctx.service.dir}/`;
  if (!ctx.path.startsWith(prefix)) return false;
  const stem = ctx.path.slice(prefix.length).replace(SCRIPT_EXT, '').replace(/^src\//, '');
  return cmd
    .split(/[\s"',[\]]+/)
    .filter((token) => SCRIPT_EXT.test(token))
    .some((token) => {
      const run = token.replace(SCRIPT_EXT, '').replace(/^\.\//, '');
      return run === stem || run.endsWith(`/${stem}`);
    });
}

/**
 * Whether the startup check belongs in this module. isEntryModule also says
 * yes to a module that only starts its own work at load (`connectDb()`); when
 * package.json#main names another file, or another entry-looking file that
 * starts the service (not a barrel) loads this one, that file is where the
 * process starts.
 */
function isEntry(ctx: CodeContext): boolean {
  if (!isEntryModule(ctx.j, ctx.root, ctx.path, ctx.service)) return false;
  if (isMainModule(ctx.path, ctx.service) || startedByImage(ctx)) return true;
  const entry = entryFile(ctx);
  if (!entry) return true;
  if (isMainModule(entry, ctx.service)) return false;
  const src = readModule(ctx.workspace, entry);
  return !(src && isEntryModule(src.j, src.root, entry, ctx.service) && loads(ctx, entry, ctx.path));
}

function plan(ctx: CodeContext): Plan {
  const analysis = analyzeEnv(ctx.j, ctx.root);
  if (analysis.requirements.length === 0) return { matches: [], entries: [], analysis };
  if (!isEntry(ctx)) {
    const entry = entryFile(ctx);
    const src = entry ? readModule(ctx.workspace, entry) : null;
    const covered = src ? analyzeEnv(src.j, src.root).covered : new Set<string>();
    const shared = !ctx.service || ctx.service.type === 'lib';
    const where = entry ? `in ${entry}` : shared ? 'in the entry file of each service that uses this module' : "in the service's entry file";
    const matches = analysis.requirements
      .filter((r) => !r.names.some((n) => covered.has(n)))
      .map((r) => {
        const manual = `this module is not an entry file; add ${display(r.names)} to the startup check ${where}`;
        return { req: r, manual, message: `manual: ${describe(r)}; ${manual}` };
      });
    return { matches, entries: [], analysis };
  }
  const entries = entriesOf(analysis.requirements);
  const matches: Match[] = [];
  const fixable: Entry[] = [];
  for (const e of entries) {
    const why = blocker(ctx, analysis, e);
    if (!why) fixable.push(e);
    for (const r of e.reqs) matches.push(why ? { req: r, manual: why, message: `manual: ${describe(r)}; ${why}` } : { req: r, message: describe(r) });
  }
  return { matches, entries: fixable, analysis };
}

// ---------------------------------------------------------------------------
// fixing

function wrap(condition: string): string {
  return /\|\||\?|,/.test(condition) && !/^!\(.*\)$/.test(condition) ? `(${condition})` : condition;
}

function envRef(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `process.env.${name}` : `process.env[${literal(name)}]`;
}

function pushSource(e: Entry, list: string): string {
  const tests = [...(e.when ? [wrap(e.when)] : []), ...e.names.map((n) => `!${envRef(n)}`)];
  return `if (${tests.join(' && ')}) {\n  ${list}.push(${literal(display(e.names))});\n}`;
}

/** Index after imports and after a top-level `dotenv.config()` / `require('dotenv').config()`. */
function insertionIndex(ctx: CodeContext): number {
  const body = programBody(ctx.j, ctx.root);
  const dotenv = new Set([...moduleImports(ctx.j, ctx.root)].filter(([, b]) => b.source === 'dotenv').map(([local]) => local));
  let index = afterImportsIndex(ctx.j, ctx.root);
  body.forEach((stmt, i) => {
    if (stmt.type !== 'ExpressionStatement') return;
    const call = unwrap(stmt.expression);
    const m = memberCall(call);
    const target = m ? unwrap(m.object) : null;
    const fromRequire = target?.type === 'CallExpression' && idName(target.callee) === 'require' && target.arguments[0]?.value === 'dotenv';
    const named = call.type === 'CallExpression' && idName(call.callee) !== null && dotenv.has(call.callee.name);
    if ((m?.property === 'config' && (fromRequire || (idName(target) !== null && dotenv.has(target!.name)))) || named) index = Math.max(index, i + 1);
  });
  return index;
}

function createBlock(ctx: CodeContext, entries: Entry[]): void {
  const ts = ctx.parser !== 'babylon';
  const singles = entries.filter(joinsArray).map((e) => literal(e.names[0]!));
  const lines = singles.length
    ? [`const ${REQUIRED_ARRAY} = [${singles.join(', ')}];`, `const ${MISSING_LIST} = ${REQUIRED_ARRAY}.filter((name) => !process.env[name]);`]
    : [`const ${MISSING_LIST}${ts ? ': string[]' : ''} = [];`];
  for (const e of entries) if (!joinsArray(e)) lines.push(pushSource(e, MISSING_LIST));
  lines.push(
    `if (${MISSING_LIST}.length > 0) {`,
    `  console.error(\`Missing required environment variables: \${${MISSING_LIST}.join(', ')}\`);`,
    '  process.exit(1);',
    '}',
  );
  programBody(ctx.j, ctx.root).splice(insertionIndex(ctx), 0, ...spacedStatements(ctx, lines.join('\n')));
}

function extendBlock(ctx: CodeContext, a: EnvAnalysis, entries: Entry[]): void {
  const { array, missing, report } = a.block;
  const pushes: string[] = [];
  for (const e of entries) {
    if (joinsArray(e) && array) array.elements.push(ctx.j.stringLiteral(e.names[0]!));
    else pushes.push(pushSource(e, missing!));
  }
  if (pushes.length === 0) return;
  const body = programBody(ctx.j, ctx.root);
  body.splice(body.indexOf(report!), 0, ...(statements(ctx, pushes.join('\n')) as AnyNode[]));
}

function fix(ctx: CodeContext): boolean {
  const p = readOnly(ctx.root, () => plan(ctx));
  const entries = p.entries.filter((e) => e.reqs.some((r) => !ctx.suppressed(r.rule, r.line)));
  if (entries.length === 0) return false;
  prepareTopLevel(ctx.j, ctx.root);
  if (p.analysis.block.report || p.analysis.block.array) extendBlock(ctx, p.analysis, entries);
  else createBlock(ctx, entries);
  return true;
}

function detect(ctx: CodeContext): Report[] {
  return plan(ctx).matches.map((m) => ({ rule: m.req.rule, line: m.req.line, message: m.message, ...(m.manual ? { fixable: false } : {}) }));
}

export const transform: Transform<'code'> = {
  id: ID,
  kind: 'code',
  description: 'validate required env vars once at startup (one line naming the missing ones, exit 1); localhost defaults become required in containers',
  // Every rule here starts from an env read (`process.env.X`, `const { X } = process.env`).
  needles: [ENV_READ],
  rules,
  detect,
  fix,
};

export default jscodeshiftAdapter(transform);
