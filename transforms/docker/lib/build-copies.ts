// What a Dockerfile's COPY and ADD instructions bring in: their source and
// destination words with offsets (for edits), `--from` and `--chown`, and
// whether a source covers a given file.
import path from 'node:path';
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
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

