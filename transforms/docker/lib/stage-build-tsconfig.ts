// What tsc emits for one tsconfig, read the way tsc reads it: the `extends`
// chain (relative files, workspace packages, node_modules when installed, in
// array order), paths relative to the config that wrote them, `${configDir}`,
// CLI `--outDir`/`--rootDir` over the file. A base the repo does not hold (an
// uninstalled npm package) may set anything the readable configs leave unset:
// such a setting is UNKNOWN, and the check stays silent rather than guess.
//
// tsc mirrors the source tree under outDir relative to the root directory:
// rootDir when set; the config's folder with `composite` or from TypeScript 6;
// before 6, the deepest folder holding every input, which an import from
// outside it (not visible here) can only raise. So without rootDir the layout
// is checked against that folder and every folder above it.
import path from 'node:path';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { commonDir, EMIT_EXT, join, manifestAt, selfAndAncestors, sourceAt, SOURCE_EXT, stemOf, TS_EXT, within, type ToolOutput } from './stage-build-emit.js';

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

export const UNKNOWN = Symbol('set by a base the repo does not show');
/** undefined: known to be unset. */
export type Known<T> = T | undefined | typeof UNKNOWN;

/** A path as written, with the folder of the config that wrote it. */
interface Written {
  value: string;
  base: string;
}

interface Settings {
  outDir?: Known<Written>;
  rootDir?: Known<Written>;
  outFile?: Known<Written>;
  include?: Known<Written[]>;
  files?: Known<Written[]>;
  exclude?: Known<Written[]>;
  allowJs?: Known<boolean>;
  composite?: Known<boolean>;
}

const KEYS = ['outDir', 'rootDir', 'outFile', 'include', 'files', 'exclude', 'allowJs', 'composite'] as const;

export interface TsConfig {
  file: string;
  dir: string;
  outDir: Known<string>;
  rootDir: Known<string>;
  outFile: Known<string>;
  include: Known<string[]>;
  files: Known<string[]>;
  exclude: Known<string[]>;
  allowJs: Known<boolean>;
  composite: Known<boolean>;
}

function everythingUnknown(): Settings {
  return Object.fromEntries(KEYS.map((k) => [k, UNKNOWN])) as Settings;
}

function merge(under: Settings, over: Settings): Settings {
  const out: Settings = { ...under };
  for (const k of KEYS) if (over[k] !== undefined) (out as Record<string, unknown>)[k] = over[k];
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A package's file named by an `extends` such as `@acme/tsconfig/node.json`: workspace package first, then node_modules. */
function packageFile(ws: WorkspaceView, spec: string, from: string): string | null {
  const parts = spec.split('/');
  const nameLength = spec.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const sub = parts.slice(nameLength).join('/');
  const workspace = ws.packages.find((p) => p.manifest.name === name)?.dir;
  const installed = selfAndAncestors(from).map((d) => join(d, 'node_modules', name));
  for (const dir of [...(workspace ? [workspace] : []), ...installed]) {
    const manifest = manifestAt(ws, dir);
    if (!manifest) continue;
    const rel = sub || (typeof manifest.tsconfig === 'string' ? manifest.tsconfig : 'tsconfig.json');
    // A file behind an `exports` map is not where this looks: unknown, not absent.
    return [join(dir, rel), join(dir, `${rel}.json`)].find((f) => ws.read(f) !== undefined) ?? null;
  }
  return null;
}

function extendsTarget(ws: WorkspaceView, spec: string, from: string): string | null {
  if (spec.startsWith('/') || /^[A-Za-z]:/.test(spec)) return null;
  if (!/^\.\.?(\/|$)/.test(spec)) return packageFile(ws, spec, from);
  const file = join(from, spec);
  if (ws.read(file) !== undefined) return file;
  return !file.endsWith('.json') && ws.read(`${file}.json`) !== undefined ? `${file}.json` : null;
}

function pathSetting(value: unknown, base: string): Known<Written> {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? { value, base } : UNKNOWN;
}

function listSetting(value: unknown, base: string): Known<Written[]> {
  if (value === undefined) return undefined;
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.map((v: string) => ({ value: v, base })) : UNKNOWN;
}

function flagSetting(value: unknown): Known<boolean> {
  if (value === undefined) return undefined;
  return typeof value === 'boolean' ? value : UNKNOWN;
}

function settingsOf(ws: WorkspaceView, file: string, depth: number): Settings | null {
  const text = ws.read(file);
  const json = text === undefined ? undefined : parseJsonc(text);
  if (!isRecord(json) || depth > 8) return null;
  const dir = path.posix.dirname(file);
  let acc: Settings = {};
  const parents = json.extends === undefined ? [] : Array.isArray(json.extends) ? json.extends : [json.extends];
  for (const spec of parents) {
    const target = typeof spec === 'string' ? extendsTarget(ws, spec, dir) : null;
    const base = target ? settingsOf(ws, target, depth + 1) : null;
    // A later base overrides an earlier one: an unreadable base may override anything read so far.
    acc = base ? merge(acc, base) : everythingUnknown();
  }
  const opts = isRecord(json.compilerOptions) ? json.compilerOptions : {};
  const own: Settings = {
    outDir: pathSetting(opts.outDir, dir),
    rootDir: pathSetting(opts.rootDir, dir),
    outFile: pathSetting(opts.outFile ?? opts.out, dir),
    include: listSetting(json.include, dir),
    files: listSetting(json.files, dir),
    exclude: listSetting(json.exclude, dir),
    allowJs: flagSetting(opts.allowJs),
    composite: flagSetting(opts.composite),
  };
  return merge(acc, own);
}

/** A written path from the workspace root: `${configDir}` is the leaf config's folder. */
function resolvePath(w: Written, leafDir: string): string | typeof UNKNOWN {
  const configDir = '${configDir}';
  const p = w.value.startsWith(configDir)
    ? join(leafDir, `.${w.value.slice(configDir.length)}`)
    : path.posix.isAbsolute(w.value)
      ? '..'
      : join(w.base, w.value);
  return p.startsWith('..') ? UNKNOWN : p;
}

function resolveOne(v: Known<Written>, leafDir: string): Known<string> {
  return v === undefined || v === UNKNOWN ? v : resolvePath(v, leafDir);
}

function resolveList(v: Known<Written[]>, leafDir: string): Known<string[]> {
  if (v === undefined || v === UNKNOWN) return v;
  const out = v.map((w) => resolvePath(w, leafDir));
  return out.some((p) => p === UNKNOWN) ? UNKNOWN : (out as string[]);
}

/** The tsconfig in `file` with its extends chain applied; null when the file is absent or invalid. */
export function readTsConfig(ws: WorkspaceView, file: string): TsConfig | null {
  const s = settingsOf(ws, file, 0);
  if (!s) return null;
  const dir = path.posix.dirname(file);
  return {
    file,
    dir,
    outDir: resolveOne(s.outDir, dir),
    rootDir: resolveOne(s.rootDir, dir),
    outFile: resolveOne(s.outFile, dir),
    include: resolveList(s.include, dir),
    files: resolveList(s.files, dir),
    exclude: resolveList(s.exclude, dir),
    allowJs: s.allowJs,
    composite: s.composite,
  };
}

/**
 * A tsconfig glob as a matcher of workspace paths. A last segment without a
 * wildcard or an extension names a folder (`src` is `src/**\/*`); an exclude
 * pattern also matches everything under what it names.
 */
function globMatcher(pattern: string, mode: 'include' | 'exclude'): RegExp {
  const last = pattern.split('/').pop() ?? '';
  const p = mode === 'include' && !/[*?.]/.test(last) ? `${pattern}/**/*` : pattern === '.' ? '**/*' : pattern;
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*' && (i === 0 || p[i - 1] === '/') && p[i + 2] === '/') {
      re += '(?:[^/]+/)*';
      i += 2;
    } else if (c === '*' && p[i + 1] === '*' && i + 2 === p.length) {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}${mode === 'exclude' ? '(?:/.*)?' : ''}$`);
}

/**
 * Files tsc certainly compiles with this config: the discovered code files it
 * includes and does not exclude, plus `files`. A subset of the real inputs
 * (tests and other undiscovered files are missing), so the folder common to
 * them is the real one or below it. Null when a base hides the file lists.
 */
function certainInputs(ws: WorkspaceView, cfg: TsConfig, outDir: string): string[] | null {
  if (cfg.include === UNKNOWN || cfg.files === UNKNOWN || cfg.exclude === UNKNOWN) return null;
  const exts = cfg.allowJs === true ? [...TS_EXT, '.js', '.jsx', '.mjs', '.cjs'] : TS_EXT;
  const include = cfg.include ?? (cfg.files ? [] : [join(cfg.dir, '**/*')]);
  const exclude = cfg.exclude ?? [...['node_modules', 'bower_components', 'jspm_packages'].map((d) => join(cfg.dir, d)), outDir];
  const inc = include.map((p) => globMatcher(p, 'include'));
  const exc = exclude.map((p) => globMatcher(p, 'exclude'));
  const listed = (cfg.files ?? []).filter((f) => ws.exists(f));
  // tsc's wildcards skip names that start with a dot (.storybook/main.ts): leaving every such file out keeps this a subset.
  const matched = ws
    .paths('code')
    .filter(
      (f) => exts.includes(path.posix.extname(f)) && !f.endsWith('.d.ts') && !/(^|\/)\./.test(f) && inc.some((r) => r.test(f)) && !exc.some((r) => r.test(f)),
    );
  return [...new Set([...listed, ...matched])];
}

/** The TypeScript major the package builds with, from its manifest or the root's; null when not pinned to one. */
export function typescriptMajor(ws: WorkspaceView, dir: string): number | null {
  for (const d of selfAndAncestors(dir)) {
    const m = manifestAt(ws, d);
    if (!m) continue;
    for (const field of ['devDependencies', 'dependencies']) {
      const deps = m[field];
      const range = isRecord(deps) ? deps.typescript : undefined;
      if (typeof range !== 'string') continue;
      // Only a range inside one major (`^5.9.3`, `~5.4`, `5.x`) names it; `>=5`, `*` or `latest` may be 6.
      const major = /^[\^~=v]?(\d+)(?:\.(?:\d+|x|\*)){0,2}(?:-[\w.]+)?$/.exec(range.trim());
      return major ? Number(major[1]) : null;
    }
  }
  return null;
}

export interface TscOptions {
  /** `--outDir`/`--rootDir` given on the command line, from the workspace root. */
  outDir?: string;
  rootDir?: string;
  /** Sources the service starts from, for the message (nest: its sourceRoot/entryFile). */
  entries?: string[];
}

const ENTRY_CANDIDATES = ['src/index.ts', 'src/main.ts', 'src/server.ts', 'src/app.ts', 'index.ts', 'src/index.js', 'src/main.js'];

interface Layout {
  /** null: each file is emitted beside its source. */
  outDir: string | null;
  /** Folders tsc may mirror under outDir; the first is the one it uses in the common case. */
  roots: string[];
  /** How the first root was chosen, for messages. */
  inferred: boolean;
}

function layoutOf(ws: WorkspaceView, cfg: TsConfig, opts: TscOptions, major: number | null): Layout | null {
  const outDir = opts.outDir ?? cfg.outDir;
  if (outDir === UNKNOWN || (cfg.outFile !== undefined && cfg.outFile !== UNKNOWN)) return null;
  if (outDir === undefined) return { outDir: null, roots: [], inferred: false };
  const rootDir = opts.rootDir ?? cfg.rootDir;
  if (rootDir === UNKNOWN) return null;
  if (rootDir !== undefined) return { outDir, roots: [rootDir], inferred: false };
  if (cfg.composite === true || (major !== null && major >= 6)) return { outDir, roots: [cfg.dir], inferred: true };
  const inputs = certainInputs(ws, cfg, outDir);
  const common = inputs && commonDir(inputs);
  if (!common) return null;
  const configRoot = major === null || cfg.composite === UNKNOWN ? [cfg.dir] : [];
  return { outDir, roots: [...new Set([common, ...configRoot, ...selfAndAncestors(common)])], inferred: true };
}

/** What tsc emits with `config` (a tsconfig path from the workspace root); null when the repo does not show it. */
export function tscOutput(ws: WorkspaceView, config: string, opts: TscOptions, service: { dir: string; manifest: Record<string, unknown> }): ToolOutput | null {
  const cfg = readTsConfig(ws, config);
  if (!cfg) return null;
  const layout = layoutOf(ws, cfg, opts, typescriptMajor(ws, service.dir));
  if (!layout) return null;
  const { outDir, roots } = layout;
  const emits = (file: string) => {
    const ext = path.posix.extname(file);
    if (outDir === null) return SOURCE_EXT[ext] && sourceAt(ws, stemOf(file), ext) ? 'yes' : 'outside';
    if (!within(outDir, file)) return 'outside';
    if (!SOURCE_EXT[ext]) return 'unknown';
    const rel = path.posix.relative(outDir, stemOf(file));
    return roots.some((r) => sourceAt(ws, join(r, rel), ext)) ? 'yes' : 'no';
  };
  const emitted = (source: string): string | null => {
    const ext = EMIT_EXT[path.posix.extname(source)];
    if (!ext) return null;
    if (outDir === null) return stemOf(source) + ext;
    const root = roots[0]!;
    return within(root, source) ? join(outDir, path.posix.relative(root, stemOf(source)) + ext) : null;
  };
  const rel = (p: string) => path.posix.relative(service.dir, p) || '.';
  const rootNote = layout.inferred ? `, no rootDir: tsc mirrors ${rel(roots[0]!)}` : `, rootDir ${rel(roots[0]!)}`;
  return {
    emits,
    missing: `${config} (outDir ${outDir === null ? 'unset' : rel(outDir)}${outDir === null ? '' : rootNote}) compiles no source to it`,
    entry() {
      const main = typeof service.manifest.main === 'string' ? join(service.dir, service.manifest.main) : null;
      if (main && emits(main) === 'yes') return main;
      const source = [...(opts.entries ?? []), ...ENTRY_CANDIDATES.map((c) => join(service.dir, c))].find((c) => ws.exists(c));
      return source ? emitted(source) : null;
    },
  };
}
