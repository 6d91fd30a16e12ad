// The steps ci-smoke-test inserts: an optional local build that loads the
// image into the runner's docker, and the smoke test that starts it with safe
// dummy configuration, waits, and fails when the container exited or its log
// shows `not found` or a fatal error (the "pnpm: not found" crash loop).
// Dependencies are deliberately unreachable (127.0.0.1): a service that
// crashes without its database fails here instead of in production.
import path from 'node:path';
import { Scalar, type Document, type Node, type YAMLMap } from 'yaml';
import type { Service, WorkspaceView } from '../../../src/engine/types.js';
import type { ActionBuild } from './workflow.js';

/** Seconds the container must stay up. */
export const SMOKE_SECONDS = 15;

/** Inputs of docker/build-push-action that shape what gets built; push, tags, outputs and platforms are not copied. */
const BUILD_INPUTS = ['context', 'file', 'build-args', 'build-contexts', 'target', 'secrets', 'secret-files', 'secret-envs', 'ssh', 'network', 'allow', 'add-hosts', 'shm-size', 'ulimit', 'cache-from', 'pull', 'no-cache', 'no-cache-filters'];

const NOT_A_SECRET = 'smoke-test-not-a-secret';

/** A harmless value for a required variable, by its name: endpoints point at 127.0.0.1, where nothing listens. */
function dummyValue(name: string, databaseUrl: string): string {
  if (/MONGO/.test(name)) return 'mongodb://127.0.0.1:27017/smoke';
  if (/REDIS/.test(name)) return 'redis://127.0.0.1:6379';
  if (/KAFKA|BROKER/.test(name)) return '127.0.0.1:9092';
  if (/AMQP|RABBIT/.test(name)) return 'amqp://127.0.0.1:5672';
  if (/DATABASE|POSTGRES|PG_|MYSQL/.test(name) && /URL|URI|DSN/.test(name)) return databaseUrl;
  if (/SECRET|TOKEN|PASSWORD|PASSWD|_KEY$|^KEY_|SALT/.test(name)) return NOT_A_SECRET;
  if (/_(URL|URI|ENDPOINT)$/.test(name)) return 'http://127.0.0.1:9';
  if (/_HOST$/.test(name)) return '127.0.0.1';
  if (/_PORT$/.test(name)) return '9';
  return 'smoke';
}

/** A DATABASE_URL of the kind the services' Prisma schema expects (Prisma rejects a wrong protocol at startup). */
function databaseUrlFor(services: Service[], ws: WorkspaceView): string {
  for (const s of services) {
    const schema = ws.read(path.posix.join(s.dir, 'prisma', 'schema.prisma'));
    const provider = schema && /datasource\s+\w+\s*\{[^}]*provider\s*=\s*"(\w+)"/.exec(schema)?.[1];
    if (provider === 'mongodb') return 'mongodb://127.0.0.1:27017/smoke';
    if (provider === 'mysql') return 'mysql://smoke:smoke@127.0.0.1:3306/smoke';
    if (provider === 'sqlite') return 'file:./smoke.db';
    if (provider) return 'postgresql://smoke:smoke@127.0.0.1:5432/smoke';
  }
  return 'postgresql://smoke:smoke@127.0.0.1:5432/smoke';
}

/** NODE_ENV plus every variable the built services require at startup, with dummy values. */
export function dummyEnv(services: Service[], ws: WorkspaceView): [string, string][] {
  const names = [...new Set(services.flatMap((s) => s.requiredEnv))].filter((n) => n !== 'NODE_ENV' && n !== 'PORT').sort();
  const needsDb = services.filter((s) => s.requiredEnv.some((n) => /DATABASE/.test(n)));
  const databaseUrl = databaseUrlFor(needsDb, ws);
  return [['NODE_ENV', 'production'], ...names.map((n): [string, string] => [n, dummyValue(n, databaseUrl)])];
}

/** The bash script of the smoke step; the image and the variables come from the step's env. */
export function smokeScript(envNames: string[]): string {
  const flags = envNames.map((n) => `-e ${n}`).join(' ');
  return [
    `cid=$(docker run -d ${flags} "$SMOKE_IMAGE")`,
    `sleep ${SMOKE_SECONDS}`,
    'logs=$(docker logs "$cid" 2>&1)',
    'echo "$logs"',
    `running=$(docker inspect -f '{{.State.Running}}' "$cid")`,
    'docker rm -f "$cid" > /dev/null',
    'if [ "$running" != true ]; then',
    `  echo "::error::$SMOKE_IMAGE exited within ${SMOKE_SECONDS} s of starting"`,
    '  exit 1',
    'fi',
    "if echo \"$logs\" | grep -Eiq 'not found|fatal|cannot find module'; then",
    '  echo "::error::$SMOKE_IMAGE logged a startup error (see the log above)"',
    '  exit 1',
    'fi',
    '',
  ].join('\n');
}

export interface SmokeStep {
  name: string;
  image: string;
  env: [string, string][];
  condition: Node | null;
}

function copy(node: Node | null): unknown {
  return node === null ? null : node.clone();
}

export function smokeStepNode(doc: Document, s: SmokeStep): YAMLMap {
  const run = new Scalar(smokeScript(s.env.map(([n]) => n)));
  run.type = Scalar.BLOCK_LITERAL;
  const step = doc.createNode({ name: s.name }) as YAMLMap;
  if (s.condition) step.set('if', copy(s.condition));
  step.set('env', doc.createNode(Object.fromEntries([['SMOKE_IMAGE', s.image], ...s.env])));
  step.set('run', run);
  return step;
}

/** A copy of the build that loads the image under a local tag instead of pushing it. */
export function loadBuildNode(doc: Document, build: ActionBuild, tag: string): YAMLMap {
  const original = build.step;
  const step = doc.createNode({ name: 'Build image for smoke test' }) as YAMLMap;
  const condition = original.get('if', true) as Node | undefined;
  if (condition) step.set('if', copy(condition));
  step.set('uses', copy(original.get('uses', true) as Node));
  const inputs = doc.createNode({}) as YAMLMap;
  for (const key of BUILD_INPUTS) if (build.with?.has(key)) inputs.set(key, copy(build.with.get(key, true) as Node));
  inputs.set('load', true);
  inputs.set('tags', tag);
  step.set('with', inputs);
  return step;
}
