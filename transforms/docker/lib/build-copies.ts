// What a Dockerfile's COPY and ADD instructions bring in: their source and
// destination words with offsets (for edits), `--from` and `--chown`, and
// whether a source covers a given file.
import path from 'node:path';
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../../src/engine/dockerfile.js';
import { lineage, resolveIn, workdirAt } from './build-stages.js';
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

/** The value of a flag (`--from`, `--chown`): null when absent, '' when it has none. */
export function flag(instr: DockerInstruction, name: string): string | null {
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

/** True when the COPY's destination is a folder: a trailing slash, `.`, or several sources. */
export const isDirDest = (c: CopyInstruction): boolean => c.dest.value.endsWith('/') || c.dest.value === '.' || c.sources.length > 1;

/**
 * The COPY's destination as an absolute image path, resolved against the
 * WORKDIR in effect (`stage` or a stage it builds on holds the COPY); null
 * when a variable hides it.
 */
export function resolvedDest(tree: DockerfileTree, stage: DockerStage, c: CopyInstruction): string | null {
  const owner = lineage(tree, stage).find((s) => s.instructions.includes(c.instr));
  const wd = owner ? workdirAt(tree, owner, c.instr) : null;
  if (wd === null || /[$]/.test(c.dest.value)) return null;
  return resolveIn(wd, c.dest.value);
}

/** The image folder a COPY writes into; null when a variable hides it. */
export function destDirOf(tree: DockerfileTree, stage: DockerStage, c: CopyInstruction): string | null {
  const dest = resolvedDest(tree, stage, c);
  return dest === null || isDirDest(c) ? dest : path.posix.dirname(dest);
}

/**
 * Where the build context's root lands in the image, judged from one COPY:
 * `COPY services/x/package.json ./` run in /app/services/x puts it at /app.
 * Null when the COPY does not tell.
 */
export function contextRootOf(tree: DockerfileTree, stage: DockerStage, c: CopyInstruction): string | null {
  const dest = resolvedDest(tree, stage, c);
  if (dest === null) return null;
  const imageDir = isDirDest(c) ? dest : path.posix.dirname(dest);
  for (const s of c.sources) {
    const src = normalizeSource(s.value);
    if (src === '') return dest;
    const dir = path.posix.dirname(src);
    if (/[*?[$]/.test(dir)) continue;
    if (dir === '.') return imageDir;
    if (imageDir.endsWith(`/${dir}`)) return imageDir.slice(0, -dir.length - 1) || '/';
  }
  return null;
}
