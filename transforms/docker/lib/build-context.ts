// The build context of a Dockerfile: the folder whose files COPY and ADD can
// reach and where `.dockerignore` is read. The Dockerfile does not say it, so
// it is inferred, strongest evidence first:
//   1. a move this run makes (context-move.ts): once the Dockerfile's COPY
//      sources carry the repo paths, the context is the repo root;
//   2. a compose entry or workflow step that builds this Dockerfile
//      (build-refs.ts);
//   3. the COPY/ADD sources: a monorepo Dockerfile that copies root-only files
//      (pnpm-lock.yaml, services/x/...) is built from the repo root; one whose
//      sources sit next to it is built from its folder;
//   4. otherwise the Dockerfile's folder (`docker build services/x`).
// Every Dockerfile transform asks here, so they never disagree.
import path from 'node:path';
import type { DockerfileContext } from '../../../src/engine/types.js';
import { refsTo } from './build-refs.js';
import { contextSources, isPattern, join } from './stage-context.js';
import { contextMove, isRelocated, type ContextMove } from './context-move.js';

export interface BuildContext {
  /** Relative to the workspace root, '.' for the root. */
  dir: string;
  evidence: 'moved' | 'compose' | 'workflow' | 'sources' | 'default';
  /** The compose or workflow file that says so. */
  setBy?: string;
  /** A move to the repo root this run will make and has not made yet. */
  pendingMove?: ContextMove;
}

type Ctx = Pick<DockerfileContext, 'path' | 'tree' | 'workspace'>;

// Every Dockerfile rule asks, several times per file: one answer per tree.
const answers = new WeakMap<object, Map<string, BuildContext>>();

export function buildContext(ctx: Ctx): BuildContext {
  let byPath = answers.get(ctx.tree);
  if (!byPath) answers.set(ctx.tree, (byPath = new Map()));
  let answer = byPath.get(ctx.path);
  if (!answer) byPath.set(ctx.path, (answer = inferContext(ctx)));
  return answer;
}

function inferContext(ctx: Ctx): BuildContext {
  const plan = contextMove(ctx.workspace, ctx.path);
  if (plan && 'move' in plan) {
    const { move } = plan;
    if (isRelocated(ctx.tree, move.context)) return { dir: '.', evidence: 'moved', setBy: move.refs[0]!.file };
    return { dir: move.context, evidence: move.refs[0]!.kind, setBy: move.refs[0]!.file, pendingMove: move };
  }
  const ref = refsTo(ctx.workspace, ctx.path)[0];
  if (ref) return { dir: ref.context, evidence: ref.kind, setBy: ref.file };
  const own = path.posix.dirname(ctx.path);
  if (own === '.') return { dir: '.', evidence: 'default' };
  let root = 0;
  let beside = 0;
  for (const s of contextSources(ctx.tree)) {
    if (s.path === '.' || isPattern(s.path)) continue;
    const first = s.path.split('/')[0]!;
    const atRoot = ctx.workspace.exists(first);
    const atOwn = ctx.workspace.exists(join(own, first));
    if (atRoot && !atOwn) root++;
    if (atOwn && !atRoot) beside++;
  }
  if (root > beside) return { dir: '.', evidence: 'sources' };
  return { dir: own, evidence: beside > 0 ? 'sources' : 'default' };
}

/**
 * True while this run is moving the Dockerfile's build to the repo root and
 * the move has not landed in the text yet: fixers that depend on the image
 * layout (the stage split, the ignore file) wait one pass for it.
 */
export function movePending(ctx: Ctx): boolean {
  return buildContext(ctx).pendingMove !== undefined;
}

/** Repo-relative path of a context-relative file. */
export function inRepo(context: BuildContext, file: string): string {
  return context.dir === '.' ? file : path.posix.join(context.dir, file);
}
