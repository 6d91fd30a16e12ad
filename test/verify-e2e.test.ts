// End to end on the demo monorepo, through the real CLI: `verify` reproduces
// the audit's section E crashes on the code as it is, and proves `fix` cures
// them. Each block works on its own copy of fixtures/monorepo (without
// node_modules and dist; node_modules is linked back to the repository's so
// the services' dependencies and tsc resolve), and verify builds each service
// itself since its entry is missing.
//
// The "after fix" block depends on the code transforms: listen-before-connect
// (course-service listens first and serves /ready), http-graceful-shutdown
// (its SIGTERM path), dependency-retry (notification-worker and cache-worker
// retry instead of exiting) and consumer-ref-shutdown (their SIGTERM handlers).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
const MONOREPO = path.join(REPO, 'fixtures', 'monorepo');

interface Report {
  ok: boolean;
  service: { name: string; type: string };
  checks: { id: string; status: string; summary: string; evidence: string[] }[];
}

function copyMonorepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-verify-e2e-'));
  fs.cpSync(MONOREPO, dir, { recursive: true, filter: (src) => !/(^|[\\/])(node_modules|dist)$/.test(src) });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs the CLI without blocking the test worker (vitest talks to it while we wait). */
function shipshape(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 55_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function verify(root: string, service: string): Promise<{ code: number | null; report: Report; raw: string }> {
  const r = await shipshape('verify', path.join(root, 'services', service), '--format', 'json');
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`verify ${service} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, raw: r.stdout };
}

function statuses(report: Report): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

function summary(report: Report, id: string): string {
  return report.checks.find((c) => c.id === id)?.summary ?? '';
}

beforeAll(() => {
  const built = path.join(REPO, 'dist', 'src', 'commands', 'verify.js');
  expect(fs.existsSync(built) && fs.readFileSync(built, 'utf8').includes('verify/run.js'), 'dist/ is missing or stale: run `npm run build` first').toBe(true);
});

describe('verify on the demo monorepo, before fix: the section E crashes', () => {
  let root = '';
  beforeAll(() => {
    root = copyMonorepo();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('course-service (connect before listen) fails check 1: exit code 1 while MongoDB was unreachable', async () => {
    const { code, report, raw } = await verify(root, 'course-service');
    expect(code, raw).toBe(1);
    expect(statuses(report).survives).toBe('fail');
    expect(summary(report, 'survives')).toMatch(/^exited with code 1 after [\d.]+ m?s while MongoDB \(MONGO_URI → 127\.0\.0\.1:\d+\) was unreachable$/);
    expect(report.checks[0]!.evidence.join('\n')).toMatch(/failed to start: MongoServerSelectionError: connect ECONNREFUSED/);
    expect(statuses(report)['graceful-stop']).toBe('skip');
  });

  it('notification-worker (initialize() throws, main().catch exits) fails check 1 while MongoDB was unreachable', async () => {
    const { code, report, raw } = await verify(root, 'notification-worker');
    expect(code, raw).toBe(1);
    expect(summary(report, 'survives')).toMatch(/^exited with code 1 after [\d.]+ m?s while MongoDB \([A-Z_, ]*MONGO_URI[A-Z_, ]* → 127\.0\.0\.1:\d+\) was unreachable$/);
  });

  it('cache-worker (no Redis, no retry) fails check 1 while Redis was unreachable', async () => {
    const { code, report, raw } = await verify(root, 'cache-worker');
    expect(code, raw).toBe(1);
    expect(summary(report, 'survives')).toMatch(/^exited with code 1 after [\d.]+ m?s while Redis \(REDIS_URL → 127\.0\.0\.1:\d+\) was unreachable$/);
  });

  it('session-worker (SIGTERM closes MongoDB, never the consumer) stays up but fails check 5', async () => {
    const { code, report, raw } = await verify(root, 'session-worker');
    expect(code, raw).toBe(1);
    expect(statuses(report), raw).toMatchObject({ survives: 'pass', 'graceful-stop': 'fail' });
    expect(summary(report, 'graceful-stop')).toMatch(/no consumer disconnect/);
  });
});

describe('verify on the demo monorepo, after fix: every check holds', () => {
  let root = '';
  beforeAll(async () => {
    root = copyMonorepo();
    const fixed = await shipshape('fix', root);
    expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('course-service stays up, /health 200, /ready 503 while MongoDB is down, exits 0 on SIGTERM', async () => {
    const { code, report, raw } = await verify(root, 'course-service');
    expect(statuses(report), raw).toEqual({ survives: 'pass', liveness: 'pass', readiness: 'pass', 'readiness-recovers': 'skip', 'graceful-stop': 'pass' });
    expect(summary(report, 'readiness')).toMatch(/^GET \/ready → 503 .* while .*MongoDB.* down$/);
    expect(code).toBe(0);
  });

  it('notification-worker retries MongoDB instead of exiting and stops cleanly on SIGTERM', async () => {
    const { code, report, raw } = await verify(root, 'notification-worker');
    expect(statuses(report), raw).toMatchObject({ survives: 'pass', 'graceful-stop': 'pass' });
    expect(summary(report, 'graceful-stop')).toMatch(/^exited with code 0 /);
    expect(code).toBe(0);
  });

  it('cache-worker retries Redis instead of exiting and stops cleanly on SIGTERM', async () => {
    const { code, report, raw } = await verify(root, 'cache-worker');
    expect(statuses(report), raw).toMatchObject({ survives: 'pass', 'graceful-stop': 'pass' });
    expect(code).toBe(0);
  });

  it('session-worker disconnects its consumer on SIGTERM and exits 0', async () => {
    const { code, report, raw } = await verify(root, 'session-worker');
    expect(statuses(report), raw).toMatchObject({ survives: 'pass', 'graceful-stop': 'pass' });
    expect(summary(report, 'graceful-stop')).toMatch(/consumer disconnected/);
    expect(code).toBe(0);
  });
});
