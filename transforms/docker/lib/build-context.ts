// What a Dockerfile's COPY instructions bring in from the build context, and
// where that context is. A Dockerfile under services/x/ builds either from
// its own folder or from the repo root; the COPY sources tell which: a source
// that only exists at the root (services/x/package.json, pnpm-workspace.yaml)
// means the root. Without such evidence the Dockerfile's folder is assumed,
// which is what `docker build services/x` and compose `build: ./services/x` do.
import path from 'node:path';
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { DockerfileContext } from '../../../src/engine/types.js';
import { argWords, type ArgWord } from './build-text.js';

export interface CopyInstruction {
  instr: DockerInstruction;
  sources: ArgWord[];
  dest: ArgWord;
  /** `--from=` value, null for the build context. */
  from: string | null;
  chown: string | null;
}

interface FlagNode {
  getFlags?(): { getName(): string; getValue(): string | null }[];
}

function flag(instr: DockerInstruction, name: string): string | null {
  const f = (instr.node as unknown as FlagNode).getFlags?.().find((x) => x.getName() === name);
  return f ? (f.getValue() ?? '') : null;
}

/** A shell-form COPY/ADD with its sources and destination; null for JSON form or a heredoc. */
export function copyOf(text: string, instr: DockerInstruction): CopyInstruction | null {
  if (instr.keyword !== 'COPY' && instr.keyword !== 'ADD') return null;
  if (instr.args.trim().startsWith('[') || instr.args.includes('<<')) return null;
  const words = argWords(text, instr);
  if (words.length < 2) return null;
  return { instr, sources: words.slice(0, -1), dest: words[words.length - 1]!, from: flag(instr, 'from'), chown: flag(instr, 'chown') };
}

export function copiesOf(tree: DockerfileTree, instrs: DockerInstruction[]): CopyInstruction[] {
  return instrs.map((i) => copyOf(tree.text, i)).filter((c): c is CopyInstruction => c !== null);
}

/** A COPY source as a context-relative path: `./a/` -> `a`, `.` -> ''. */
export function normalizeSource(src: string): string {
  const p = path.posix.normalize(src.replace(/\/+$/, ''));
  return p === '.' || p === './' ? '' : p.replace(/^\.\//, '');
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when copying `source` (context-relative) brings `file` (context-relative) along. */
export function covers(source: string, file: string): boolean {
  const src = normalizeSource(source);
  if (src === '') return true;
  if (/[*?[]/.test(src)) return globToRegExp(src).test(file) || file.startsWith(`${src}/`);
  return file === src || file.startsWith(`${src}/`);
}

export interface BuildContext {
  /** Repo-relative folder the build runs from ('.' for the root). */
  dir: string;
  /** Why: a COPY source proves it, or nothing did and the Dockerfile's folder is assumed. */
  evidence: 'root-only source' | 'dockerfile folder' | 'assumed';
}

/** The build context of the Dockerfile at `ctx.path`, judged from its COPY sources. */
export function buildContext(ctx: DockerfileContext): BuildContext {
  const own = path.posix.dirname(ctx.path);
  if (own === '.') return { dir: '.', evidence: 'dockerfile folder' };
  let local = false;
  for (const copy of copiesOf(ctx.tree, ctx.tree.instructions)) {
    if (copy.from !== null) continue;
    for (const s of copy.sources) {
      const src = normalizeSource(s.value);
      const first = src.split('/')[0] ?? '';
      if (first === '' || /[*?[$]/.test(first) || /^https?:/.test(s.value)) continue;
      const inOwn = ctx.workspace.exists(path.posix.join(own, first));
      if (!inOwn && ctx.workspace.exists(first)) return { dir: '.', evidence: 'root-only source' };
      if (inOwn) local = true;
    }
  }
  return { dir: own, evidence: local ? 'dockerfile folder' : 'assumed' };
}

/** Repo-relative path of a context-relative file. */
export function inRepo(context: BuildContext, file: string): string {
  return context.dir === '.' ? file : path.posix.join(context.dir, file);
}
