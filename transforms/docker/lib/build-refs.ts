// Who builds a Dockerfile, and from which context: the compose entries and the
// CI workflow steps that name it. A Dockerfile does not say its build context;
// these files do, so they are both the strongest evidence of the context and
// the places a fix that moves the context must change too. Each reference
// knows whether (and why not) it can be rewritten to build from another
// folder; `retarget` does that on the compose or workflow tree.
import path from 'node:path';
import { isMap, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { parseYaml } from '../../../src/engine/parsers.js';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { join } from './stage-context.js';
import { buildOf as composeBuildOf, composeEntries, lineOf } from '../../../src/workspace/compose.js';
import { buildOf as stepBuildOf, cliBuildArgs, isBuild, jobsOf, scriptCommands, str } from '../../ci/lib/workflow.js';

export interface BuildRef {
  /** The compose or workflow file, relative to the workspace root. */
  file: string;
  kind: 'compose' | 'workflow';
  line: number;
  /** Repo-relative Dockerfile and context folder ('.' for the root). */
  dockerfile: string;
  context: string;
  /** Why a fix cannot point this reference at another context; null when it can. */
  fixedOnlyByHand: string | null;
}

/** A reference with the handle `retarget` uses to rewrite it in its own tree. */
interface Located extends BuildRef {
  rewrite(doc: Document, context: string, dockerfile: string): void;
}

/** A repo-relative path as written in compose or CI, normalised ('./a/' -> 'a'). */
const norm = (p: string): string => join('.', p);

/** The path `to` (repo-relative) as written from `fromDir` (repo-relative). */
function relFrom(fromDir: string, to: string): string {
  return path.posix.relative(fromDir === '.' ? '' : fromDir, to === '.' ? '' : to) || '.';
}

function composeRefs(file: string, doc: Document, text: string): Located[] {
  const entries = composeEntries(doc, text);
  const dir = path.posix.dirname(file);
  const out: Located[] = [];
  for (const entry of entries) {
    const build = composeBuildOf(entry, file, doc, entries);
    if (!build || build.context === null || build.dockerfile === null || build.inline) continue;
    const own = entry.map.get('build', true) as Node | undefined;
    const line = lineOf(text, (own ?? build.contextNode) as Node | null, entry.line);
    const blocked = !own
      ? `the build of "${entry.name}" comes from a \`<<\` merge or \`extends\` in ${file}`
      : /\$/.test(build.rawContext ?? '') || /\$/.test(build.rawDockerfile ?? '')
        ? `the build of "${entry.name}" in ${file} uses variables`
        : null;
    out.push({
      file,
      kind: 'compose',
      line,
      dockerfile: build.dockerfile,
      context: build.context,
      fixedOnlyByHand: blocked,
      rewrite(target, context, dockerfile) {
        const svc = (target.get('services', true) as YAMLMap).get(entry.name, true) as unknown as YAMLMap;
        const node = svc.get('build', true);
        const ctxText = relFrom(dir, context);
        const dfText = relFrom(context, dockerfile);
        if (isMap(node)) {
          const c = node.get('context', true);
          if (isScalar(c)) c.value = ctxText;
          else node.set('context', ctxText);
          const d = node.get('dockerfile', true);
          if (isScalar(d)) d.value = dfText;
          else node.set('dockerfile', dfText);
        } else if (isScalar(node)) {
          const map = target.createNode({ context: ctxText, dockerfile: dfText }) as YAMLMap;
          map.commentBefore = node.commentBefore;
          map.comment = node.comment;
          svc.set('build', map);
        }
      },
    });
  }
  return out;
}

const MATRIX_REF = /^\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}$/;

function workflowRefs(file: string, doc: Document, text: string): Located[] {
  const out: Located[] = [];
  jobsOf(doc).forEach((job, jobIndex) => {
    job.steps?.items.forEach((step, stepIndex) => {
      const build = stepBuildOf(step);
      if (!build || !isMap(step)) return;
      const line = lineOf(text, step as Node);
      if (build.kind === 'cli') {
        // `docker build … <context>`: rewriting it would mean editing shell inside YAML; it is named, not changed.
        const parsed = scriptCommands(str(step.get('run', true)) ?? '');
        for (const cmd of parsed?.commands.filter((c) => isBuild(c.args)) ?? []) {
          const words = cliBuildArgs(cmd.args);
          // With their `${{ }}` expressions restored, any `$` marks a value known only at run time.
          const rawContext = words.context === null ? null : parsed!.restore(words.context);
          const rawFile = words.file === null ? null : parsed!.restore(words.file);
          if (rawContext === null || rawContext.includes('$')) continue;
          const context = norm(rawContext);
          const literalFile = rawFile !== null && !rawFile.includes('$');
          out.push({
            file,
            kind: 'workflow',
            line,
            dockerfile: literalFile ? norm(rawFile) : norm(path.posix.join(context, 'Dockerfile')),
            context,
            fixedOnlyByHand: `the \`docker build\` in ${file} (line ${line}) builds from ${context}: change its context by hand`,
            rewrite() {},
          });
        }
        return;
      }
      const ctxRaw = str(build.with?.get('context', true));
      const fileRaw = str(build.with?.get('file', true));
      if (ctxRaw === null) return; // the action's default is the git checkout itself: the repo root
      const locate = (target: Document) => {
        const j = jobsOf(target)[jobIndex]!;
        return j.steps!.items[stepIndex] as YAMLMap;
      };
      const matrixKey = MATRIX_REF.exec(ctxRaw)?.[1];
      if (!matrixKey) {
        if (ctxRaw.includes('${{')) return;
        const context = norm(ctxRaw);
        const dockerfile = fileRaw === null ? norm(path.posix.join(context, 'Dockerfile')) : fileRaw.includes('${{') ? null : norm(fileRaw);
        if (dockerfile === null) return;
        out.push({
          file,
          kind: 'workflow',
          line,
          dockerfile,
          context,
          fixedOnlyByHand: null,
          rewrite(target, newContext, newDockerfile) {
            const w = locate(target).get('with', true) as unknown as YAMLMap;
            (w.get('context', true) as { value: unknown }).value = newContext;
            const f = w.get('file', true);
            if (isScalar(f)) f.value = newDockerfile;
            else w.set('file', newDockerfile);
          },
        });
        return;
      }
      // `context: ${{ matrix.K }}`: one reference per `include` entry that sets K.
      const fileKey = fileRaw === null ? null : (MATRIX_REF.exec(fileRaw)?.[1] ?? null);
      const strategy = job.map.get('strategy', true);
      const matrix = isMap(strategy) ? strategy.get('matrix', true) : null;
      const include = isMap(matrix) ? matrix.get('include', true) : null;
      if (!isSeq(include)) return;
      include.items.forEach((item, itemIndex) => {
        if (!isMap(item)) return;
        const ctxValue = str(item.get(matrixKey, true));
        if (ctxValue === null) return;
        const context = norm(ctxValue);
        const dfValue = fileKey ? str(item.get(fileKey, true)) : fileRaw;
        const dockerfile = dfValue === null ? norm(path.posix.join(context, 'Dockerfile')) : norm(dfValue);
        out.push({
          file,
          kind: 'workflow',
          line: lineOf(text, item as Node),
          dockerfile,
          context,
          fixedOnlyByHand:
            fileRaw === null
              ? `${file} (line ${lineOf(text, item as Node)}) builds with the Dockerfile of \`\${{ matrix.${matrixKey} }}\` and no \`file:\`: add \`file:\` to the build step by hand`
              : fileKey === null && fileRaw.includes('${{')
                ? `the build step's \`file:\` in ${file} is an expression shipshape cannot follow`
                : null,
          rewrite(target, newContext, newDockerfile) {
            const j = jobsOf(target)[jobIndex]!;
            const entry = ((j.map.getIn(['strategy', 'matrix', 'include'], true) as { items: unknown[] }).items[itemIndex]) as YAMLMap;
            (entry.get(matrixKey, true) as { value: unknown }).value = newContext;
            if (fileKey) (entry.get(fileKey, true) as { value: unknown }).value = newDockerfile;
          },
        });
      });
    });
  });
  return out;
}

function refsIn(kind: 'compose' | 'workflow', file: string, doc: Document, text: string): Located[] {
  return kind === 'compose' ? composeRefs(file, doc, text) : workflowRefs(file, doc, text);
}

interface Builders {
  refs: BuildRef[];
  /** The same references by the Dockerfile they build: every Dockerfile rule asks. */
  byDockerfile: Map<string, BuildRef[]>;
  /** Compose and workflow files that do not parse: what they build is unknown. */
  unreadable: string[];
}

const cache = new WeakMap<WorkspaceView, Builders>();

function builders(ws: WorkspaceView): Builders {
  let found = cache.get(ws);
  if (!found) {
    found = { refs: [], unreadable: [], byDockerfile: new Map() };
    for (const kind of ['compose', 'workflow'] as const)
      for (const file of ws.paths(kind)) {
        const text = ws.read(file);
        if (text === undefined) continue;
        const doc = parseYaml(text);
        // The file's own parse error is reported on it; here it only means "builds who knows what".
        if (doc.errors.length > 0) found.unreadable.push(file);
        else found.refs.push(...refsIn(kind, file, doc, text).map(({ rewrite: _, ...ref }) => ref));
      }
    for (const ref of found.refs) found.byDockerfile.set(ref.dockerfile, [...(found.byDockerfile.get(ref.dockerfile) ?? []), ref]);
    cache.set(ws, found);
  }
  return found;
}

/** Every compose entry and workflow step of the workspace that builds an image, read once per run. */
export function buildRefs(ws: WorkspaceView): BuildRef[] {
  return builders(ws).refs;
}

/** Compose and workflow files that do not parse, so may build anything. */
export function unreadableBuilders(ws: WorkspaceView): string[] {
  return builders(ws).unreadable;
}

/** The references that build `dockerfile`. */
export function refsTo(ws: WorkspaceView, dockerfile: string): BuildRef[] {
  return builders(ws).byDockerfile.get(norm(dockerfile)) ?? [];
}

/**
 * Points the references of `file` whose Dockerfile `moves` at the repo-root
 * context. Returns true when the tree changed.
 */
export function retargetToRoot(kind: 'compose' | 'workflow', file: string, doc: Document, text: string, moves: (dockerfile: string) => boolean): boolean {
  let changed = false;
  for (const ref of refsIn(kind, file, doc, text))
    if (ref.context !== '.' && !ref.fixedOnlyByHand && moves(ref.dockerfile)) {
      ref.rewrite(doc, '.', ref.dockerfile);
      changed = true;
    }
  return changed;
}
