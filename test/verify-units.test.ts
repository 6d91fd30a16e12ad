// The pure parts of `shipshape verify`: how the environment is built (which
// variables are dependencies, where they point, what stays), how the entry is
// found from Dockerfile / package.json, and how an exit is explained.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultService } from '../src/engine/standalone.js';
import type { Service } from '../src/engine/types.js';
import { Cleanup } from '../src/verify/cleanup.js';
import { entryCandidates, hostPaths, pickEntry, staleAgainst } from '../src/verify/entry.js';
import { buildEnv, DUMMY_SECRET, familyOf, isOwnPort, kindOfValue, pointAt, roleOf } from '../src/verify/env.js';
import { describeExit, dependencyIn, readable } from '../src/verify/evidence.js';
import { isListening } from '../src/verify/ports.js';
import { interpolate, workspaceRootOf, type DockerInfo, type Target } from '../src/verify/target.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-verify-units-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function target(over: Partial<Omit<Target, 'service'>> & { service?: Partial<Service> } = {}): Target {
  const { service, ...rest } = over;
  return {
    root: tmp,
    dir: tmp,
    service: defaultService({ name: 'course-service', ...service }),
    docker: null,
    compose: null,
    codeEnv: [],
    sources: [],
    ...rest,
  };
}

function docker(over: Partial<DockerInfo>): DockerInfo {
  return { path: 'Dockerfile', workdir: null, argv: [], instruction: null, env: {}, ...over };
}

describe('variable names', () => {
  it('tells URLs, hosts, ports, broker lists and secrets apart', () => {
    expect(['MONGO_URI', 'DATABASE_URL', 'REDIS_URL', 'COURSE_SERVICE_URL'].map(roleOf)).toEqual(['url', 'url', 'url', 'url']);
    expect(['REDIS_HOST', 'REDIS_PORT', 'KAFKA_BROKERS', 'KAFKA_BOOTSTRAP_SERVERS'].map(roleOf)).toEqual(['host', 'port', 'brokers', 'brokers']);
    expect(['JWT_SECRET', 'REDIS_PASSWORD', 'STRIPE_API_KEY', 'GITHUB_TOKEN'].map(roleOf)).toEqual(['secret', 'secret', 'secret', 'secret']);
    expect(['KAFKA_GROUP_ID', 'MONGO_DB_NAME', 'NODE_ENV'].map(roleOf)).toEqual(['other', 'other', 'other']);
  });

  it('knows which dependency a name belongs to', () => {
    expect(familyOf('MONGODB_URL')).toBe('mongodb');
    expect(familyOf('DATABASE_URL')).toBe('postgres');
    expect(familyOf('PG_HOST')).toBe('postgres');
    expect(familyOf('REDIS_HOST')).toBe('redis');
    expect(familyOf('BROKERS')).toBe('kafka');
    expect(familyOf('NOTIFICATION_SERVICE_INTERNAL_URL')).toBe('service');
    expect(familyOf('PUBLIC_URL')).toBeNull();
  });

  it('reads the kind from a URL scheme', () => {
    expect(kindOfValue('mongodb+srv://u:p@cluster0.example.net/app')).toBe('mongodb');
    expect(kindOfValue('postgresql://db:5432/app')).toBe('postgres');
    expect(kindOfValue('rediss://cache:6380')).toBe('redis');
    expect(kindOfValue('kafka:9092')).toBeNull();
    expect(kindOfValue(undefined)).toBeNull();
  });

  it('points a URL at a loopback port, keeping user, database and query', () => {
    expect(pointAt('mongodb://mongo:27017/courses?authSource=admin', 'mongodb', 4000)).toBe('mongodb://127.0.0.1:4000/courses?authSource=admin');
    expect(pointAt('mongodb+srv://u:p@a.example.net,b.example.net/app', 'mongodb', 4000)).toBe('mongodb://u:p@127.0.0.1:4000/app');
    expect(pointAt('rediss://cache:6380/2', 'redis', 4001)).toBe('redis://127.0.0.1:4001/2');
    expect(pointAt(undefined, 'postgres', 4002)).toBe('postgres://verify:verify@127.0.0.1:4002/app');
    expect(pointAt('kafka:9092', 'kafka', 4003)).toBe('127.0.0.1:4003');
  });

  it("recognises the service's own port variables", () => {
    expect(isOwnPort('PORT', 'course-service', undefined, null)).toBe(true);
    expect(isOwnPort('COURSE_SERVICE_PORT', '@demo/course-service', undefined, null)).toBe(true);
    expect(isOwnPort('METRICS_PORT', 'course-service', '9100', 3003)).toBe(false);
    expect(isOwnPort('HTTP_LISTEN_PORT', 'course-service', '3003', 3003)).toBe(true);
    expect(isOwnPort('REDIS_PORT', 'course-service', '3003', 3003)).toBe(false);
  });

  it('interpolates compose values the way compose would without a .env', () => {
    expect(interpolate('${JWT_SECRET}')).toBeNull();
    expect(interpolate('${MONGO_URI:-mongodb://mongo:27017/app}')).toBe('mongodb://mongo:27017/app');
    expect(interpolate('http://${HOST:-api}:3000')).toBe('http://api:3000');
    expect(interpolate('plain')).toBe('plain');
  });
});

describe('buildEnv', () => {
  it('points every dependency at a closed loopback port and fakes secrets', async () => {
    const plan = await buildEnv(
      target({
        service: { type: 'api', requiredEnv: ['JWT_SECRET', 'SERVICE_NAME'] },
        compose: {
          file: 'docker-compose.yml',
          name: 'course-service',
          env: { NODE_ENV: 'production', PORT: '3003', MONGO_URI: 'mongodb://mongo:27017/courses', KAFKA_BROKERS: 'kafka:9092', JWT_SECRET: null, BOOKING_SERVICE_URL: 'http://booking:3002' },
        },
        docker: docker({ env: { PORT: '3003', REDIS_HOST: 'redis', REDIS_PORT: '6379' } }),
        codeEnv: ['MONGODB_URI', 'REDIS_URL', 'LOG_FORMAT'],
      }),
      { PATH: '/usr/bin', HOME: '/root', MONGO_URI: 'mongodb://developer-laptop/real' },
    );
    const env = plan.env;
    const mongo = plan.dependencies.find((d) => d.kind === 'mongodb')!;
    const redis = plan.dependencies.find((d) => d.kind === 'redis')!;
    const kafka = plan.dependencies.find((d) => d.kind === 'kafka')!;
    expect(env.PORT).toBe(String(plan.port));
    expect(env.MONGO_URI).toBe(`mongodb://127.0.0.1:${mongo.port}/courses`);
    // A sibling without a value borrows the database path of the one that has it.
    expect(env.MONGODB_URI).toBe(`mongodb://127.0.0.1:${mongo.port}/courses`);
    expect(env.REDIS_HOST).toBe('127.0.0.1');
    expect(env.REDIS_PORT).toBe(String(redis.port));
    expect(env.REDIS_URL).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(env.KAFKA_BROKERS).toBe(`127.0.0.1:${kafka.port}`);
    expect(env.BOOKING_SERVICE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.JWT_SECRET).toBe(DUMMY_SECRET);
    expect(env.SERVICE_NAME).toBe('shipshape-verify');
    expect(env.NODE_ENV).toBe('production');
    expect(env.PATH).toBe('/usr/bin');
    // Optional, non-dependency variables keep the code's own default.
    expect('LOG_FORMAT' in env).toBe(false);
    // Ports are all different and nothing listens on the dependency ones.
    const ports = [plan.port, ...plan.dependencies.map((d) => d.port)];
    expect(new Set(ports).size).toBe(ports.length);
    for (const d of plan.dependencies) expect(await isListening(d.port)).toBe(false);
  });

  it('gives a worker no PORT of its own', async () => {
    const plan = await buildEnv(target({ service: { type: 'worker' }, codeEnv: ['KAFKA_BROKERS'] }), {});
    expect(plan.port).toBeNull();
    expect('PORT' in plan.env).toBe(false);
    expect(plan.env.KAFKA_BROKERS).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('explaining an exit', () => {
  const deps = [
    { kind: 'mongodb' as const, label: 'MongoDB', port: 41234, names: ['MONGO_URI'] },
    { kind: 'kafka' as const, label: 'Kafka', port: 41235, names: ['KAFKA_BROKERS'] },
  ];
  const line = (text: string) => ({ at: 400, stream: 'stderr' as const, text });

  it('names the dependency whose port the log mentions', () => {
    expect(describeExit({ code: 1, signal: null, at: 412 }, [line('MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:41234')], deps)).toBe(
      'exited with code 1 after 412 ms while MongoDB (MONGO_URI → 127.0.0.1:41234) was unreachable',
    );
    expect(dependencyIn('KafkaJSNumberOfRetriesExceeded', deps)?.kind).toBe('kafka');
  });

  it('falls back to the list of dependencies that were down', () => {
    expect(describeExit({ code: 1, signal: null, at: 2000 }, [line('boom')], deps)).toBe('exited with code 1 after 2.0 s while its dependencies were down (MongoDB and Kafka)');
    expect(describeExit({ code: null, signal: 'SIGSEGV', at: 100 }, [], [])).toBe('was killed by SIGSEGV after 100 ms');
  });

  it('calls a missing module a packaging fault, not an unreachable dependency', () => {
    expect(describeExit({ code: 1, signal: null, at: 90 }, [line("Error: Cannot find module 'kafkajs'")], deps)).toBe(
      "exited with code 1 after 90 ms: module 'kafkajs' could not be found (dependencies not installed, or the build output is incomplete)",
    );
  });

  it('reads JSON log lines', () => {
    expect(readable('{"level":"ERROR","logger":"kafkajs","message":"[Connection] Connection error","stack":"..."}')).toBe('ERROR kafkajs: [Connection] Connection error');
    expect(readable('{"level":30,"msg":"listening"}')).toBe('listening');
    expect(readable('plain text')).toBe('plain text');
  });
});

describe('entry resolution', () => {
  function pkg(name: string, files: Record<string, string>): string {
    const dir = path.join(tmp, name);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }

  it('follows dumb-init and node flags in an exec-form CMD', () => {
    const dir = pkg('exec-cmd', { 'dist/main.js': '' });
    const t = target({ dir, root: dir, docker: docker({ workdir: '/app', argv: ['dumb-init', '--', 'node', '--enable-source-maps', '-r', './tracing.js', 'dist/main.js', '--serve'] }) });
    const entry = pickEntry(entryCandidates(t))!;
    expect(entry.file).toBe(path.join(dir, 'dist/main.js'));
    expect(entry.nodeArgs).toEqual(['--enable-source-maps', '-r', './tracing.js']);
    expect(entry.args).toEqual(['--serve']);
  });

  it('follows `npm start` to its script and says so', () => {
    const dir = pkg('npm-start', { 'server.js': '' });
    const t = target({ dir, root: dir, service: { manifest: { scripts: { start: 'node server.js' } } }, docker: docker({ argv: ['npm', 'start'] }) });
    const entry = pickEntry(entryCandidates(t))!;
    expect(entry.file).toBe(path.join(dir, 'server.js'));
    expect(entry.notes.join('\n')).toMatch(/npm start.*package manager/);
  });

  it('skips package-manager flags and their values', () => {
    const dir = pkg('pnpm-filter', { 'dist/server.js': '' });
    const t = target({ dir, root: dir, service: { manifest: { scripts: { start: 'node dist/server.js' } } }, docker: docker({ argv: ['pnpm', '--filter', 'course-service', 'run', 'start'] }) });
    expect(pickEntry(entryCandidates(t))?.source).toBe('Dockerfile CMD');
  });

  it('follows an entrypoint script to its final exec node', () => {
    const dir = pkg('entrypoint', { 'docker-entrypoint.sh': '#!/bin/sh\nset -eu\nnode scripts/migrate.js\nexec node dist/index.js "$@"\n', 'dist/index.js': '' });
    const t = target({ dir, root: dir, docker: docker({ workdir: '/srv', argv: ['/srv/docker-entrypoint.sh'] }) });
    expect(pickEntry(entryCandidates(t))?.file).toBe(path.join(dir, 'dist/index.js'));
  });

  it('maps a repo-root WORKDIR onto the workspace root', () => {
    const root = pkg('repo', { 'services/api/dist/index.js': '' });
    const dir = path.join(root, 'services/api');
    const t = target({ root, dir, docker: docker({ workdir: '/app', argv: ['node', 'services/api/dist/index.js'] }) });
    const entry = pickEntry(entryCandidates(t))!;
    expect(entry.file).toBe(path.join(dir, 'dist/index.js'));
    expect(entry.cwd).toBe(root);
    expect(hostPaths('/app/services/api/dist/index.js', '/app', t)[0]?.file).toBe(path.join(dir, 'dist/index.js'));
  });

  it('falls back to package.json#main when the CMD target was never built, with a note', () => {
    const dir = pkg('mismatch', { 'dist/services/x/src/index.js': '' });
    const t = target({ dir, root: dir, service: { manifest: { main: 'dist/services/x/src/index.js' } }, docker: docker({ argv: ['node', 'dist/index.js'], instruction: 'CMD ["node", "dist/index.js"]' }) });
    const entry = pickEntry(entryCandidates(t))!;
    expect(entry.source).toBe('package.json#main');
    expect(entry.notes[0]).toMatch(/dist\/index\.js, which does not exist/);
  });

  it('finds nothing to run when no candidate file exists, and never runs TypeScript source', () => {
    const dir = pkg('unbuilt', { 'src/index.ts': '' });
    const t = target({ dir, root: dir, service: { manifest: { main: 'src/index.ts', scripts: { start: 'node dist/index.js' } } } });
    const candidates = entryCandidates(t);
    expect(candidates.map((c) => c.source)).toEqual(['package.json#main', 'package.json scripts.start']);
    expect(candidates[0]!.problem).toMatch(/not JavaScript/);
    expect(pickEntry(candidates)).toBeNull();
  });

  it('calls a build stale when a source is newer than the entry', () => {
    const dir = pkg('stale', { 'dist/index.js': '', 'src/index.ts': '' });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, 'dist/index.js'), old, old);
    expect(staleAgainst(path.join(dir, 'dist/index.js'), [path.join(dir, 'src/index.ts')])).toBe(path.join(dir, 'src/index.ts'));
    expect(staleAgainst(path.join(dir, 'src/index.ts'), [path.join(dir, 'dist/index.js')])).toBeNull();
  });
});

describe('workspace root', () => {
  it('is the nearest ancestor with a workspace file, else the folder itself', () => {
    const root = path.join(tmp, 'ws');
    fs.mkdirSync(path.join(root, 'services/a'), { recursive: true });
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: ['services/*'] }));
    expect(workspaceRootOf(path.join(root, 'services/a'))).toBe(root);
    const lone = path.join(tmp, 'lone');
    fs.mkdirSync(lone);
    expect(workspaceRootOf(lone)).toBe(lone);
  });
});

describe('Cleanup', () => {
  it('runs every disposer once, newest first, even when one throws', () => {
    const cleanup = new Cleanup();
    const calls: string[] = [];
    cleanup.add(() => calls.push('first'));
    cleanup.add(() => {
      throw new Error('boom');
    });
    const remove = cleanup.add(() => calls.push('removed'));
    cleanup.add(() => calls.push('last'));
    remove();
    cleanup.runAll();
    cleanup.runAll();
    expect(calls).toEqual(['last', 'first']);
  });
});
