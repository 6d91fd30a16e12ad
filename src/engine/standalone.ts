// A workspace view for one file outside a scanned monorepo: the jscodeshift
// CLI adapter and the fixture harness use it. Reads are relative to `root`.
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { kindOf } from './parsers.js';
import { normalize } from './text.js';
import type { FileKind, PackageManagerInfo, ResolvedConfig, Service, WorkspaceView } from './types.js';

export interface StandaloneOptions {
  root: string;
  services?: Service[];
  packageManager?: PackageManagerInfo;
  config?: ResolvedConfig;
  /** Extra virtual files, by path relative to root; they shadow the disk. */
  files?: Record<string, string>;
}

export function standaloneWorkspace(opts: StandaloneOptions): WorkspaceView {
  const files = opts.files ?? {};
  const inside = (rel: string) => {
    const key = path.posix.normalize(rel);
    return key.startsWith('..') || path.isAbsolute(key) ? null : key;
  };
  let onDisk: string[] | null = null;
  const paths = (kind: FileKind) => {
    onDisk ??= fs.existsSync(opts.root) ? fg.sync('**/*', { cwd: opts.root, dot: true, ignore: ['**/node_modules/**', '**/.git/**', '**/dist/**'] }) : [];
    return [...new Set([...Object.keys(files), ...onDisk])].filter((f) => kindOf(f) === kind).sort();
  };
  return {
    root: opts.root,
    paths,
    // One file alone, or a test's virtual workspace: every file is in the run.
    inRun: () => true,
    packageManager: opts.packageManager ?? { name: 'npm', version: null },
    services: opts.services ?? [],
    packages: opts.services ?? [],
    config: opts.config ?? { rules: {}, ignoreServices: [], defaults: {} },
    read(rel) {
      const key = inside(rel);
      if (key === null) return undefined;
      if (key in files) return files[key];
      try {
        return normalize(fs.readFileSync(path.join(opts.root, key), 'utf8')).text;
      } catch {
        return undefined;
      }
    },
    exists(rel) {
      const key = inside(rel);
      if (key === null) return false;
      return key in files || Object.keys(files).some((f) => f.startsWith(`${key}/`)) || fs.existsSync(path.join(opts.root, key));
    },
  };
}

export function defaultService(partial: Partial<Service> = {}): Service {
  return {
    name: 'app',
    dir: '.',
    type: 'api',
    dockerfile: null,
    entrypoint: null,
    port: null,
    health: null,
    ready: null,
    prisma: false,
    requiredEnv: [],
    shutdownTimeoutMs: null,
    healthcheck: false,
    manifest: {},
    ...partial,
  };
}
