// The build tools cmd-path-mismatch knows, from their command lines: tsc,
// nest build, tsup, esbuild and swc. Each command becomes what it emits
// (stage-build-emit.ts), or null when its output depends on something the
// repo does not show (a JS build script, a webpack config, a glob entry, a
// flag it does not model): the check then says nothing.
import path from 'node:path';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { join, manifestAt, sourceAt, SOURCE_EXT, stemOf, within, wordList, type ToolOutput } from './stage-build-emit.js';
import { parseJsonc, readTsConfig, tscOutput, UNKNOWN, type TscOptions } from './stage-build-tsconfig.js';
import { tsupConfigs, type TsupConfig } from './stage-build-tsup.js';

export interface Service {
  dir: string;
  manifest: Record<string, unknown>;
}

/** The tools this module reads, by executable name. */
export const BUILD_TOOLS = new Set(['tsc', 'nest', 'tsup', 'esbuild', 'swc']);

/** A tool run that writes nothing (`tsc --noEmit`). */
const NOTHING: ToolOutput = { emits: () => 'outside', missing: '', entry: () => null };

const rel = (service: Service, p: string) => path.posix.relative(service.dir, p) || '.';

/** A file or folder an option names, from the workspace root; null when it leaves the workspace. */
function at(cwd: string, p: string): string | null {
  const out = path.posix.isAbsolute(p) ? '..' : join(cwd, p);
  return out.startsWith('..') ? null : out;
}

// ---- tsc ---------------------------------------------------------------------

/** tsc flags that take no value (they may still be followed by `true`/`false`). */
const TSC_SWITCHES = new Set(
  wordList(
    '-w --watch --pretty --incremental -i --force -f --verbose --dry -d --declaration --sourceMap --strict --skipLibCheck --esModuleInterop --removeComments --preserveWatchOutput --diagnostics --extendedDiagnostics --listFiles --listEmittedFiles --noEmitOnError --traceResolution --stopBuildOnErrors --inlineSourceMap --declarationMap',
  ),
);
const TSC_SILENT = new Set(wordList('--noEmit --emitDeclarationOnly -v --version -h --help --all --showConfig --init --listFilesOnly'));

/** The configs a `-p`/`-b` argument names: a file, or a folder's tsconfig.json. */
function projectFile(ws: WorkspaceView, cwd: string, p: string): string | null {
  const file = at(cwd, p);
  if (file === null) return null;
  return ws.read(file) !== undefined ? file : join(file, 'tsconfig.json');
}

/** Project references of a config (tsc -b builds them too), as config files. */
function referencesOf(ws: WorkspaceView, config: string): string[] {
  const json = parseJsonc(ws.read(config) ?? '') as { references?: { path?: unknown }[] } | undefined;
  const refs = Array.isArray(json?.references) ? json.references : [];
  return refs.map((r) => (typeof r?.path === 'string' ? projectFile(ws, path.posix.dirname(config), r.path) : null)).filter((f): f is string => f !== null);
}

function tsc(ws: WorkspaceView, args: string[], cwd: string, service: Service): ToolOutput[] | null {
  let project: string | null = null;
  let build = false;
  const projects: string[] = [];
  const opts: TscOptions = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    // In build mode -v is --verbose; --clean deletes what an earlier build wrote.
    if (build && a === '-v') continue;
    if (TSC_SILENT.has(a) || (build && a === '--clean')) return next === 'false' ? null : [NOTHING];
    if (a === '--outFile' || a === '--out') return null;
    if (a === '-p' || a === '--project') project = args[++i] ?? null;
    else if (a === '-b' || a === '--build') build = true;
    else if (a === '--outDir' || a === '--rootDir') {
      const dir = next === undefined ? null : at(cwd, next);
      if (dir === null) return null;
      opts[a === '--outDir' ? 'outDir' : 'rootDir'] = dir;
      i++;
    } else if (a.startsWith('-')) {
      if (next !== undefined && (next === 'true' || next === 'false' || (!TSC_SWITCHES.has(a) && !next.startsWith('-')))) i++;
    } else if (build) projects.push(a);
    else return null; // files on the command line: tsc ignores the tsconfig
  }
  let configs: (string | null)[];
  if (build) {
    const roots = (projects.length > 0 ? projects : ['.']).map((p) => projectFile(ws, cwd, p));
    const all = new Set<string>();
    const visit = (c: string | null, depth: number) => {
      if (c === null || all.has(c) || depth > 8) return;
      all.add(c);
      for (const r of referencesOf(ws, c)) visit(r, depth + 1);
    };
    if (roots.some((r) => r === null)) return null;
    roots.forEach((r) => visit(r, 0));
    configs = [...all];
  } else if (project !== null) configs = [projectFile(ws, cwd, project)];
  else {
    // tsc with no project looks for tsconfig.json from the current folder up.
    let dir = cwd;
    for (;;) {
      if (ws.read(join(dir, 'tsconfig.json')) !== undefined) break;
      if (dir === '.') return null;
      dir = path.posix.dirname(dir);
    }
    configs = [join(dir, 'tsconfig.json')];
  }
  const outputs = configs.map((c) => (c === null ? null : tscOutput(ws, c, opts, service)));
  return outputs.every((o): o is ToolOutput => o !== null) ? outputs : null;
}

// ---- nest build --------------------------------------------------------------

const NEST_CONFIGS = ['nest-cli.json', '.nestcli.json', '.nest-cli.json', 'nest.json'];

/** nest-cli.json's `builder`: its type, undefined when unset, null when it carries options that can move the output. */
function nestBuilder(b: unknown): string | undefined | null {
  if (b === undefined) return undefined;
  if (typeof b === 'string') return b;
  if (!b || typeof b !== 'object') return null;
  const { type, options } = b as { type?: unknown; options?: unknown };
  return typeof type === 'string' && options === undefined ? type : null;
}

function nest(ws: WorkspaceView, args: string[], cwd: string, service: Service): ToolOutput[] | null {
  if (args[1] !== 'build') return null;
  const cli: Record<string, string | true> = {};
  for (let i = 2; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return null; // an app name: a Nest monorepo project
    const [name, inline] = a.split('=', 2) as [string, string | undefined];
    if (['-p', '--path', '-c', '--config', '-b', '--builder', '--webpackPath'].includes(name)) cli[name] = inline ?? args[++i] ?? '';
    else cli[name] = true;
  }
  const configPath = (cli['-c'] ?? cli['--config']) as string | undefined;
  const configFile = configPath ? at(cwd, configPath) : (NEST_CONFIGS.map((n) => join(cwd, n)).find((f) => ws.read(f) !== undefined) ?? null);
  const config = configFile ? parseJsonc(ws.read(configFile) ?? '') : {};
  if (!config || typeof config !== 'object') return null;
  const c = config as { monorepo?: unknown; projects?: unknown; sourceRoot?: unknown; entryFile?: unknown; compilerOptions?: Record<string, unknown> };
  if (c.monorepo === true || (c.projects && typeof c.projects === 'object' && Object.keys(c.projects).length > 0)) return null;
  const sourceRoot = typeof c.sourceRoot === 'string' ? c.sourceRoot : 'src';
  const entryFile = typeof c.entryFile === 'string' ? c.entryFile : 'main';
  const co = c.compilerOptions && typeof c.compilerOptions === 'object' ? c.compilerOptions : {};
  const configured = nestBuilder(co.builder);
  if (configured === null) return null;
  const builder =
    ((cli['-b'] ?? cli['--builder']) as string | undefined) ??
    (cli['--webpack'] ? 'webpack' : cli['--tsc'] ? 'tsc' : (configured ?? (co.webpack === true ? 'webpack' : 'tsc')));
  const tsPath =
    ((cli['-p'] ?? cli['--path']) as string | undefined) ??
    (typeof co.tsConfigPath === 'string' ? co.tsConfigPath : ws.read(join(cwd, 'tsconfig.build.json')) !== undefined ? 'tsconfig.build.json' : 'tsconfig.json');
  const tsconfig = at(cwd, tsPath);
  const src = at(cwd, sourceRoot);
  if (tsconfig === null || src === null) return null;
  const entrySource = join(src, `${entryFile}.ts`);
  if (builder === 'tsc') {
    const out = tscOutput(ws, tsconfig, { entries: [entrySource] }, service);
    return out ? [out] : null;
  }
  if (builder === 'webpack') {
    // Nest's webpack defaults bundle the entry into dist/<entryFile>.js; a webpack config of the project may say otherwise.
    if (cli['--webpackPath'] || co.webpackConfigPath !== undefined || ws.exists(join(cwd, 'webpack.config.js'))) return null;
    const bundle = join(cwd, 'dist', `${entryFile}.js`);
    // Nest copies `assets` next to the bundle: then other files in dist/ are not known.
    const beside = co.assets === undefined ? 'no' : 'unknown';
    return [
      {
        emits: (f) => (f === bundle ? 'yes' : within(join(cwd, 'dist'), f) ? beside : 'outside'),
        missing: `nest build (webpack) bundles ${rel(service, entrySource)} into ${rel(service, bundle)} only`,
        entry: () => bundle,
      },
    ];
  }
  if (builder === 'swc') {
    const cfg = readTsConfig(ws, tsconfig);
    if (!cfg || cfg.outDir === UNKNOWN) return null;
    const outDir = cfg.outDir ?? join(cwd, 'dist');
    const lead = join(cwd, sourceRoot.split('/')[0]!);
    // @swc/cli before 0.2 (and with --strip-leading-paths) drops the first folder of each path; later versions keep it.
    const layouts = [lead, cwd];
    return [
      {
        emits(f) {
          if (!within(outDir, f)) return 'outside';
          if (path.posix.extname(f) !== '.js') return 'unknown';
          const r = path.posix.relative(outDir, stemOf(f));
          return layouts.some((l) => within(src, join(l, r)) && sourceAt(ws, join(l, r), '.js')) ? 'yes' : 'no';
        },
        missing: `nest build (swc, outDir ${rel(service, outDir)}) compiles ${rel(service, src)} and nothing maps to it`,
        entry: () => join(outDir, `${path.posix.relative(lead, stemOf(entrySource))}.js`),
      },
    ];
  }
  return null;
}

// ---- tsup ----------------------------------------------------------------------

const TSUP_VALUE_FLAGS = new Set(
  wordList(
    '-d --out-dir --outDir -f --format --config --target --platform --external --tsconfig --loader --inject --global-name --jsx-factory --jsx-fragment --on-success --onSuccess --ignore-watch --pure --public-dir --publicDir --cjs-interop',
  ),
);

const TSUP_OPTIONAL_VALUE = new Set(wordList('--dts --experimental-dts --sourcemap --minify --treeshake --watch -w --clean'));

/** tsup's default extension per format (tsup >= 5): it follows package.json#type. */
function tsupExt(format: string, moduleType: boolean): string | null {
  if (format === 'cjs') return moduleType ? '.cjs' : '.js';
  if (format === 'esm') return moduleType ? '.js' : '.mjs';
  return null;
}

/** Output names of an entry list, as esbuild names them: by key, or relative to the entries' common folder. */
function entryNames(entry: string[] | Record<string, string>, cwd: string): Map<string, string> | null {
  const out = new Map<string, string>();
  if (!Array.isArray(entry)) {
    for (const [name, file] of Object.entries(entry)) {
      const source = at(cwd, file);
      if (source === null || /[*?{[]/.test(file)) return null;
      out.set(name, source);
    }
    return out;
  }
  const sources = entry.map((e) => (/[*?{[!]/.test(e) ? null : at(cwd, e)));
  if (sources.length === 0 || sources.some((s) => s === null)) return null;
  const base = commonBase(sources as string[]);
  for (const s of sources as string[]) out.set(path.posix.relative(base, stemOf(s)), s);
  return out;
}

function commonBase(files: string[]): string {
  let parts = path.posix.dirname(files[0]!).split('/');
  for (const f of files.slice(1)) {
    const other = path.posix.dirname(f).split('/');
    let i = 0;
    while (i < parts.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/') || '.';
}

/** A bundler that writes exactly `files` into `dir`. */
function bundleOutput(files: Map<string, string>, dir: string, what: string, service: Service): ToolOutput {
  const sources = [...new Set(files.values())];
  return {
    emits: (f) => (files.has(f) ? 'yes' : within(dir, f) ? 'no' : 'outside'),
    missing: `${what} bundles ${sources.map((f) => rel(service, f)).join(', ')} and writes no other script into ${rel(service, dir)}`,
    entry: () => [...files.keys()][0] ?? null,
  };
}

function tsup(ws: WorkspaceView, args: string[], cwd: string, service: Service): ToolOutput[] | null {
  const entries: string[] = [];
  let outDir: string | undefined;
  let formats: string[] | undefined;
  let config: string | null = null;
  let noConfig = false;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const [name, inline] = a.startsWith('--') ? (a.split('=', 2) as [string, string | undefined]) : [a, undefined];
    const value = () => inline ?? args[++i] ?? '';
    if (name.startsWith('--entry.') || name === '--legacy-output') return null;
    if (name === '-d' || name === '--out-dir' || name === '--outDir') outDir = value();
    else if (name === '-f' || name === '--format') formats = [...(formats ?? []), ...value().split(',')];
    else if (name === '--config') config = value();
    else if (name === '--no-config') noConfig = true;
    else if (TSUP_VALUE_FLAGS.has(name) || name.startsWith('--env.') || name.startsWith('--define.')) value();
    else if (TSUP_OPTIONAL_VALUE.has(name)) {
      // cac gives these the next word when it is not a flag: `--dts src/index.ts` names the dts entry.
      if (inline === undefined && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) i++;
    } else if (name.startsWith('-')) continue;
    else if (/\.[cm]?[jt]sx?$/.test(a)) entries.push(a);
    else if (args[i - 1]?.startsWith('-'))
      continue; // the value of a flag with an optional value (`--sourcemap inline`)
    else return null;
  }
  const configs: TsupConfig[] | null = noConfig ? [] : tsupConfigs(ws, cwd, config);
  if (configs === null) return null;
  const builds = configs.length > 0 ? configs : [{}];
  const moduleType = manifestAt(ws, cwd)?.type === 'module';
  const outputs: ToolOutput[] = [];
  for (const b of builds) {
    const entry = entries.length > 0 ? entries : b.entry;
    if (!entry) return null;
    const names = entryNames(entry, cwd);
    const dir = at(cwd, outDir ?? b.outDir ?? 'dist');
    if (!names || dir === null) return null;
    const exts = (formats ?? b.format ?? ['cjs']).map((f) => tsupExt(f, moduleType));
    if (exts.some((e) => e === null)) return null;
    const files = new Map<string, string>();
    for (const [name, source] of names) for (const e of exts) files.set(join(dir, name + e), source);
    outputs.push(bundleOutput(files, dir, 'tsup', service));
  }
  return outputs;
}

// ---- esbuild -------------------------------------------------------------------

function esbuild(args: string[], cwd: string, service: Service): ToolOutput[] | null {
  const entries: string[] = [];
  const named: Record<string, string> = {};
  let outfile: string | undefined;
  let outdir: string | undefined;
  let outbase: string | undefined;
  let jsExt = '.js';
  for (const a of args.slice(1)) {
    if (a.startsWith('-')) {
      const [name, value] = a.split('=', 2) as [string, string | undefined];
      if (name === '--outfile' || name === '--outdir' || name === '--outbase' || name === '--entry-names') {
        if (value === undefined || name === '--entry-names') return null;
        if (name === '--outfile') outfile = value;
        else if (name === '--outdir') outdir = value;
        else outbase = value;
      } else if (name.startsWith('--out-extension:')) {
        if (name === '--out-extension:.js' && value) jsExt = value;
      }
      continue;
    }
    if (/[*?{[]/.test(a)) return null;
    const eq = a.indexOf('=');
    if (eq > 0) named[a.slice(0, eq)] = a.slice(eq + 1);
    else entries.push(a);
  }
  const total = entries.length + Object.keys(named).length;
  if (total === 0) return null;
  if (outfile !== undefined) {
    const file = at(cwd, outfile);
    const source = at(cwd, entries[0] ?? Object.values(named)[0]!);
    if (file === null || source === null || total !== 1) return null;
    return [bundleOutput(new Map([[file, source]]), path.posix.dirname(file), 'esbuild', service)];
  }
  const dir = outdir === undefined ? null : at(cwd, outdir);
  if (dir === null) return null; // no outfile or outdir: esbuild writes to stdout
  const files = new Map<string, string>();
  const sources = entries.map((e) => at(cwd, e));
  if (sources.some((s) => s === null)) return null;
  const base = outbase !== undefined ? at(cwd, outbase) : sources.length > 0 ? commonBase(sources as string[]) : cwd;
  if (base === null) return null;
  for (const s of sources as string[]) files.set(join(dir, path.posix.relative(base, stemOf(s)) + jsExt), s);
  for (const [name, file] of Object.entries(named)) {
    const source = at(cwd, file);
    if (source === null) return null;
    files.set(join(dir, name + jsExt), source);
  }
  return [bundleOutput(files, dir, 'esbuild', service)];
}

// ---- swc -----------------------------------------------------------------------

const ANY_SOURCE = ['.ts', '.tsx', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'];
const SWC_VALUE_FLAGS = new Set(
  wordList(
    '-d --out-dir -o --out-file --config-file -C --config --extensions --ignore --only --out-file-extension --source-root --source-file-name --env-name --log-watch-compilation --workers',
  ),
);

function swc(ws: WorkspaceView, args: string[], cwd: string, service: Service): ToolOutput[] | null {
  const inputs: string[] = [];
  let outDir: string | undefined;
  let outFile: string | undefined;
  let strip = false;
  let ext: string | null = null;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const [name, inline] = a.startsWith('--') ? (a.split('=', 2) as [string, string | undefined]) : [a, undefined];
    const value = () => inline ?? args[++i] ?? '';
    if (name === '--cli-config-file') return null;
    if (name === '-d' || name === '--out-dir') outDir = value();
    else if (name === '-o' || name === '--out-file') outFile = value();
    else if (name === '--out-file-extension') ext = `.${value().replace(/^\./, '')}`;
    else if (name === '--strip-leading-paths') strip = true;
    else if (SWC_VALUE_FLAGS.has(name)) value();
    else if (name === '-s' || name === '--source-maps') {
      if (['true', 'false', 'inline', 'both'].includes(args[i + 1] ?? '')) i++;
    } else if (name.startsWith('-')) continue;
    else inputs.push(a);
  }
  const sources = inputs.map((p) => (/[*?{[]/.test(p) ? null : at(cwd, p)));
  if (sources.length === 0 || sources.some((s) => s === null)) return null;
  if (outFile !== undefined) {
    const file = at(cwd, outFile);
    return file === null || sources.length !== 1 ? null : [bundleOutput(new Map([[file, sources[0]!]]), path.posix.dirname(file), 'swc', service)];
  }
  const dir = outDir === undefined ? null : at(cwd, outDir);
  if (dir === null) return null;
  return [
    {
      emits(f) {
        if (!within(dir, f)) return 'outside';
        const fe = path.posix.extname(f);
        if (ext !== null && fe !== ext) return 'no';
        const exts = ext !== null ? ANY_SOURCE : SOURCE_EXT[fe];
        if (!exts) return 'unknown';
        const r = path.posix.relative(dir, stemOf(f));
        for (const input of sources as string[]) {
          // swc names each file by its path from the current folder; --strip-leading-paths (and @swc/cli before 0.2) drops the first folder.
          const lead = join(cwd, path.posix.relative(cwd, input).split('/')[0]!);
          for (const l of strip ? [lead] : [lead, cwd]) {
            const candidates = exts.map((e) => join(l, r) + e);
            if (candidates.some((c) => (c === input || within(input, c)) && ws.exists(c))) return 'yes';
          }
        }
        return 'no';
      },
      missing: `swc (out-dir ${rel(service, dir)}${strip ? ', --strip-leading-paths' : ''}) compiles ${sources.map((s) => rel(service, s!)).join(', ')} and nothing maps to it`,
      entry: () => null,
    },
  ];
}

/** What one build tool command emits; null when the repo does not show it. */
export function toolOutputs(ws: WorkspaceView, argv: string[], cwd: string, service: Service): ToolOutput[] | null {
  switch (path.posix.basename(argv[0] ?? '')) {
    case 'tsc':
      return tsc(ws, argv, cwd, service);
    case 'nest':
      return nest(ws, argv, cwd, service);
    case 'tsup':
      return tsup(ws, argv, cwd, service);
    case 'esbuild':
      return esbuild(argv, cwd, service);
    case 'swc':
      return swc(ws, argv, cwd, service);
    default:
      return null;
  }
}
