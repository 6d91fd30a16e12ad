// Finds the packages of a monorepo and the files of each that shipshape reads.
// Order of evidence: pnpm-workspace.yaml, package.json#workspaces (npm, yarn),
// lerna.json, else every folder up to three levels deep with a package.json.
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';
import { parse as parseYaml } from 'yaml';
import { isComposeFile, isDockerfile, kindOf } from '../engine/parsers.js';
import type { FileKind } from '../engine/types.js';

/** Never read: dependencies, VCS data and build output. */
export const ALWAYS_IGNORED = ['**/node_modules/**', '**/.git/**', '**/dist/**', '**/build/**', '**/.next/**', '**/out/**', '**/coverage/**', '**/.turbo/**'];
const TEST_FILES = ['**/*.test.*', '**/*.spec.*', '**/__tests__/**', '**/__mocks__/**', '**/test/**', '**/tests/**', '**/*.d.ts'];

export interface PackageDir {
  /** Relative to root, '/'-separated; '.' for the root package. */
  dir: string;
  manifest: Record<string, unknown>;
}

export interface DiscoveredFile {
  kind: FileKind;
  /** Relative to root, '/'-separated. */
  path: string;
  /** Owning package dir, or null for repo-level files (compose, workflows). */
  pkg: string | null;
}

export interface Discovery {
  root: string;
  rootManifest: Record<string, unknown> | null;
  source: 'pnpm-workspace' | 'workspaces' | 'lerna' | 'folders' | 'single';
  packages: PackageDir[];
  files: DiscoveredFile[];
  /** Problems met while discovering (unreadable manifest...), reported as findings. */
  problems: { file: string; line: number; message: string }[];
}

function readJson(file: string, problems: Discovery['problems'], root: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const value: unknown = JSON.parse(text.replace(/^\ufeff/, ''));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch (err) {
    problems.push({ file: rel(root, file), line: 1, message: `invalid JSON: ${(err as Error).message}` });
    return null;
  }
}

export function rel(root: string, abs: string): string {
  const r = path.relative(root, abs).split(path.sep).join('/');
  return r === '' ? '.' : r;
}

function gitignoreOf(root: string): Ignore {
  const ig = ignore();
  try {
    ig.add(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'));
  } catch {
    // no .gitignore: nothing extra to honour
  }
  return ig;
}

function workspaceGlobs(root: string, manifest: Record<string, unknown> | null, problems: Discovery['problems']): { source: Discovery['source']; globs: string[] } | null {
  const pnpmFile = path.join(root, 'pnpm-workspace.yaml');
  if (fs.existsSync(pnpmFile)) {
    try {
      const doc = parseYaml(fs.readFileSync(pnpmFile, 'utf8')) as { packages?: unknown } | null;
      if (Array.isArray(doc?.packages)) return { source: 'pnpm-workspace', globs: doc.packages.map(String) };
    } catch (err) {
      problems.push({ file: 'pnpm-workspace.yaml', line: 1, message: `invalid YAML: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  const ws = manifest?.workspaces;
  if (Array.isArray(ws)) return { source: 'workspaces', globs: ws.map(String) };
  if (ws && typeof ws === 'object' && Array.isArray((ws as { packages?: unknown }).packages))
    return { source: 'workspaces', globs: ((ws as { packages: unknown[] }).packages).map(String) };
  const lerna = readJson(path.join(root, 'lerna.json'), problems, root);
  if (Array.isArray(lerna?.packages)) return { source: 'lerna', globs: (lerna.packages as unknown[]).map(String) };
  return null;
}

function globPackages(root: string, globs: string[], ig: Ignore): string[] {
  const positive = globs.filter((g) => !g.startsWith('!')).map((g) => `${g.replace(/\/+$/, '')}/package.json`);
  const negative = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1).replace(/\/+$/, ''));
  const found = fg.sync(positive, { cwd: root, ignore: [...ALWAYS_IGNORED, ...negative.map((n) => `${n}/**`)], followSymbolicLinks: false, suppressErrors: true });
  return found.map((f) => path.posix.dirname(f)).filter((d) => !ig.ignores(`${d}/`));
}

export function discover(rootArg: string): Discovery {
  const root = path.resolve(rootArg);
  const problems: Discovery['problems'] = [];
  const rootManifest = readJson(path.join(root, 'package.json'), problems, root);
  const ig = gitignoreOf(root);
  const declared = workspaceGlobs(root, rootManifest, problems);
  let source: Discovery['source'];
  let dirs: string[];
  if (declared) {
    source = declared.source;
    dirs = globPackages(root, declared.globs, ig);
  } else {
    source = 'folders';
    dirs = globPackages(root, ['*', '*/*', '*/*/*'], ig);
    if (dirs.length === 0 && rootManifest) {
      source = 'single';
      dirs = ['.'];
    }
  }
  dirs = [...new Set(dirs)].sort();
  const packages: PackageDir[] = [];
  for (const dir of dirs) {
    const manifest = readJson(path.join(root, dir, 'package.json'), problems, root);
    if (manifest) packages.push({ dir, manifest });
  }
  return { root, rootManifest, source, packages, files: discoverFiles(root, packages, ig), problems };
}

function discoverFiles(root: string, packages: PackageDir[], ig: Ignore): DiscoveredFile[] {
  const files: DiscoveredFile[] = [];
  const seen = new Set<string>();
  const push = (kind: FileKind, p: string, pkg: string | null) => {
    if (seen.has(p) || ig.ignores(p)) return;
    seen.add(p);
    files.push({ kind, path: p, pkg });
  };
  // Deepest package first so nested packages own their files.
  const byDepth = [...packages].sort((a, b) => b.dir.split('/').length - a.dir.split('/').length);
  for (const pkg of byDepth) {
    const base = pkg.dir === '.' ? '' : `${pkg.dir}/`;
    const nested = packages.filter((p) => p.dir !== pkg.dir && (pkg.dir === '.' || p.dir.startsWith(base))).map((p) => `${p.dir}/**`);
    const entries = fg.sync(['**/*'], {
      cwd: path.join(root, pkg.dir),
      ignore: [...ALWAYS_IGNORED, ...TEST_FILES],
      followSymbolicLinks: false,
      suppressErrors: true,
      dot: true,
      onlyFiles: true,
      deep: 6,
    });
    for (const e of entries.sort()) {
      const p = `${base}${e}`;
      if (nested.some((n) => p.startsWith(n.slice(0, -2)))) continue;
      const kind = kindOf(p);
      if (!kind || kind === 'compose' || kind === 'workflow') continue;
      if (kind === 'shell' && !isEntrypointName(e)) continue;
      if (kind === 'code' && /(^|\/)(jest|vitest|vite|next|webpack|rollup|babel|eslint|prettier|postcss|tailwind)\.config\.[cm]?[jt]s$/.test(e)) continue;
      push(kind, p, pkg.dir);
    }
  }
  const repoLevel = fg.sync(['*.{yml,yaml}', '*/*.{yml,yaml}', '.github/workflows/*.{yml,yaml}'], {
    cwd: root,
    ignore: ALWAYS_IGNORED,
    followSymbolicLinks: false,
    suppressErrors: true,
    dot: true,
  });
  for (const p of repoLevel.sort()) {
    const kind = kindOf(p);
    if (kind === 'workflow' || (kind === 'compose' && isComposeFile(p))) push(kind, p, null);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Shell scripts worth the entrypoint rules: named like one (others may be referenced by a Dockerfile). */
export function isEntrypointName(file: string): boolean {
  return /(^|\/)[\w.-]*entrypoint[\w.-]*\.sh$/.test(file) || /(^|\/)(start|run|docker-start)\.sh$/.test(file);
}

export { isDockerfile };
