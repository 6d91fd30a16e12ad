// Moving a service-folder build to the repo-root context. A pnpm workspace
// keeps one pnpm-lock.yaml at the root; a Dockerfile that compose (or CI)
// builds from `services/x` can never copy it, so `--frozen-lockfile` is
// impossible there. The fix is the layout every root-context Dockerfile of
// the workspace already has: the build context becomes the root, the root
// manifests and lockfile land in the image root R, the service in R/<dir>,
// and every file that builds the image (compose `build:`, the workflow's
// build step) points at the root. Three files change together or none does:
// the plan is decided once from the files as they are and read by the
// Dockerfile fixer and its compose and workflow companions alike.
import path from 'node:path';
import { parseDockerfile, type DockerInstruction, type DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { TextEdit, WorkspaceView } from '../../../src/engine/types.js';
import { installOf, runCommands } from './build-commands.js';
import { contextRootOf, copyOf, normalizeSource, type CopyInstruction } from './build-copies.js';
import { isRemote, readsContext } from './stage-context.js';
import { refsTo, unreadableBuilders, type BuildRef } from './build-refs.js';
import { findStage, isWithin, lineage, resolveIn, workdirAt } from './build-stages.js';
import { argWords, insertLinesBefore, shellWord } from './build-text.js';
import { SuppressionIndex, findSuppressions } from '../../../src/engine/suppress.js';

export interface ContextMove {
  dockerfile: string;
  /** The folder the image is built from today, repo-relative. */
  context: string;
  /** Every compose entry and workflow step that builds the Dockerfile. */
  refs: BuildRef[];
  /** Root files the image needs before the install, in COPY order. */
  rootFiles: string[];
}

/** A move to make, the reason it cannot be made, or null when none is needed. */
export type MovePlan = { move: ContextMove } | { manual: string } | null;

const cache = new WeakMap<WorkspaceView, Map<string, MovePlan>>();

export function contextMove(ws: WorkspaceView, dockerfile: string): MovePlan {
  let plans = cache.get(ws);
  if (!plans) cache.set(ws, (plans = new Map()));
  if (!plans.has(dockerfile)) plans.set(dockerfile, planMove(ws, dockerfile));
  return plans.get(dockerfile)!;
}

function planMove(ws: WorkspaceView, dockerfile: string): MovePlan {
  if (ws.packageManager.name !== 'pnpm' || !ws.exists('pnpm-lock.yaml')) return null;
  const refs = refsTo(ws, dockerfile);
  const contexts = [...new Set(refs.map((r) => r.context))];
  if (contexts.length === 0 || contexts.includes('.')) return null;
  const context = contexts[0]!;
  if (ws.exists(path.posix.join(context, 'pnpm-lock.yaml'))) return null;
  const text = ws.read(dockerfile);
  if (text === undefined) return null;
  let tree: DockerfileTree;
  try {
    tree = parseDockerfile(text);
  } catch {
    return null; // the Dockerfile's own parse error is reported on it
  }
  const installs = runCommands(tree, tree.instructions)
    .map(installOf)
    .filter((i) => i !== null);
  // npm or yarn installs keep their own manual finding: after a move they would still need converting.
  if (installs.length === 0 || installs.some((i) => i.pm !== 'pnpm')) return null;
  const suppressions = new SuppressionIndex(findSuppressions(text));
  if (installs.some((i) => suppressions.check('lockfile-not-copied', i.cmd.instr.line))) return null;
  if (contexts.length > 1) return { manual: `${refs.map((r) => `${r.file}:${r.line}`).join(' and ')} build it from different folders (${contexts.join(', ')})` };
  const unreadable = unreadableBuilders(ws)[0];
  if (unreadable) return { manual: `${unreadable} does not parse, so shipshape cannot tell whether it builds ${dockerfile} from ${context} too: fix it first` };
  const blocked = refs.find((r) => r.fixedOnlyByHand);
  if (blocked) return { manual: blocked.fixedOnlyByHand! };
  const outside = [dockerfile, ...refs.map((r) => r.file)].find((f) => !ws.inRun(f));
  if (outside) return { manual: `${outside} is not part of this run (--service or --shard leave it out, or it does not parse): fix the whole repository so the build context moves with it` };
  if (ws.exists(path.posix.join(context, '.dockerignore')))
    return { manual: `${context}/.dockerignore would stop applying once the build runs from the repo root: move its patterns to ${dockerfile}.dockerignore (with ${context}/ in front) by hand` };
  const rootFiles = ['package.json', 'pnpm-lock.yaml', ...['pnpm-workspace.yaml', '.npmrc'].filter((f) => ws.exists(f))];
  const edits = relocate(tree, context, rootFiles);
  if ('manual' in edits) return edits;
  return { move: { dockerfile, context, refs, rootFiles } };
}

/** COPY/ADD instructions that read the build context (no `--from`, no heredoc), JSON-form ones as null. */
function contextCopies(tree: DockerfileTree): { instr: DockerInstruction; copy: CopyInstruction | null }[] {
  return tree.instructions.filter((i) => readsContext(i) && !i.args.includes('<<')).map((instr) => ({ instr, copy: copyOf(tree.text, instr) }));
}

/** True once every context source of the Dockerfile names a path inside `context` or a root file: the move has landed. */
export function isRelocated(tree: DockerfileTree, context: string): boolean {
  let inside = 0;
  for (const { copy } of contextCopies(tree)) {
    if (!copy) return false;
    for (const s of copy.sources) {
      if (isRemote(s.value)) continue;
      const src = normalizeSource(s.value);
      if (src === context || src.startsWith(`${context}/`)) inside++;
      else if (src.includes('/') || src === '') return false;
    }
  }
  return inside > 0;
}

/** `p` with the image root `root` swapped for `root/dir`; other paths unchanged. */
function moved(p: string, root: string, dir: string): string {
  return isWithin(p, root) ? path.posix.join(root, dir, path.posix.relative(root, p)) : p;
}

/** True when an instruction's text names a path under the image root (it would point at the old layout). */
function namesRoot(args: string, root: string): boolean {
  let at = args.indexOf(root);
  while (at >= 0) {
    const before = args[at - 1];
    const after = args[at + root.length];
    if ((before === undefined || /[\s"'=:,[]/.test(before)) && (after === undefined || /[/\s"',\]:;]/.test(after))) return true;
    at = args.indexOf(root, at + 1);
  }
  return false;
}

/**
 * The Dockerfile edits of the move, on the current text: root files and
 * `WORKDIR R/<dir>` before the first context COPY, context sources prefixed
 * with the service folder, image paths under R moved to R/<dir> in WORKDIRs
 * and stage-to-stage copies (plus the root node_modules pnpm's symlinks point
 * into). Anything else naming R stays manual: it would point at the old layout.
 */
export function relocate(tree: DockerfileTree, dir: string, rootFiles: string[]): { edits: TextEdit[] } | { manual: string } {
  const { text } = tree;
  const manual = (why: string) => ({ manual: why });
  const copies = contextCopies(tree);
  const json = copies.find((c) => c.copy === null);
  if (json) return manual(`the ${json.instr.keyword} at line ${json.instr.line} uses the JSON form`);
  const first = copies[0]?.copy;
  if (!first) return manual('no COPY reads the build context');
  const firstStage = tree.stages[first.instr.stage]!;
  const root = contextRootOf(tree, firstStage, first);
  const wd = workdirAt(tree, firstStage, first.instr);
  if (root === null || root === '/' || wd !== root) return manual(`the COPY at line ${first.instr.line} does not copy into the WORKDIR the app lives in`);
  // The root files land in the first copying stage: every install must run there or in a stage built FROM it.
  const stray = runCommands(tree, tree.instructions).find((c) => installOf(c) && !lineage(tree, tree.stages[c.instr.stage]!).includes(firstStage));
  if (stray) return manual(`\`${stray.source}\` (line ${stray.instr.line}) installs in a stage that does not build on the one the first COPY is in`);
  const edits: TextEdit[] = [insertLinesBefore(first.instr, [`COPY ${rootFiles.map(shellWord).join(' ')} ./`, `WORKDIR ${path.posix.join(root, dir)}`])];

  for (const { copy } of copies) {
    const c = copy!;
    for (const s of c.sources) {
      if (isRemote(s.value)) continue;
      if (s.value.includes('$')) return manual(`the ${c.instr.keyword} at line ${c.instr.line} uses a variable`);
      const src = normalizeSource(s.value);
      if (src.startsWith('..') || s.value.startsWith('/')) return manual(`the ${c.instr.keyword} at line ${c.instr.line} reaches outside ${dir}`);
      const repoPath = src === '' ? `${dir}/` : `${dir}/${src}${s.value.endsWith('/') ? '/' : ''}`;
      edits.push({ start: s.start, end: s.end, text: shellWord(repoPath) });
    }
    if (c.dest.value.startsWith('/') && isWithin(resolveIn('/', c.dest.value), root))
      edits.push({ start: c.dest.start, end: c.dest.end, text: shellWord(moved(resolveIn('/', c.dest.value), root, dir) + (c.dest.value.endsWith('/') ? '/' : '')) });
  }

  for (const stage of tree.stages) {
    let rootModulesAdded = false;
    for (const instr of stage.instructions) {
      if (instr.keyword === 'WORKDIR') {
        const value = instr.args.trim();
        if (value.includes('$')) return manual(`the WORKDIR at line ${instr.line} uses a variable`);
        // The first stage keeps its R: the root files land there; the new WORKDIR line enters the service.
        const beforeFirst = stage === firstStage && instr.start < first.instr.start;
        const word = argWords(text, instr)[0];
        if (word && value.startsWith('/') && !beforeFirst && isWithin(resolveIn('/', value), root))
          edits.push({ start: word.start, end: word.end, text: shellWord(moved(resolveIn('/', value), root, dir)) });
        continue;
      }
      if (instr.keyword === 'COPY' || instr.keyword === 'ADD') {
        const c = copyOf(text, instr);
        if (!c || c.from === null) continue;
        const fromStage = findStage(tree, c.from, stage.index);
        if (!fromStage) continue; // an external image: its paths are not ours
        const src = c.sources.length === 1 && !c.sources[0]!.value.includes('$') ? resolveIn('/', c.sources[0]!.value) : null;
        if (src === null) return manual(`the COPY --from at line ${instr.line} is not one plain path`);
        if (src === root || !isWithin(src, root)) continue;
        edits.push({ start: c.sources[0]!.start, end: c.sources[0]!.end, text: shellWord(moved(src, root, dir)) });
        if (c.dest.value.startsWith('/') && isWithin(resolveIn('/', c.dest.value), root))
          edits.push({ start: c.dest.start, end: c.dest.end, text: shellWord(moved(resolveIn('/', c.dest.value), root, dir)) });
        if (path.posix.basename(src) === 'node_modules' && !rootModulesAdded) {
          const rootModules = path.posix.join(root, 'node_modules');
          const chown = c.chown !== null ? ` --chown=${c.chown}` : '';
          edits.push(insertLinesBefore(instr, [`COPY --from=${c.from}${chown} ${rootModules} ${rootModules}`]));
          rootModulesAdded = true;
        }
        continue;
      }
      if (['RUN', 'CMD', 'ENTRYPOINT', 'ENV', 'VOLUME', 'HEALTHCHECK', 'ARG'].includes(instr.keyword) && namesRoot(instr.args, root))
        return manual(`line ${instr.line} names a path under ${root}, where the service no longer lives after the move (it moves to ${path.posix.join(root, dir)})`);
    }
  }
  return { edits };
}
