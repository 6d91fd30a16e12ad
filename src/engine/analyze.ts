// Reads a workspace: discovery, each file read and parsed once, the inventory
// built from those trees. The pieces here are shared by the whole-repo
// `analyze()` (generators, verify) and the streaming scan/fix pipeline, which
// runs them one package at a time, possibly in a worker (see run-package.ts).
import fs from 'node:fs';
import path from 'node:path';
import { codeFacts, FACT_NEEDLES, mergeFacts, type CodeFacts } from '../workspace/code-facts.js';
import { loadConfig } from '../workspace/config.js';
import { discover, type DiscoveredFile, type Discovery, type PackageDir } from '../workspace/discover.js';
import { composeFacts, type ComposeServiceFacts } from '../workspace/compose.js';
import { buildService, dockerFacts, type DockerFacts } from '../workspace/inventory.js';
import { withIndex } from './node-index.js';
import { checkSyntax, parse, ParseError, type Parsed } from './parsers.js';
import { hasNeedle } from './prefilter.js';
import { looksBinary, normalize, type TextShape } from './text.js';
import type { FileKind, PackageManagerInfo, ResolvedConfig, Service, WorkspaceView } from './types.js';
import { allRuleIds } from './catalog.js';
import type { AnyTransform } from './types.js';

/** Files above this size are reported and skipped: nobody hand-writes them. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

export interface LoadedFile {
  kind: FileKind;
  path: string;
  /** Owning package dir, null for repo-level files. */
  pkg: string | null;
  text: string;
  shape: TextShape;
  /** Set when parsing succeeded; shared by inventory, detect and fix. */
  parsed?: Parsed;
  /** Set when the file cannot be read or parsed. */
  problem?: { line: number; message: string };
  /** True when it could not even be read (its text is empty). */
  unreadable?: boolean;
}

export interface Analysis {
  discovery: Discovery;
  ws: WorkspaceView;
  files: LoadedFile[];
  /** Every package, including libraries, by dir. */
  packages: Map<string, Service>;
}

/** Each root's real path, resolved once: what a symlink's target is measured against. */
const realRoots = new Map<string, string>();

function realRoot(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) realRoots.set(root, (real = fs.realpathSync.native(root)));
  return real;
}

/**
 * Reads a file of the workspace. `discovered`: the path came from discovery,
 * which follows no symlink, so only the file itself can be one (one lstat
 * instead of resolving every folder of the path, per file of the run).
 */
export function readFile(root: string, rel: string, discovered = false): { text: string; shape: TextShape } | { problem: string; line?: number } {
  const abs = path.join(root, rel);
  let buf: Buffer;
  try {
    const own = discovered ? fs.lstatSync(abs) : null;
    // A symlink is followed only while it stays inside the root: the run reads
    // and fixes the repository, never what a link points at on the machine.
    const real = own?.isFile() ? abs : fs.realpathSync.native(abs);
    const within = own?.isFile() ? rel : path.relative(realRoot(root), real);
    if (within === '..' || within.startsWith(`..${path.sep}`) || path.isAbsolute(within)) return { problem: 'symlink to a path outside the root; not followed' };
    const stat = own?.isFile() ? own : fs.statSync(real);
    if (stat.size > MAX_FILE_BYTES) return { problem: `file is ${(stat.size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit; skipped` };
    buf = fs.readFileSync(real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { problem: 'symlink loop; skipped' };
    return { problem: `cannot read: ${code ?? (err as Error).message}` };
  }
  if (looksBinary(buf)) {
    const nul = buf.indexOf(0);
    const at = nul >= 0 ? nul : firstInvalidUtf8(buf);
    const line = lineOfByte(buf, at);
    if (nul >= 0) return { problem: 'binary content (a NUL byte); skipped', line };
    return { problem: `not UTF-8 text (byte 0x${buf[at]!.toString(16).toUpperCase().padStart(2, '0')}, latin-1?); skipped`, line };
  }
  return normalize(buf.toString('utf8'));
}

/** 1-based line of a byte offset: where an editor shows the bad byte. */
function lineOfByte(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i !== -1 && i < offset; i = buf.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte sequence that is not UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF). */
function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > buf.length) return i;
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < len; k++) {
      const c = buf[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return 0;
}

export function packageManagerOf(manifest: Record<string, unknown> | null, root: string, pnpmDefault?: string): PackageManagerInfo {
  const field = typeof manifest?.packageManager === 'string' ? manifest.packageManager : '';
  const m = /^(pnpm|npm|yarn)@(\d+\.\d+\.\d+[\w.-]*)/.exec(field);
  if (m) return { name: m[1] as PackageManagerInfo['name'], version: m[2]!.split('+')[0]! };
  if (fs.existsSync(path.join(root, 'pnpm-lock.yaml')) || fs.existsSync(path.join(root, 'pnpm-workspace.yaml'))) return { name: 'pnpm', version: pnpmDefault ?? null };
  if (fs.existsSync(path.join(root, 'yarn.lock'))) return { name: 'yarn', version: null };
  return { name: 'npm', version: null };
}

/**
 * Reads one file and parses it when something will read its tree: every
 * infra file, and a code file that holds an inventory fact or that `wanted`
 * (a transform's needles) says detection will read. Any other code file is
 * only syntax-checked by babel, so a broken file is still reported.
 */
export function loadFile(root: string, f: DiscoveredFile, wanted: (text: string) => boolean = () => false): LoadedFile {
  const read = readFile(root, f.path, true);
  if ('problem' in read) return { ...f, text: '', shape: { bom: false, eol: '\n' }, problem: { line: read.line ?? 1, message: read.problem }, unreadable: true };
  const loaded: LoadedFile = { ...f, ...read };
  try {
    if (f.kind === 'code' && !hasNeedle(FACT_NEEDLES, read.text) && !wanted(read.text)) checkSyntax(f.kind, f.path, read.text);
    else loaded.parsed = parse(f.kind, f.path, read.text);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    loaded.problem = { line: err.line, message: err.message };
  }
  return loaded;
}

export function composeEntriesOf(files: LoadedFile[]): ComposeServiceFacts[] {
  const entries: ComposeServiceFacts[] = [];
  for (const f of files) if (f.parsed?.kind === 'compose') entries.push(...composeFacts(f.path, f.parsed.doc, f.text));
  return entries;
}

/** One package's inventory entry, from its own loaded files and the compose entries of the repo. */
export function inventoryOf(root: string, pkg: PackageDir, mine: LoadedFile[], composeEntries: ComposeServiceFacts[], config: ResolvedConfig): Service {
  const facts: CodeFacts[] = [];
  for (const f of mine) {
    const parsed = f.parsed;
    if (parsed?.kind === 'code') facts.push(withIndex(parsed.root, () => codeFacts(parsed.j, parsed.root, f.path)));
  }
  const dockerfile = mine.find((f) => f.parsed?.kind === 'dockerfile' && path.posix.dirname(f.path) === pkg.dir) ?? mine.find((f) => f.parsed?.kind === 'dockerfile');
  const docker: DockerFacts | null = dockerfile?.parsed?.kind === 'dockerfile' ? dockerFacts(dockerfile.path, dockerfile.parsed.tree) : null;
  const baseName = path.posix.basename(pkg.dir);
  // By the Dockerfile it builds (a root-context build names it), its context folder, then its key.
  const compose =
    (docker ? composeEntries.find((c) => c.dockerfile === docker.path) : undefined) ??
    composeEntries.find((c) => c.context === pkg.dir) ??
    composeEntries.find((c) => c.name === baseName) ??
    null;
  const hasSchema = fs.existsSync(path.join(root, pkg.dir, 'prisma', 'schema.prisma'));
  return buildService(pkg, mergeFacts(facts), docker, compose, hasSchema, config.defaults.ports);
}

/** The services of an inventory: no libraries, no ignored services. */
export function servicesOf(packages: Iterable<Service>, config: ResolvedConfig): Service[] {
  return [...packages].filter((s) => s.type !== 'lib' && !config.ignoreServices.includes(s.name));
}

export interface ViewInput {
  root: string;
  packageManager: PackageManagerInfo;
  config: ResolvedConfig;
  services: Service[];
  packages: WorkspaceView['packages'];
  /** Discovered files' paths and kinds. */
  files: { path: string; kind: FileKind }[];
  inRun(rel: string): boolean;
  /** Texts already read (kept as the cache's first entries). */
  known?: Iterable<[string, string]>;
  /** Bound on cached texts; a worker keeps few, `analyze()` keeps all. */
  cacheLimit?: number;
  /** Nothing is written while the view lives (scan, fix before it writes): `exists` answers are kept. */
  stable?: boolean;
}

export function workspaceView(v: ViewInput): WorkspaceView {
  const cache = new Map<string, string | undefined>(v.known ?? []);
  // A run writes nothing until it ends, so what exists does not change during it.
  const present = new Map<string, boolean>();
  const limit = v.cacheLimit ?? Infinity;
  const byKind = new Map<FileKind, string[]>();
  for (const f of v.files) {
    const list = byKind.get(f.kind) ?? [];
    list.push(f.path);
    byKind.set(f.kind, list);
  }
  for (const list of byKind.values()) list.sort();
  const inside = (rel: string) => {
    const key = path.posix.normalize(rel);
    return key.startsWith('..') || path.isAbsolute(key) ? null : key;
  };
  return {
    root: v.root,
    packageManager: v.packageManager,
    config: v.config,
    services: v.services,
    packages: v.packages,
    paths: (kind) => [...(byKind.get(kind) ?? [])],
    inRun: (rel) => v.inRun(path.posix.normalize(rel)),
    read(rel) {
      const key = inside(rel);
      if (key === null) return undefined;
      if (!cache.has(key)) {
        const r = readFile(v.root, key);
        if (cache.size >= limit) cache.delete(cache.keys().next().value!);
        cache.set(key, 'text' in r ? r.text : undefined);
      }
      return cache.get(key);
    },
    exists(rel) {
      const key = inside(rel);
      if (key === null) return false;
      if (!v.stable) return fs.existsSync(path.join(v.root, key));
      let yes = present.get(key);
      if (yes === undefined) {
        if (present.size >= limit) present.delete(present.keys().next().value!);
        present.set(key, (yes = fs.existsSync(path.join(v.root, key))));
      }
      return yes;
    },
  };
}

/** The whole workspace at once, trees kept: for the generators and `verify`, which read one repo. */
export async function analyze(rootArg: string, transforms: AnyTransform[]): Promise<Analysis> {
  const discovery = discover(rootArg);
  const root = discovery.root;
  const config = await loadConfig(root, discovery.rootManifest, allRuleIds(transforms));
  const files = discovery.files.map((f) => loadFile(root, f));
  const composeEntries = composeEntriesOf(files);
  const packages = new Map<string, Service>();
  for (const pkg of discovery.packages)
    packages.set(
      pkg.dir,
      inventoryOf(
        root,
        pkg,
        files.filter((f) => f.pkg === pkg.dir),
        composeEntries,
        config,
      ),
    );
  const inRun = new Set(files.filter((f) => !f.problem).map((f) => f.path));
  const ws = workspaceView({
    root,
    packageManager: packageManagerOf(discovery.rootManifest, root, config.defaults.pnpmVersion),
    config,
    services: servicesOf(packages.values(), config),
    packages: [...packages.values()],
    files,
    inRun: (rel) => inRun.has(rel),
    known: files.filter((f) => !f.unreadable).map((f) => [f.path, f.text] as [string, string]),
  });
  return { discovery, ws, files, packages };
}
