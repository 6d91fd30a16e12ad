// Where a service's build puts its entry file, read from the repo rather than
// guessed: the tsconfig the build script compiles with (`tsc -p X`, else
// tsconfig.build.json, else tsconfig.json, following relative `extends`),
// its outDir and rootDir, and package.json#main. tsc mirrors the source tree
// under outDir relative to rootDir, so `rootDir: "../.."` turns src/index.ts
// into dist/services/<svc>/src/index.js, not dist/index.js.
import path from 'node:path';
import { parseShell } from '../../../src/engine/shell.js';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { join } from './stage-context.js';

/** JSON with comments and trailing commas (tsconfig's dialect) to a value; undefined when invalid. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else if (c === ',') {
      let j = i + 1;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text[j] !== '}' && text[j] !== ']') out += c;
    } else out += c;
  }
  try {
    return JSON.parse(out);
  } catch {
    return undefined;
  }
}

export interface TsBuild {
  /** The tsconfig file, relative to the workspace root. */
  config: string;
  /** Relative to the workspace root; null when the chain sets none. */
  outDir: string | null;
  rootDir: string | null;
  /** Directories of `include`, relative to the workspace root. */
  include: string[];
}

interface CompilerBits {
  outDir?: string;
  rootDir?: string;
  include?: string[];
}

function readConfig(ws: WorkspaceView, file: string, depth: number): CompilerBits | null {
  const text = ws.read(file);
  if (text === undefined || depth > 5) return null;
  const json = parseJsonc(text) as { extends?: unknown; compilerOptions?: { outDir?: unknown; rootDir?: unknown }; include?: unknown } | undefined;
  if (!json || typeof json !== 'object') return null;
  const dir = path.posix.dirname(file);
  const parents = (Array.isArray(json.extends) ? json.extends : [json.extends]).filter((e): e is string => typeof e === 'string' && e.startsWith('.'));
  const bits: CompilerBits = {};
  for (const parent of parents) {
    const target = join(dir, parent.endsWith('.json') ? parent : `${parent}.json`);
    Object.assign(bits, readConfig(ws, target, depth + 1) ?? {});
  }
  const opts = json.compilerOptions ?? {};
  if (typeof opts.outDir === 'string') bits.outDir = join(dir, opts.outDir);
  if (typeof opts.rootDir === 'string') bits.rootDir = join(dir, opts.rootDir);
  if (Array.isArray(json.include)) bits.include = json.include.filter((p): p is string => typeof p === 'string').map((p) => join(dir, p.split(/[*?]/)[0] ?? '.'));
  return bits;
}

function scripts(manifest: Record<string, unknown>): Record<string, string> {
  const s = manifest.scripts;
  return s && typeof s === 'object' ? (s as Record<string, string>) : {};
}

/** The `-p/--project` of a `tsc` call in the build script, if any. */
function projectOf(build: string | undefined): string | null {
  if (!build) return null;
  let tree;
  try {
    tree = parseShell(build, 'scripts.build');
  } catch {
    return null;
  }
  for (const cmd of tree.commands) {
    const args = cmd.args[0] === 'npx' ? cmd.args.slice(1) : cmd.args;
    if (args[0] !== 'tsc') continue;
    const at = args.findIndex((a) => a === '-p' || a === '--project');
    if (at >= 0 && args[at + 1]) return args[at + 1]!;
  }
  return null;
}

/** The TypeScript build of the package in `dir`, or null when it has no tsconfig. */
export function tsBuild(ws: WorkspaceView, dir: string, manifest: Record<string, unknown>): TsBuild | null {
  const project = projectOf(scripts(manifest).build);
  const candidates = project ? [project.endsWith('.json') ? project : join(project, 'tsconfig.json')] : ['tsconfig.build.json', 'tsconfig.json'];
  for (const c of candidates) {
    const config = join(dir, c);
    const bits = readConfig(ws, config, 0);
    if (bits) return { config, outDir: bits.outDir ?? null, rootDir: bits.rootDir ?? null, include: bits.include ?? [] };
  }
  return null;
}

const SOURCE_EXT: Record<string, string[]> = { '.js': ['.ts', '.tsx', '.js', '.jsx'], '.mjs': ['.mts', '.mjs'], '.cjs': ['.cts', '.cjs'] };
const EMIT_EXT: Record<string, string> = { '.ts': '.js', '.tsx': '.js', '.js': '.js', '.jsx': '.js', '.mts': '.mjs', '.cts': '.cjs' };
const ENTRY_CANDIDATES = ['src/index.ts', 'src/main.ts', 'src/server.ts', 'src/app.ts', 'index.ts', 'src/index.js', 'src/main.js'];

const within = (dir: string, file: string) => dir === '.' || file === dir || file.startsWith(`${dir}/`);

/** The source roots tsc maps outDir from: rootDir, else the include dirs, else the config's folder. */
function sourceRoots(ts: TsBuild): string[] {
  return ts.rootDir ? [ts.rootDir] : [...ts.include, path.posix.dirname(ts.config)];
}

/** Where tsc emits `source` (both relative to the workspace root). */
function emitted(ts: TsBuild, source: string): string | null {
  const root = sourceRoots(ts).find((r) => within(r, source));
  const ext = path.posix.extname(source);
  if (!ts.outDir || !root || !EMIT_EXT[ext]) return null;
  return join(ts.outDir, path.posix.relative(root, source).slice(0, -ext.length) + EMIT_EXT[ext]);
}

export type EntryVerdict = { ok: true } | { ok: false; expected: string | null; reason: string } | null;

/**
 * Whether `target` (a file the image runs, relative to the workspace root)
 * is what the package in `dir` builds. null when the repo does not say.
 */
export function checkEntry(ws: WorkspaceView, dir: string, manifest: Record<string, unknown>, target: string): EntryVerdict {
  const ext = path.posix.extname(target);
  const sourceExts = SOURCE_EXT[ext];
  if (!sourceExts) return null;
  const ts = tsBuild(ws, dir, manifest);
  const main = typeof manifest.main === 'string' ? join(dir, manifest.main) : null;
  if (!ts?.outDir) return null;
  const stem = target.slice(0, -ext.length);
  const expected = (): string | null => {
    if (main && within(ts.outDir!, main)) return main;
    const entry = ENTRY_CANDIDATES.map((c) => join(dir, c)).find((c) => ws.exists(c));
    return entry ? emitted(ts, entry) : null;
  };
  if (!within(ts.outDir, target)) {
    if (ws.exists(target)) return { ok: true };
    const source = ['.ts', '.tsx', '.mts', '.cts'].map((e) => stem + e).find((s) => ws.exists(s));
    return source ? { ok: false, expected: expected(), reason: `${path.posix.relative(dir, source)} is TypeScript source; node runs the compiled output` } : null;
  }
  const rel = path.posix.relative(ts.outDir, stem);
  const sources = sourceRoots(ts).flatMap((r) => sourceExts.map((e) => join(r, rel + e)));
  if (sources.some((s) => ws.exists(s))) return { ok: true };
  const settings = `outDir ${path.posix.relative(dir, ts.outDir) || '.'}${ts.rootDir ? `, rootDir ${path.posix.relative(dir, ts.rootDir) || '.'}` : ''}`;
  return { ok: false, expected: expected(), reason: `${path.posix.relative('.', ts.config)} (${settings}) compiles no source to it` };
}
