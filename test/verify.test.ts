// `shipshape verify` against the small purpose-built services in
// fixtures/verify/: real processes, a real redis-server, real signals. Each
// case asserts the verdict of every check and the evidence behind it, and
// that nothing the run started is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../src/verify/checks.js';
import { which } from '../src/verify/child.js';
import { Cleanup } from '../src/verify/cleanup.js';
import { verify, type VerifyResult } from '../src/verify/run.js';
import { REPO } from './helpers/fixtures.js';

const FIX = path.join(REPO, 'fixtures', 'verify');
/** Long enough for a loaded CI machine to finish requiring kafkajs/ioredis before SIGTERM comes. */
const SETTLE_MS = 3000;

function status(run: VerifyResult): Record<string, CheckResult['status']> {
  return Object.fromEntries(run.checks.map((c) => [c.id, c.status]));
}

function check(run: VerifyResult, id: CheckResult['id']): CheckResult {
  const c = run.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

/** Pids of the live children of this process (Linux /proc). */
function childPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]) === process.pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function run(name: string, opts: { settleMs?: number; graceMs?: number; recoverMs?: number } = {}): Promise<VerifyResult> {
  const before = new Set(childPids());
  const cleanup = new Cleanup();
  const result = await verify(path.isAbsolute(name) ? name : path.join(FIX, name), { settleMs: opts.settleMs ?? SETTLE_MS, graceMs: opts.graceMs ?? 5000, cleanup, ...(opts.recoverMs ? { recoverMs: opts.recoverMs } : {}) });
  expect(cleanup.size, 'every disposer ran').toBe(0);
  // Give the kernel a moment to reap, then nothing new may be alive.
  await new Promise((r) => setTimeout(r, 200));
  expect(childPids().filter((p) => !before.has(p)), 'processes left behind').toEqual([]);
  return result;
}

describe('verify: HTTP services', () => {
  it('listen-first on Redis: all five checks hold; /ready turns 200 once a real redis-server is up', async () => {
    expect(which('redis-server'), 'redis-server must be installed (apt-get install redis-server); this test fails without it').not.toBeNull();
    const r = await run('listen-first');
    expect(status(r)).toEqual({ survives: 'pass', liveness: 'pass', readiness: 'pass', 'readiness-recovers': 'pass', 'graceful-stop': 'pass' });
    expect(r.ok).toBe(true);
    expect(r.entry?.source).toBe('Dockerfile CMD');
    expect(r.entry?.command).toEqual(['node', 'index.js']);
    // compose gave redis://cache:6379/0; verify kept the database and moved the host.
    const redis = r.dependencies.find((d) => d.kind === 'redis')!;
    expect(r.environment.find((e) => e.name === 'REDIS_URL')?.value).toBe(`redis://127.0.0.1:${redis.port}/0`);
    expect(r.environment.find((e) => e.name === 'SESSION_SECRET')?.why).toBe('secret');
    expect(r.environment.find((e) => e.name === 'PORT')?.value).toBe(String(r.port));
    expect(check(r, 'liveness').summary).toMatch(/^GET \/health → 200/);
    expect(check(r, 'readiness').summary).toMatch(/^GET \/ready → 503 .* while Redis is down$/);
    expect(check(r, 'readiness-recovers').summary).toMatch(new RegExp(`^GET /ready → 200 .* after redis-server started on 127\\.0\\.0\\.1:${redis.port}`));
    expect(check(r, 'graceful-stop').summary).toMatch(/^exited with code 0 .* after SIGTERM$/);
  });

  it('connect-first: fails check 1 with the exit code and MongoDB as the cause; the rest is not run', async () => {
    // The default settle period: loading the mongodb driver alone can take a second on a busy machine.
    const r = await run('connect-first', { settleMs: 5000 });
    expect(status(r)).toEqual({ survives: 'fail', liveness: 'skip', readiness: 'skip', 'readiness-recovers': 'skip', 'graceful-stop': 'skip' });
    const mongo = r.dependencies.find((d) => d.kind === 'mongodb')!;
    const survives = check(r, 'survives');
    expect(survives.summary).toMatch(new RegExp(`^exited with code 1 after [\\d.]+ m?s while MongoDB \\(MONGO_URL → 127\\.0\\.0\\.1:${mongo.port}\\) was unreachable$`));
    expect(survives.evidence.join('\n')).toMatch(/failed to start: connect ECONNREFUSED/);
    // The Dockerfile runs `npm start`; verify ran the script behind it and said so.
    expect(r.entry?.command).toEqual(['node', 'server.js']);
    expect(r.entry?.notes.join('\n')).toMatch(/`npm start` runs a package manager/);
    expect(r.ok).toBe(false);
  });

  it('connect-first with a short settle period: the first check that sees the exit fails, the later ones point at it', async () => {
    // Server selection alone takes 500 ms, so the exit always lands after a 300 ms settle period.
    const r = await run('connect-first', { settleMs: 300 });
    expect(status(r)).toEqual({ survives: 'pass', liveness: 'fail', readiness: 'skip', 'readiness-recovers': 'skip', 'graceful-stop': 'skip' });
    expect(check(r, 'liveness').summary).toMatch(/^the service exited with code 1 after [\d.]+ m?s while MongoDB \(MONGO_URL → 127\.0\.0\.1:\d+\) was unreachable$/);
    expect(check(r, 'graceful-stop').summary).toBe('not run: the process exited (check 2)');
  });

  it('literal-port: nothing answers on PORT (with a hint at the literal port) and SIGTERM kills it without a handler', async () => {
    const r = await run('literal-port');
    expect(status(r)).toEqual({ survives: 'pass', liveness: 'fail', readiness: 'skip', 'readiness-recovers': 'skip', 'graceful-stop': 'fail' });
    const live = check(r, 'liveness');
    expect(live.summary).toBe(`GET /health → ECONNREFUSED: nothing listens on 127.0.0.1:${r.port}`);
    expect(live.evidence.join('\n')).toMatch(/the inventory saw port 39217 .* is PORT honoured\?/);
    expect(check(r, 'graceful-stop').summary).toMatch(/^terminated by SIGTERM after .*: no handler ran$/);
  });

  it('ready-stuck: check 4 fails when /ready stays 503 after Redis came back', async () => {
    const r = await run('ready-stuck', { recoverMs: 2000 });
    expect(status(r)).toEqual({ survives: 'pass', liveness: 'pass', readiness: 'pass', 'readiness-recovers': 'fail', 'graceful-stop': 'pass' });
    expect(check(r, 'readiness-recovers').summary).toMatch(/^GET \/ready still 503 2\.0 s after redis-server started on 127\.0\.0\.1:\d+/);
    expect(r.entry?.source).toBe('package.json#main');
  });
});

describe('verify: Kafka workers', () => {
  it('worker-clean-stop: survives the broker outage and the log shows the consumer stop after SIGTERM', async () => {
    const r = await run('worker-clean-stop');
    expect(status(r)).toEqual({ survives: 'pass', liveness: 'skip', readiness: 'skip', 'readiness-recovers': 'skip', 'graceful-stop': 'pass' });
    expect(r.port).toBeNull();
    expect(check(r, 'graceful-stop').summary).toMatch(/^exited with code 0 .* after SIGTERM; consumer disconnected$/);
    expect(check(r, 'graceful-stop').evidence.join('\n')).toMatch(/\[Consumer\] Stopped|consumer disconnected/);
    expect(r.ok).toBe(true);
  });

  it('worker-ignores-sigterm: still running after the grace period, killed, check 5 fails', async () => {
    const r = await run('worker-ignores-sigterm', { graceMs: 1000 });
    expect(status(r)['graceful-stop']).toBe('fail');
    const stop = check(r, 'graceful-stop');
    expect(stop.summary).toBe('still running 1.0 s after SIGTERM; killed with SIGKILL');
    expect(stop.evidence.join('\n')).toMatch(/SIGTERM received; finishing the current batch first/);
    expect(r.ok).toBe(false);
  });

  it('worker-leaves-consumer: exits 0 on SIGTERM but never disconnects the consumer (audit B.1)', async () => {
    const r = await run('worker-leaves-consumer');
    const stop = check(r, 'graceful-stop');
    expect(stop.status).toBe('fail');
    expect(stop.summary).toMatch(/^exited with code 0 .* after SIGTERM, but the log shows no consumer disconnect$/);
    expect(stop.evidence.join('\n')).toMatch(/the consumer was started:[\s\S]*ECONNREFUSED[\s\S]*closing the database/);
  });
});

describe('verify: building the entry', () => {
  function copy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-verify-build-'));
    fs.cpSync(path.join(FIX, 'built-service'), dir, { recursive: true, filter: (src) => !src.endsWith(`${path.sep}dist`) });
    return dir;
  }

  it('builds when the entry is missing, not when it is fresh, and again when a source is newer', async () => {
    const dir = copy();
    try {
      const first = await run(dir, { settleMs: 1000 });
      expect(first.build).toMatchObject({ command: 'npm run build', ok: true, reason: 'entry missing: dist/index.js' });
      expect(first.ok).toBe(true);
      expect(fs.existsSync(path.join(dir, 'dist/index.js'))).toBe(true);
      // No dependency: readiness has nothing to be down for.
      expect(check(first, 'readiness').status).toBe('skip');

      const second = await run(dir, { settleMs: 1000 });
      expect(second.build).toBeNull();

      const later = new Date(Date.now() + 5000);
      fs.utimesSync(path.join(dir, 'src/index.js'), later, later);
      const third = await run(dir, { settleMs: 1000 });
      expect(third.build).toMatchObject({ ok: true, reason: 'src/index.js is newer than dist/index.js' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails check 1 with the build output when the build fails', async () => {
    const dir = copy();
    try {
      fs.writeFileSync(path.join(dir, 'build.js'), "console.error('src/index.ts(3,7): error TS2322: nope'); process.exit(2);\n");
      const r = await run(dir, { settleMs: 1000 });
      expect(status(r)).toEqual({ survives: 'fail', liveness: 'skip', readiness: 'skip', 'readiness-recovers': 'skip', 'graceful-stop': 'skip' });
      expect(check(r, 'survives').summary).toMatch(/^`npm run build` failed \(exit code 2\) after /);
      expect(check(r, 'survives').evidence.join('\n')).toMatch(/error TS2322: nope/);
      expect(r.entry).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
