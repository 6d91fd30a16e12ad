// The only door from the engine to the transforms: id -> lazy import. The
// order of this list is the fix order (documented in the README): env checks
// first, then port, startup, retry, shutdown; text kinds after.
// test/registry.test.ts checks this list against the folders.
import type { AnyTransform, FileKind } from '../src/engine/types.js';

export interface RegistryEntry {
  id: string;
  kind: FileKind;
  load(): Promise<AnyTransform>;
}

const entry = (id: string, kind: FileKind, load: () => Promise<{ transform: AnyTransform }>): RegistryEntry => ({
  id,
  kind,
  load: async () => (await load()).transform,
});

export const registry: RegistryEntry[] = [
  entry('require-env-at-startup', 'code', () => import('./code/require-env-at-startup.js')),
  entry('port-from-env', 'code', () => import('./code/port-from-env.js')),
  entry('listen-before-connect', 'code', () => import('./code/listen-before-connect.js')),
  entry('dependency-retry', 'code', () => import('./code/dependency-retry.js')),
  entry('consumer-ref-shutdown', 'code', () => import('./code/consumer-ref-shutdown.js')),
  entry('http-graceful-shutdown', 'code', () => import('./code/http-graceful-shutdown.js')),
  entry('liveness-checks-dependency', 'code', () => import('./code/liveness-checks-dependency.js')),
  entry('dockerfile-lockfile', 'dockerfile', () => import('./docker/dockerfile-lockfile.js')),
  entry('dockerfile-pin-pnpm', 'dockerfile', () => import('./docker/dockerfile-pin-pnpm.js')),
  entry('dockerfile-runtime-node', 'dockerfile', () => import('./docker/dockerfile-runtime-node.js')),
  entry('dockerfile-non-root', 'dockerfile', () => import('./docker/dockerfile-non-root.js')),
  entry('dockerfile-healthcheck', 'dockerfile', () => import('./docker/dockerfile-healthcheck.js')),
  entry('dockerfile-worker-no-expose', 'dockerfile', () => import('./docker/dockerfile-worker-no-expose.js')),
  entry('dockerfile-dockerignore', 'dockerfile', () => import('./docker/dockerfile-dockerignore.js')),
  entry('dockerfile-checks', 'dockerfile', () => import('./docker/dockerfile-checks.js')),
  entry('entrypoint-strict', 'shell', () => import('./shell/entrypoint-strict.js')),
  entry('compose-healthcheck', 'compose', () => import('./compose/compose-healthcheck.js')),
  entry('compose-checks', 'compose', () => import('./compose/compose-checks.js')),
  entry('ecs-healthcheck', 'ecs', () => import('./ecs/ecs-healthcheck.js')),
  entry('k8s-probes', 'k8s', () => import('./k8s/k8s-probes.js')),
  entry('ci-smoke-test', 'workflow', () => import('./ci/ci-smoke-test.js')),
];

export async function loadTransforms(): Promise<AnyTransform[]> {
  return Promise.all(registry.map((e) => e.load()));
}
