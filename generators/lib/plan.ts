// A scaffold as data before anything touches the disk: every file to create
// (rendered from templates/<kind>/), every file to change (compose, CI,
// workspace), and every conflict. `--dry-run` prints the plan; a plan with
// conflicts is refused whole; applying writes each file atomically and rolls
// back what it wrote if a later write fails, so a half-scaffolded package
// never stays behind.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileChange } from '../../src/engine/pipeline.js';
import { normalize, restore } from '../../src/engine/text.js';
import { writeAtomic } from '../../src/engine/write.js';
import { TemplateValueError } from './helpers.js';
import { InputError, type Monorepo } from './monorepo.js';
import type { Answers, Kind } from './options.js';
import { ecsWiring, imageHealthcheck, k8sWiring, RUNTIME } from './deploy.js';
import { ciWiring, composeWiring, workspaceWiring, type NewPackage } from './wiring.js';

export type Render = (template: string, data: Record<string, unknown>) => string;

export interface Plan {
  kind: Kind;
  answers: Answers;
  /** The new package's folder, relative to the root. */
  dir: string;
  /** Files to create first, then files to change. */
  changes: FileChange[];
  conflicts: string[];
  notes: string[];
  /** The defaults read from the monorepo, in one line. */
  using: string;
}

/** Used only when no package of the monorepo already depends on the package. */
const FALLBACK_VERSIONS: Record<string, string> = {
  express: '^5.1.0',
  '@types/express': '^5.0.0',
  kafkajs: '^2.2.4',
  mongodb: '^6.10.0',
  pg: '^8.13.0',
  '@types/pg': '^8.11.0',
  typescript: '^5.9.3',
};

/** The `templates/` folder of this package, from source (generators/lib) or from the build (dist/generators/lib). */
export function templatesRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'templates', 'service'))) return path.join(dir, 'templates');
  throw new Error('shipshape: templates/ folder not found next to the generators (broken install?)');
}

/** Template files of a kind, relative to templates/<kind>/, sorted. */
export function templateFiles(kind: Kind): string[] {
  const base = path.join(templatesRoot(), kind);
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(base, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)]));
  return walk('.').filter((f) => f.endsWith('.hbs')).sort();
}

const snake = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** Everything the templates of `kind` see. Values from the user go in as they are; the templates escape them. */
export function templateData(kind: Kind, answers: Answers, mono: Monorepo): Record<string, unknown> {
  const { name, db } = answers;
  const dbEnv = db === 'mongo' ? 'MONGO_URI' : db === 'postgres' ? 'DATABASE_URL' : null;
  const version = (pkg: string) => mono.versions[pkg] ?? FALLBACK_VERSIONS[pkg] ?? `^${mono.nodeImage.major}.0.0`;
  const pick = (names: (string | false)[]) => Object.fromEntries(names.filter((n): n is string => !!n).sort().map((n) => [n, version(n)]));
  const pnpmMajor = Number(mono.pnpmVersion.split('.')[0]);
  return {
    ...answers,
    kind,
    packageDir: `${answers.dir}/${name}`,
    description: kind === 'service' ? `HTTP service ${name}` : `Kafka worker ${name}: consumes ${answers.topic}`,
    mongo: db === 'mongo',
    postgres: db === 'postgres',
    dbEnv,
    requiredEnv: [...(kind === 'worker' ? ['KAFKA_BROKERS'] : []), ...(dbEnv ? [dbEnv] : [])],
    nodeImage: mono.nodeImage.ref,
    alpine: mono.nodeImage.alpine,
    // Node 25 and later ship without corepack.
    corepack: mono.nodeImage.major <= 24,
    pnpmVersion: mono.pnpmVersion,
    shutdownTimeoutMs: RUNTIME.shutdownTimeoutMs,
    // pnpm 10 `deploy` needs inject-workspace-packages, or --legacy.
    legacyDeploy: pnpmMajor >= 10,
    rootFiles: [...mono.rootFiles].sort((a, b) => (a === 'package.json' ? -1 : b === 'package.json' ? 1 : a.localeCompare(b))),
    dependencies: pick([kind === 'service' && 'express', kind === 'worker' && 'kafkajs', db === 'mongo' && 'mongodb', db === 'postgres' && 'pg']),
    devDependencies: pick([kind === 'service' && '@types/express', '@types/node', db === 'postgres' && '@types/pg', 'typescript']),
  };
}

/** What the compose entry of the new package sets and waits for. */
function newPackage(kind: Kind, answers: Answers, mono: Monorepo): { pkg: NewPackage; notes: string[] } {
  const dir = `${answers.dir}/${answers.name}`;
  const env: NewPackage['env'] = [];
  const dependsOn: NewPackage['dependsOn'] = [];
  const notes: string[] = [];
  if (kind === 'service') env.push(['PORT', answers.port!]);
  if (kind === 'worker') {
    const brokers = mono.kafkaBrokers ?? (mono.kafka ? `${mono.kafka.name}:${mono.kafka.port}` : '${KAFKA_BROKERS}');
    env.push(['KAFKA_BROKERS', brokers]);
    if (mono.kafka) dependsOn.push({ name: mono.kafka.name, healthy: mono.kafka.healthcheck });
    else notes.push('no Kafka service in the compose file: set KAFKA_BROKERS for docker compose (e.g. in .env)');
  }
  if (answers.db === 'mongo') {
    const m = mono.mongo;
    env.push(['MONGO_URI', m ? `mongodb://${m.name}:${m.port}/${answers.name}` : `\${${snake(answers.name)}_MONGO_URI}`]);
    if (m) dependsOn.push({ name: m.name, healthy: m.healthcheck });
    else notes.push(`no MongoDB service in the compose file: set ${snake(answers.name)}_MONGO_URI for docker compose (e.g. in .env)`);
  }
  if (answers.db === 'postgres') {
    env.push(['DATABASE_URL', `\${${snake(answers.name)}_DATABASE_URL}`]);
    if (mono.postgres) dependsOn.push({ name: mono.postgres.name, healthy: mono.postgres.healthcheck });
    notes.push(`set ${snake(answers.name)}_DATABASE_URL (postgres://user:password@host:5432/db) for docker compose, e.g. in .env`);
  }
  return { pkg: { kind, name: answers.name, dir, port: kind === 'service' ? answers.port! : null, env, dependsOn }, notes };
}

/**
 * Why `dir` (relative to root) would lead the writes out of the root: a
 * folder on the way that is a symlink to somewhere outside, or to nothing.
 * Null when every existing folder on the way stays inside.
 */
export function escapesRoot(root: string, dir: string): string | null {
  const realRoot = fs.realpathSync(root);
  const parts = dir.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    let link: boolean;
    try {
      link = fs.lstatSync(path.join(root, rel)).isSymbolicLink();
    } catch {
      return null; // does not exist yet: created inside whatever holds it
    }
    if (!link) continue;
    let real: string;
    try {
      real = fs.realpathSync(path.join(root, rel));
    } catch {
      return `${rel} is a symlink to a path that does not exist`;
    }
    const inside = path.relative(realRoot, real);
    if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside))
      return `${rel} is a symlink to ${real}, outside the monorepo: shipshape new writes only inside ${root}`;
  }
  return null;
}

/** A template rendered; a value that would reach it unescaped (one read from the monorepo: a Dockerfile's FROM, packageManager) is an error naming the file. */
function renderFile(render: Render, template: string, file: string, data: Record<string, unknown>): string {
  try {
    return render(template, data);
  } catch (err) {
    if (err instanceof TemplateValueError) throw new InputError(`cannot write ${file}: ${err.message} (read from the monorepo: fix it there, or set it in the shipshape config)`);
    throw err;
  }
}

export function planScaffold(kind: Kind, answers: Answers, mono: Monorepo, render: Render): Plan {
  const dir = `${answers.dir}/${answers.name}`;
  const data = templateData(kind, answers, mono);
  const base = path.join(templatesRoot(), kind);
  const created: FileChange[] = templateFiles(kind).map((t) => {
    const file = path.posix.join(dir, t.slice(0, -'.hbs'.length));
    return { path: file, before: null, after: renderFile(render, fs.readFileSync(path.join(base, t), 'utf8'), file, data), applied: [kind] };
  }).sort((a, b) => (a.path < b.path ? -1 : 1));

  const conflicts: string[] = [];
  const escape = escapesRoot(mono.root, dir);
  const abs = path.join(mono.root, dir);
  if (escape) conflicts.push(escape);
  else if (fs.existsSync(abs)) {
    const existing = created.filter((c) => fs.existsSync(path.join(mono.root, c.path))).map((c) => `${c.path} already exists`);
    if (!fs.statSync(abs).isDirectory()) conflicts.push(`${dir} exists and is not a folder`);
    else if (existing.length > 0) conflicts.push(...existing);
    else if (fs.readdirSync(abs).length > 0) conflicts.push(`${dir}/ already exists and is not empty`);
  }

  const { pkg, notes } = newPackage(kind, answers, mono);
  // ECS runs the task definition's healthCheck, not the image's: the same probe as the Dockerfile just rendered.
  const dockerfile = created.find((c) => c.path === `${dir}/Dockerfile`);
  const health = dockerfile ? imageHealthcheck(dockerfile.after) : null;
  const deploy = [ecsWiring(mono, pkg, health), k8sWiring(mono, pkg)];
  const wiring = [composeWiring(mono, pkg), ciWiring(mono, pkg), workspaceWiring(mono, pkg), ...deploy];
  if (!mono.rootFiles.has('pnpm-lock.yaml')) notes.push('there is no pnpm-lock.yaml yet: run pnpm install before building the image');
  notes.unshift(`run pnpm install at the root: it adds ${answers.name} to pnpm-lock.yaml, which the image installs with --frozen-lockfile`);
  return {
    kind,
    answers,
    dir,
    // New manifests are created with the package's files, before any file is changed.
    changes: [...created, ...deploy.flatMap((w) => w.changes.filter((c) => c.before === null)), ...wiring.flatMap((w) => w.changes.filter((c) => c.before !== null).map((c) => asOnDisk(mono.analysis.ws.root, c)))],
    conflicts: [...conflicts, ...wiring.flatMap((w) => w.conflicts)],
    notes: [...notes, ...wiring.flatMap((w) => w.notes)],
    using: `${mono.nodeImage.ref} (${mono.nodeImage.source}), pnpm ${mono.pnpmVersion}`,
  };
}

/**
 * A wiring edit is made on the file's loaded text (LF, no BOM); the file on
 * disk keeps its own line endings and BOM, as `fix` keeps them, so a CRLF
 * compose file is not rewritten whole.
 */
function asOnDisk(root: string, change: FileChange): FileChange {
  let raw: string;
  try {
    raw = fs.readFileSync(path.join(root, change.path), 'utf8');
  } catch {
    return change;
  }
  if (raw === change.before) return change;
  const { text, shape } = normalize(raw);
  return text === change.before ? { ...change, before: raw, after: restore(change.after, shape) } : change;
}

export class ConflictError extends Error {
  constructor(readonly conflicts: string[]) {
    super(`nothing was written, because:\n${conflicts.map((c) => `  ${c}`).join('\n')}`);
  }
}

/**
 * Writes a conflict-free plan. Each file is written atomically; if one write
 * fails, the files already written are restored (or removed) and the error
 * says so.
 */
export function applyPlan(root: string, plan: Plan): void {
  if (plan.conflicts.length > 0) throw new ConflictError(plan.conflicts);
  // Someone may have created one of the files since the plan was made.
  const late = plan.changes.filter((c) => c.before === null && fs.existsSync(path.join(root, c.path))).map((c) => `${c.path} already exists`);
  if (late.length > 0) throw new ConflictError(late);
  let firstNew = plan.dir;
  while (path.posix.dirname(firstNew) !== '.' && !fs.existsSync(path.join(root, path.posix.dirname(firstNew)))) firstNew = path.posix.dirname(firstNew);
  const createdDir = !fs.existsSync(path.join(root, firstNew));
  const done: FileChange[] = [];
  try {
    for (const c of plan.changes) {
      writeAtomic(root, c.path, c.after);
      done.push(c);
    }
  } catch (err) {
    for (const c of done.reverse()) {
      try {
        if (c.before === null) fs.rmSync(path.join(root, c.path), { force: true });
        else writeAtomic(root, c.path, c.before);
      } catch {
        // best effort: the message below names the file that failed first
      }
    }
    if (createdDir) fs.rmSync(path.join(root, firstNew), { recursive: true, force: true });
    throw new Error(`${(err as Error).message}; every file was restored, nothing was changed`);
  }
}
