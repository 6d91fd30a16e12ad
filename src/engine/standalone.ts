// A workspace view for one file outside a scanned monorepo: the jscodeshift
// CLI adapter and the fixture harness use it. Reads are relative to `root`.
import fs from 'node:fs';
import path from 'node:path';
import { normalize } from './text.js';
import type { PackageManagerInfo, ResolvedConfig, Service, WorkspaceView } from './types.js';

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
  return {
    root: opts.root,
    packageManager: opts.packageManager ?? { name: 'npm', version: null },
    services: opts.services ?? [],
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
    healthcheck: false,
    manifest: {},
    ...partial,
  };
}
