// The build context of a Dockerfile: the folder whose files COPY and ADD can
// reach and where `.dockerignore` is read. It is not written in the Dockerfile,
// so it is inferred, strongest evidence first:
//   1. a compose file at the repo root or next to the Dockerfile that builds
//      this Dockerfile (`build.context` + `build.dockerfile`);
//   2. the COPY/ADD sources: a monorepo Dockerfile that copies root-only files
//      (pnpm-lock.yaml, pnpm-workspace.yaml, services/x/...) is built from the
//      repo root; one whose sources sit next to it is built from its folder;
//   3. otherwise the Dockerfile's folder (`docker build services/x`).
import path from 'node:path';
import ignore from 'ignore';
import { parse as parseYaml } from 'yaml';
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { DockerfileContext, WorkspaceView } from '../../../src/engine/types.js';

export interface CopySource {
  instr: DockerInstruction;
  /** As written, e.g. `./pnpm-lock.yaml`. */
  raw: string;
  /** Relative to the build context, normalised, '.' for the context itself. */
  path: string;
}

export interface BuildContext {
  /** Relative to the workspace root, '.' for the root. */
  dir: string;
  evidence: 'compose' | 'sources' | 'default';
  /** The compose file that says so, when evidence is compose. */
  composeFile?: string;
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml', 'docker-compose.production.yml', 'docker-compose.prod.yml'];

export const join = (...parts: string[]): string => path.posix.normalize(path.posix.join(...parts)).replace(/\/$/, '') || '.';

function flagValue(instr: DockerInstruction, name: string): string | null | undefined {
  const flags = (instr.node as unknown as { getFlags?(): { getName(): string; getValue(): string | null }[] }).getFlags?.() ?? [];
  const found = flags.find((f) => f.getName() === name);
  return found ? found.getValue() : undefined;
}

/** True for COPY/ADD that read the build context (not `--from=`). */
export function readsContext(instr: DockerInstruction): boolean {
  return (instr.keyword === 'COPY' || instr.keyword === 'ADD') && flagValue(instr, 'from') === undefined;
}

/** Source arguments of a COPY/ADD, exec or shell form; heredoc bodies excluded. */
export function sourcesOf(instr: DockerInstruction): string[] {
  if (instr.args.trimStart().startsWith('<<')) return [];
  const args = instr.execForm ?? (instr.node as unknown as { getArguments(): { getValue(): string }[] }).getArguments().map((a) => a.getValue());
  return args.slice(0, -1).filter((a) => !a.startsWith('<<'));
}

const isRemote = (s: string) => /^(https?|git):\/\/|^git@/.test(s);
export const isPattern = (s: string) => /[*?[]/.test(s);
const hasVariable = (s: string) => s.includes('$');

/** Local, literal (no wildcard, no variable) sources that COPY/ADD read from the context. */
export function contextSources(tree: DockerfileTree, stages: DockerStage[] = tree.stages): CopySource[] {
  const out: CopySource[] = [];
  for (const stage of stages)
    for (const instr of stage.instructions) {
      if (!readsContext(instr)) continue;
      for (const raw of sourcesOf(instr)) {
        if (isRemote(raw) || hasVariable(raw)) continue;
        out.push({ instr, raw, path: join('.', raw.replace(/^\/+/, '')) });
      }
    }
  return out;
}

interface ComposeBuild {
  file: string;
  context: string;
  dockerfile: string;
}

function composeBuilds(ws: WorkspaceView, dirs: string[]): ComposeBuild[] {
  const out: ComposeBuild[] = [];
  for (const dir of dirs)
    for (const name of COMPOSE_NAMES) {
      const file = join(dir, name);
      const text = ws.read(file);
      if (text === undefined) continue;
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch {
        continue; // compose-checks reports unreadable compose files
      }
      const services = (doc as { services?: Record<string, { build?: unknown }> } | null)?.services;
      if (!services || typeof services !== 'object') continue;
      for (const svc of Object.values(services)) {
        const build = svc?.build;
        const context = typeof build === 'string' ? build : (build as { context?: unknown } | undefined)?.context;
        if (typeof context !== 'string') continue;
        const dockerfile = (build as { dockerfile?: unknown }).dockerfile;
        const ctxDir = join(dir, context);
        out.push({ file, context: ctxDir, dockerfile: join(ctxDir, typeof dockerfile === 'string' ? dockerfile : 'Dockerfile') });
      }
    }
  return out;
}

/** The build context of the Dockerfile at `ctx.path` (see the top of this file). */
export function buildContext(ctx: Pick<DockerfileContext, 'path' | 'tree' | 'workspace'>): BuildContext {
  const own = path.posix.dirname(ctx.path);
  const dirs = own === '.' ? ['.'] : ['.', own];
  const composed = composeBuilds(ctx.workspace, dirs).find((b) => b.dockerfile === join(ctx.path));
  if (composed) return { dir: composed.context, evidence: 'compose', composeFile: composed.file };
  if (own === '.') return { dir: '.', evidence: 'default' };
  let root = 0;
  let beside = 0;
  for (const s of contextSources(ctx.tree)) {
    if (s.path === '.' || isPattern(s.path)) continue;
    const atRoot = ctx.workspace.exists(s.path);
    const atOwn = ctx.workspace.exists(join(own, s.path));
    if (atRoot && !atOwn) root++;
    if (atOwn && !atRoot) beside++;
  }
  if (root > beside) return { dir: '.', evidence: 'sources' };
  return { dir: own, evidence: beside > 0 ? 'sources' : 'default' };
}

/** The ignore file Docker reads for this build: `<Dockerfile>.dockerignore` first, then `<context>/.dockerignore`. */
export function dockerignoreOf(ws: WorkspaceView, dockerfile: string, context: string): { path: string; text: string } | null {
  for (const file of [`${dockerfile}.dockerignore`, join(context, '.dockerignore')]) {
    const text = ws.read(file);
    if (text !== undefined) return { path: file, text };
  }
  return null;
}

/**
 * A matcher with .dockerignore semantics on top of the gitignore engine:
 * Docker anchors every pattern at the context root, so a pattern that does
 * not start with `**` is anchored before it is handed to `ignore`.
 */
export function dockerignoreMatcher(text: string): (rel: string) => boolean {
  const ig = ignore();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const negated = trimmed.startsWith('!');
    const body = (negated ? trimmed.slice(1) : trimmed).replace(/^\/+/, '').replace(/^\.\//, '');
    const anchored = body.startsWith('**') ? body : `/${body}`;
    ig.add(`${negated ? '!' : ''}${anchored}`);
  }
  return (rel) => rel !== '.' && !rel.startsWith('..') && (ig.ignores(rel) || ig.ignores(`${rel}/`));
}
