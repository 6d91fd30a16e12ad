// The one question cmd-path-mismatch asks every build tool (tsc, nest, tsup,
// esbuild, swc): does it write this file? Each tool module answers through
// this shape, so the check combines tools without knowing them. A tool says
// 'no' only about files inside the folder it writes: anything else is
// 'outside', and 'unknown' whenever the repo does not show its settings.
import path from 'node:path';
import type { WorkspaceView } from '../../../src/engine/types.js';

export type Emits = 'yes' | 'no' | 'outside' | 'unknown';

export interface ToolOutput {
  /** Whether the tool writes `file` (repo-relative). */
  emits(file: string): Emits;
  /** Why a file inside its output folder is not written, for the message. */
  missing: string;
  /** The service's entry as the tool emits it; null when the repo does not say. */
  entry(): string | null;
}

export { join } from './stage-context.js';

/** A word list written as one line: `wordList('rm mkdir echo')`. */
export const wordList = (text: string): string[] => text.split(' ');

export const within = (dir: string, file: string): boolean => dir === '.' || file === dir || file.startsWith(`${dir}/`);

/** `a/b.ts` -> `a/b`. */
export const stemOf = (file: string): string => file.slice(0, file.length - path.posix.extname(file).length);

/** Source extensions a compiler turns into each emitted extension. */
export const SOURCE_EXT: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.js', '.jsx'],
  '.mjs': ['.mts', '.mjs'],
  '.cjs': ['.cts', '.cjs'],
};

/** What tsc and swc emit for each source extension (`.tsx` is `.js` unless jsx is preserved; the check never asks about `.jsx`). */
export const EMIT_EXT: Record<string, string> = {
  '.ts': '.js',
  '.tsx': '.js',
  '.js': '.js',
  '.jsx': '.js',
  '.mts': '.mjs',
  '.mjs': '.mjs',
  '.cts': '.cjs',
  '.cjs': '.cjs',
};

export const TS_EXT = ['.ts', '.tsx', '.mts', '.cts'];

/** The existing source that compiles to `emitted` when it sits at `stem`, if any. */
export function sourceAt(ws: WorkspaceView, stem: string, emittedExt: string): string | null {
  for (const e of SOURCE_EXT[emittedExt] ?? []) if (ws.exists(stem + e)) return stem + e;
  return null;
}

/** The deepest folder holding every file. */
export function commonDir(files: string[]): string | null {
  if (files.length === 0) return null;
  let parts = path.posix.dirname(files[0]!).split('/');
  for (const f of files.slice(1)) {
    const other = path.posix.dirname(f).split('/');
    let i = 0;
    while (i < parts.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  const dir = parts.join('/');
  return dir === '' ? '.' : dir;
}

/** `dir` and every folder above it, up to the workspace root. */
export function selfAndAncestors(dir: string): string[] {
  const out = [dir];
  for (let d = dir; d !== '.';) out.push((d = path.posix.dirname(d)));
  return out;
}

/** A package's manifest by folder: the inventory's when it has one, else the file. */
export function manifestAt(ws: WorkspaceView, dir: string): Record<string, unknown> | null {
  const known = ws.packages.find((p) => p.dir === dir) ?? ws.services.find((s) => s.dir === dir);
  if (known) return known.manifest;
  const text = ws.read(path.posix.join(dir, 'package.json'));
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
