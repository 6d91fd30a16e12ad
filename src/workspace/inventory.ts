// Turns discovered packages plus parsed files into the SPEC's service rows.
// Evidence only: a `listen` call makes an api, a kafkajs consumer a worker, a
// `next` dependency a ui; a package with none of these and no Dockerfile is a lib.
import path from 'node:path';
import type { DockerfileTree } from '../engine/dockerfile.js';
import type { Service, ServiceType } from '../engine/types.js';
import type { CodeFacts } from './code-facts.js';
import type { ComposeServiceFacts } from './compose.js';
import type { PackageDir } from './discover.js';

const UI_DEPS = ['next', 'nuxt', 'react-scripts', '@remix-run/serve', '@sveltejs/kit', 'vite'];

function deps(manifest: Record<string, unknown>): Record<string, unknown> {
  return { ...(manifest.dependencies as object), ...(manifest.devDependencies as object) };
}

export interface DockerFacts {
  path: string;
  entrypoint: string | null;
  port: number | null;
  healthcheck: boolean;
}

export function dockerFacts(file: string, tree: DockerfileTree): DockerFacts {
  const final = tree.final;
  const instrs = final?.instructions ?? [];
  const last = (kw: string) => [...instrs].reverse().find((i) => i.keyword === kw);
  const entry = [last('ENTRYPOINT'), last('CMD')].filter((i) => i !== undefined);
  let port: number | null = null;
  for (const i of instrs) {
    if (i.keyword === 'ENV') {
      const m = /(?:^|\s)PORT[=\s]+"?(\d{2,5})/.exec(i.args);
      if (m) port = Number(m[1]);
    }
  }
  if (port === null) {
    const expose = last('EXPOSE');
    const m = expose && /(\d{2,5})/.exec(expose.args);
    if (m) port = Number(m[1]);
  }
  const hc = last('HEALTHCHECK');
  return {
    path: file,
    entrypoint: entry.length ? entry.map((i) => `${i.keyword} ${i.args}`).join(' ') : null,
    port,
    healthcheck: !!hc && !/^\s*NONE\b/i.test(hc.args),
  };
}

export function classify(manifest: Record<string, unknown>, facts: CodeFacts, hasDockerfile: boolean): ServiceType {
  const d = deps(manifest);
  if (UI_DEPS.some((u) => u in d) && !facts.consumesKafka) return 'ui';
  if (facts.listens) return 'api';
  if (facts.consumesKafka || 'kafkajs' in d) return 'worker';
  return hasDockerfile ? 'worker' : 'lib';
}

/** A package's service name: its manifest name without the npm scope, else its folder's name. */
export function packageName(pkg: PackageDir): string {
  return typeof pkg.manifest.name === 'string' ? pkg.manifest.name.replace(/^@[^/]+\//, '') : path.posix.basename(pkg.dir);
}

export function buildService(
  pkg: PackageDir,
  facts: CodeFacts,
  docker: DockerFacts | null,
  compose: ComposeServiceFacts | null,
  hasPrismaSchema: boolean,
  portDefaults: Record<string, number> = {},
): Service {
  const name = packageName(pkg);
  const type = classify(pkg.manifest, facts, !!docker);
  const d = deps(pkg.manifest);
  const port = type === 'worker' || type === 'lib' ? null : (facts.port ?? docker?.port ?? compose?.port ?? portDefaults[name] ?? null);
  return {
    name,
    dir: pkg.dir,
    type,
    dockerfile: docker?.path ?? null,
    entrypoint: docker?.entrypoint ?? null,
    port,
    health: facts.health,
    ready: facts.ready,
    prisma: facts.prisma || hasPrismaSchema || 'prisma' in d || '@prisma/client' in d,
    requiredEnv: facts.requiredEnv,
    shutdownTimeoutMs: facts.shutdownTimeoutMs,
    healthcheck: !!docker?.healthcheck || !!compose?.healthcheck,
    manifest: pkg.manifest,
    ...(facts.wiring ? { wiring: facts.wiring } : {}),
  };
}
