// Finds the packages of a monorepo and the files of each that shipshape reads.
// Order of evidence: pnpm-workspace.yaml, package.json#workspaces (npm, yarn),
// lerna.json, else every folder up to three levels deep with a package.json.
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore, { type Ignore } from 'ignore';
import { parse as parseYaml } from 'yaml';
import { isComposeFile, isDockerfile, kindOf, manifestKindOf } from '../engine/parsers.js';
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
  return { root, rootManifest, source, packages, files: discoverFiles(root, packages, ig, problems), problems };
}

function discoverFiles(root: string, packages: PackageDir[], ig: Ignore, problems: Discovery['problems']): DiscoveredFile[] {
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
    // Symlinks come too (never followed): one that leads out of the root or
    // round a loop is reported, not silently dropped.
    const found = fg.sync(['**/*'], {
      cwd: path.join(root, pkg.dir),
      ignore: [...ALWAYS_IGNORED, ...TEST_FILES],
      followSymbolicLinks: false,
      suppressErrors: true,
      dot: true,
      onlyFiles: false,
      objectMode: true,
      deep: 6,
    });
    const entries: string[] = [];
    for (const entry of found) {
      const p = `${base}${entry.path}`;
      if (nested.some((n) => p.startsWith(n.slice(0, -2)))) continue;
      if (entry.dirent.isFile()) entries.push(entry.path);
      else if (entry.dirent.isSymbolicLink() && !ig.ignores(p)) {
        const problem = symlinkProblem(root, p);
        if (problem) problems.push({ file: p, line: 1, message: problem });
      }
    }
    for (const e of entries.sort()) {
      const p = `${base}${e}`;
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
  for (const m of deploymentManifests(root)) push(m.kind, m.path, null);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Why a symlink is not read: it leads out of the root (what it reaches is not
 * the repository's to check or rewrite), round a loop, or nowhere. A link
 * that stays inside the root is silent: its target is read where it lives.
 */
function symlinkProblem(root: string, rel: string): string | null {
  const abs = path.join(root, rel);
  let real: string;
  try {
    real = fs.realpathSync.native(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'symlink loop; skipped';
    // A dangling link matters only where shipshape would have read a file.
    return code === 'ENOENT' && kindOf(rel) ? 'symlink to a missing file; skipped' : null;
  }
  const within = path.relative(fs.realpathSync.native(root), real);
  if (within === '..' || within.startsWith(`..${path.sep}`) || path.isAbsolute(within)) return 'symlink to a path outside the root; not followed';
  return null;
}

/** JSON and YAML files that are never deployment manifests: no need to open them. */
const NOT_MANIFESTS = ['**/package.json', '**/package-lock.json', '**/tsconfig*.json', '**/jsconfig*.json', '**/pnpm-lock.yaml', '**/pnpm-workspace.yaml', '**/.github/**', '**/*.schema.json', '**/.vscode/**', '**/.devcontainer/**'];

/** A task definition or manifest is a few KB; a larger JSON file is data, not deployment. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * ECS task definitions and Kubernetes manifests, wherever they live (deploy/,
 * infra/, k8s/, .aws/, beside a service): by content, since their names are
 * free. Repo-level files: a manifest names its service by image or container
 * name, not by folder.
 */
function deploymentManifests(root: string): { kind: FileKind; path: string }[] {
  const candidates = fg.sync(['**/*.{json,yml,yaml}'], {
    cwd: root,
    ignore: [...ALWAYS_IGNORED, ...TEST_FILES, ...NOT_MANIFESTS],
    followSymbolicLinks: false,
    suppressErrors: true,
    dot: true,
    onlyFiles: true,
    deep: 6,
  });
  const found: { kind: FileKind; path: string }[] = [];
  for (const p of candidates.sort()) {
    if (isComposeFile(p)) continue;
    let text: string;
    try {
      if (fs.statSync(path.join(root, p)).size > MAX_MANIFEST_BYTES) continue;
      text = fs.readFileSync(path.join(root, p), 'utf8');
    } catch {
      // Unreadable: not knowable as a manifest; the file is nobody's to report.
      continue;
    }
    const kind = manifestKindOf(p, text);
    if (kind) found.push({ kind, path: p });
  }
  return found;
}

/** Shell scripts worth the entrypoint rules: named like one (others may be referenced by a Dockerfile). */
export function isEntrypointName(file: string): boolean {
  return /(^|\/)[\w.-]*entrypoint[\w.-]*\.sh$/.test(file) || /(^|\/)(start|run|docker-start)\.sh$/.test(file);
}

export { isDockerfile };
