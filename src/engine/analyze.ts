// Reads a workspace once: discovery, each file read and parsed once, the
// inventory built from those trees. scan and fix both start here.
import fs from 'node:fs';
import path from 'node:path';
import { codeFacts, FACT_NEEDLES, mergeFacts, type CodeFacts } from '../workspace/code-facts.js';
import { withIndex } from './node-index.js';
import { hasNeedle } from './prefilter.js';
import { loadConfig } from '../workspace/config.js';
import { discover, type Discovery } from '../workspace/discover.js';
import { composeFacts, type ComposeServiceFacts } from '../workspace/compose.js';
import { buildService, dockerFacts, type DockerFacts } from '../workspace/inventory.js';
import { parse, ParseError, type Parsed } from './parsers.js';
import { looksBinary, normalize, type TextShape } from './text.js';
import type { FileKind, PackageManagerInfo, Service, WorkspaceView } from './types.js';
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
}

export interface Analysis {
  discovery: Discovery;
  ws: WorkspaceView;
  files: LoadedFile[];
  /** Every package, including libraries, by dir. */
  packages: Map<string, Service>;
  /** Narrows `ws.inRun` to the files a selection (--service, --shard) kept. */
  limitRun(files: LoadedFile[]): void;
}

function readFile(root: string, rel: string): { text: string; shape: TextShape } | { problem: string } {
  const abs = path.join(root, rel);
  let buf: Buffer;
  try {
    const stat = fs.statSync(abs);
    if (stat.size > MAX_FILE_BYTES) return { problem: `file is ${(stat.size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit; skipped` };
    buf = fs.readFileSync(abs);
  } catch (err) {
    return { problem: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (looksBinary(buf)) return { problem: 'binary or non-UTF-8 content; skipped' };
  return normalize(buf.toString('utf8'));
}

export function packageManagerOf(manifest: Record<string, unknown> | null, root: string, pnpmDefault?: string): PackageManagerInfo {
  const field = typeof manifest?.packageManager === 'string' ? manifest.packageManager : '';
  const m = /^(pnpm|npm|yarn)@(\d+\.\d+\.\d+[\w.-]*)/.exec(field);
  if (m) return { name: m[1] as PackageManagerInfo['name'], version: m[2]!.split('+')[0]! };
  if (fs.existsSync(path.join(root, 'pnpm-lock.yaml')) || fs.existsSync(path.join(root, 'pnpm-workspace.yaml'))) return { name: 'pnpm', version: pnpmDefault ?? null };
  if (fs.existsSync(path.join(root, 'yarn.lock'))) return { name: 'yarn', version: null };
  return { name: 'npm', version: null };
}

export async function analyze(rootArg: string, transforms: AnyTransform[]): Promise<Analysis> {
  const discovery = discover(rootArg);
  const root = discovery.root;
  const config = await loadConfig(root, discovery.rootManifest, allRuleIds(transforms));
  const cache = new Map<string, string | undefined>();
  const files: LoadedFile[] = [];
  for (const f of discovery.files) {
    const read = readFile(root, f.path);
    if ('problem' in read) {
      files.push({ ...f, text: '', shape: { bom: false, eol: '\n' }, problem: { line: 1, message: read.problem } });
      continue;
    }
    cache.set(f.path, read.text);
    const loaded: LoadedFile = { ...f, ...read };
    // A code file that holds no inventory fact is parsed later, and only if a transform wants it.
    if (f.kind === 'code' && !hasNeedle(FACT_NEEDLES, read.text)) {
      files.push(loaded);
      continue;
    }
    try {
      loaded.parsed = parse(f.kind, f.path, read.text);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      loaded.problem = { line: err.line, message: err.message };
    }
    files.push(loaded);
  }

  const composeEntries: ComposeServiceFacts[] = [];
  for (const f of files) if (f.parsed?.kind === 'compose') composeEntries.push(...composeFacts(f.path, f.parsed.doc, f.text));

  const packages = new Map<string, Service>();
  for (const pkg of discovery.packages) {
    const mine = files.filter((f) => f.pkg === pkg.dir);
    const facts: CodeFacts[] = [];
    for (const f of mine) {
      const parsed = f.parsed;
      if (parsed?.kind === 'code') facts.push(withIndex(parsed.root, () => codeFacts(parsed.j, parsed.root)));
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
    packages.set(pkg.dir, buildService(pkg, mergeFacts(facts), docker, compose, hasSchema, config.defaults.ports));
  }

  const services = [...packages.values()].filter((s) => s.type !== 'lib' && !config.ignoreServices.includes(s.name));
  const byKind = (kind: FileKind) => files.filter((f) => f.kind === kind).map((f) => f.path).sort();
  let inRun = new Set(files.filter((f) => !f.problem).map((f) => f.path));
  const ws: WorkspaceView = {
    paths: byKind,
    inRun: (rel) => inRun.has(path.posix.normalize(rel)),
    root,
    packageManager: packageManagerOf(discovery.rootManifest, root, config.defaults.pnpmVersion),
    services,
    config,
    read(rel) {
      const key = path.posix.normalize(rel);
      if (key.startsWith('..') || path.isAbsolute(key)) return undefined;
      if (!cache.has(key)) {
        const r = readFile(root, key);
        cache.set(key, 'text' in r ? r.text : undefined);
      }
      return cache.get(key);
    },
    exists(rel) {
      const key = path.posix.normalize(rel);
      if (key.startsWith('..') || path.isAbsolute(key)) return false;
      return fs.existsSync(path.join(root, key));
    },
  };
  const limitRun = (kept: LoadedFile[]) => {
    inRun = new Set(kept.filter((f) => !f.problem).map((f) => f.path));
  };
  return { discovery, ws, files, packages, limitRun };
}

/** The service a file belongs to (null for repo-level files and ignored services). */
export function serviceOf(analysis: Analysis, file: LoadedFile): Service | null {
  if (!file.pkg) return null;
  const s = analysis.packages.get(file.pkg) ?? null;
  if (s && analysis.ws.config.ignoreServices.includes(s.name)) return null;
  return s;
}
