// Where the file an image runs comes from. The path is followed back through
// the COPY instructions that cover it: `COPY --from=<stage>` leads into that
// stage, a COPY from the build context (or no COPY at all: a RUN made it)
// ends in a stage whose layout maps it to a repo path. That stage's RUN lines
// are the build that must produce it. A copy from an external image, a
// variable, a wildcard, an archive or a remote source, or a build step
// after the file was copied, leaves the origin unknown.
import path from 'node:path';
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { DockerfileContext } from '../../../src/engine/types.js';
import { buildContext } from './build-context.js';
import { contextRootOf, copyOf, flag, normalizeSource } from './build-copies.js';
import { findStage, lineage, lineageInstructions, workdirAt } from './build-stages.js';
import { join, within } from './stage-build-emit.js';
import { BuildWalk, type Place } from './stage-build-scripts.js';
import type { Service } from './stage-build-tools.js';
import { isPattern, isRemote } from './stage-context.js';

export interface Origin {
  stage: DockerStage;
  /** The file in that stage's filesystem. */
  image: string;
  /** The same file from the workspace root. */
  repo: string;
}

type Ctx = Pick<DockerfileContext, 'path' | 'tree' | 'workspace'>;

interface Copy {
  instr: DockerInstruction;
  sources: string[];
  /** Absolute destination; null when a variable or WORKDIR hides it. */
  dest: string | null;
  dirDest: boolean;
  /** 'context', an earlier stage, or null for an external image. */
  from: 'context' | DockerStage | null;
  /** Heredoc, --parents, remote or archive sources: what lands where is not literal. */
  opaque: boolean;
}

/** A wildcard file name with a literal extension: `package*.json`, `*.lock`. */
const FILE_PATTERN = /^[^/]*\.[a-z][a-z0-9]*$/i;

function globName(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

const ARCHIVE = /\.(tar|tgz|tar\.gz|tar\.bz2|tbz2|tar\.xz|txz)$/;

function argumentsOf(instr: DockerInstruction): string[] {
  return instr.execForm ?? (instr.node as unknown as { getArguments(): { getValue(): string }[] }).getArguments().map((a) => a.getValue());
}

// Asked for every path traced and every RUN's folder: one list per stage of a tree.
const copyCache = new WeakMap<DockerfileTree, Map<DockerStage, Copy[]>>();

function copiesOf(tree: DockerfileTree, stage: DockerStage): Copy[] {
  let byStage = copyCache.get(tree);
  if (!byStage) copyCache.set(tree, (byStage = new Map()));
  let copies = byStage.get(stage);
  if (!copies) byStage.set(stage, (copies = readCopies(tree, stage)));
  return copies;
}

function readCopies(tree: DockerfileTree, stage: DockerStage): Copy[] {
  const out: Copy[] = [];
  for (const owner of lineage(tree, stage))
    for (const instr of owner.instructions) {
      if (instr.keyword !== 'COPY' && instr.keyword !== 'ADD') continue;
      const args = argumentsOf(instr);
      const destRaw = args[args.length - 1] ?? '';
      const sources = args.slice(0, -1);
      const wd = workdirAt(tree, owner, instr);
      const fromRef = flag(instr, 'from');
      const opaque =
        instr.args.includes('<<') || flag(instr, 'parents') !== null || (instr.keyword === 'ADD' && sources.some((s) => isRemote(s) || ARCHIVE.test(s)));
      out.push({
        instr,
        sources,
        dest: wd === null || destRaw.includes('$') ? null : path.posix.resolve(wd, destRaw),
        dirDest: destRaw.endsWith('/') || destRaw === '.' || sources.length > 1,
        from: fromRef === null ? 'context' : (findStage(tree, fromRef, owner.index) ?? null),
        opaque,
      });
    }
  return out;
}

/** Where the build context's root sits in a stage, when its context COPYs agree on it. */
function contextRoot(tree: DockerfileTree, stage: DockerStage): string | null {
  const roots = new Set<string>();
  for (const instr of lineageInstructions(tree, stage)) {
    const c = copyOf(tree.text, instr);
    if (!c || c.from !== null) continue;
    const root = contextRootOf(tree, stage, c);
    if (root !== null) roots.add(root);
  }
  return roots.size === 1 ? [...roots][0]! : null;
}

export class Trace {
  private readonly ctxDir: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly service: Service & { name?: string },
  ) {
    this.ctxDir = buildContext(ctx).dir;
  }

  /**
   * The paths in a COPY's source that land at `p`: 'none' when the COPY does
   * not cover p, 'unknown' when it may but its sources are not literal.
   */
  private through(c: Copy, p: string, kind: 'file' | 'dir'): string[] | 'none' | 'unknown' {
    if (c.dest === null) return 'unknown';
    if (!within(c.dest, p)) return 'none';
    if (c.opaque) return 'unknown';
    const out: string[] = [];
    for (const s of c.sources) {
      if (s.includes('$')) return 'unknown';
      if (isPattern(s)) {
        // `package*.json` only ever names files, each landing as dest/<its name>; other patterns may match folders.
        const name = path.posix.basename(s);
        if (!FILE_PATTERN.test(name) || isPattern(path.posix.dirname(s))) return 'unknown';
        const rest = path.posix.relative(c.dest, p);
        if (kind === 'file' && (!c.dirDest || (!rest.includes('/') && globName(name).test(rest)))) return 'unknown';
        continue;
      }
      const src = c.from === 'context' ? join('.', normalizeSource(s.replace(/^\/+/, ''))) : path.posix.resolve('/', s);
      const isFile = this.isFile(c, src);
      if (p === c.dest) {
        // The destination itself: a file copied to that name, or a folder copied onto it.
        if (!(c.dirDest && (kind === 'file' || isFile))) out.push(src);
        continue;
      }
      const rest = path.posix.relative(c.dest, p);
      if (!isFile) out.push(join(src, rest)); // a folder: its contents land under dest
      if (c.dirDest && rest === path.posix.basename(src) && kind === 'file') out.push(src); // a file: dest/<its name>
    }
    return [...new Set(out)];
  }

  /**
   * Whether a COPY source is a file: a context path the repo reads; otherwise
   * (another stage's path, build output absent from the repo) one whose name
   * has an extension (package.json; not .next or node-v22.1.0).
   */
  private isFile(c: Copy, src: string): boolean {
    if (c.from === 'context') {
      const repo = join(this.ctxDir, src);
      if (this.ctx.workspace.read(repo) !== undefined) return true;
      if (this.ctx.workspace.exists(repo)) return false;
    }
    return /^[^.].*\.[a-z][a-z0-9]*$/i.test(path.posix.basename(src));
  }

  /** The origins of the file at `p` in `stage`; null when one of them is unknown. */
  origins(stage: DockerStage, p: string, kind: 'file' | 'dir' = 'file', depth = 0): Origin[] | null {
    if (depth > 8) return null;
    const inStage: Origin[] = [];
    const upstream: { copy: Copy; from: DockerStage; src: string }[] = [];
    let covered = false;
    for (const c of [...copiesOf(this.ctx.tree, stage)].reverse()) {
      const srcs = this.through(c, p, kind);
      if (srcs === 'none') continue;
      if (srcs === 'unknown' || c.from === null) return null;
      if (srcs.length === 0) continue; // a file copied into the folder, under another name
      covered = true;
      if (c.from === 'context') for (const s of srcs) inStage.push({ stage, image: p, repo: join(this.ctxDir, s) });
      else for (const s of srcs) upstream.push({ copy: c, from: c.from, src: s });
      // A later copy of one file hides the earlier ones; folder copies merge, so earlier ones may still bring it.
      if (c.from === 'context' && srcs.length === 1 && this.isFile(c, srcs[0]!)) break;
    }
    if (!covered) {
      // Made in this stage by a RUN: the stage's layout of the context maps it.
      const root = contextRoot(this.ctx.tree, stage);
      if (root === null || !within(root, p)) return null;
      inStage.push({ stage, image: p, repo: join(this.ctxDir, path.posix.relative(root, p) || '.') });
    }
    const out = [...inStage];
    for (const u of upstream) {
      // A build step after the copy could rewrite the file; when this stage also builds it, that build is judged with it.
      if (kind === 'file' && inStage.length === 0 && this.buildsAfter(stage, u.copy.instr, p)) return null;
      const more = this.origins(u.from, u.src, kind, depth + 1);
      if (more === null) return null;
      out.push(...more);
    }
    return out;
  }

  /** The repo folder an image folder of `stage` holds; null when the layout does not say. */
  repoDir(stage: DockerStage, dir: string): string | null {
    const found = this.origins(stage, dir, 'dir');
    return found && found.length > 0 ? found[0]!.repo : null;
  }

  private place(stage: DockerStage, cwd: string, target: string): Place {
    return { cwd, repo: this.repoDir(stage, cwd), target };
  }

  /** Walks the RUN instructions of `stage` (from `after` on, when given) as a build. */
  walk(stage: DockerStage, target: Origin, after?: DockerInstruction): BuildWalk {
    const tree = this.ctx.tree;
    const walk = new BuildWalk(this.ctx.workspace, this.service, target.repo);
    const cd = (from: Place, d: string): Place => this.place(stage, path.posix.resolve(from.cwd, d.replace(/^~(?=\/|$)/, '/root')), target.image);
    let started = after === undefined;
    for (const owner of lineage(tree, stage))
      for (const instr of owner.instructions) {
        if (instr === after) started = true;
        if (!started || instr.keyword !== 'RUN') continue;
        const wd = workdirAt(tree, owner, instr);
        if (wd === null) {
          walk.unknown = true;
          return walk;
        }
        const place = this.place(stage, wd, target.image);
        if (instr.execForm) walk.command(instr.execForm, place, cd, 0);
        else {
          const shell = tree.shellOf(instr);
          if (shell) walk.shell(shell, place, cd);
          else walk.unknown = true;
        }
      }
    return walk;
  }

  private buildsAfter(stage: DockerStage, copy: DockerInstruction, p: string): boolean {
    const walk = this.walk(stage, { stage, image: p, repo: '.' }, copy);
    return walk.unknown || walk.outputs.length > 0;
  }
}
