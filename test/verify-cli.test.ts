// `shipshape verify` through the real CLI (bin/shipshape.js → dist/, built by
// `npm test`): exit codes per SPEC (0 all hold, 1 a check failed, 2 usage),
// --format json, the streamed text table, and Ctrl-C: verify must stop the
// service and its redis-server before exiting.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
const FIX = path.join(REPO, 'fixtures', 'verify');

/** Runs the CLI without blocking the test worker. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 50_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live children of `ppid` with their command name (Linux /proc). */
function childrenOf(ppid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && fields[0] !== 'Z') out.push({ pid: Number(d), comm: fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function until<T>(what: string, get: () => T | undefined | null | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function start(...args: string[]): { proc: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exit };
}

beforeAll(() => {
  const built = path.join(REPO, 'dist', 'src', 'commands', 'verify.js');
  expect(fs.existsSync(built) && fs.readFileSync(built, 'utf8').includes('verify/run.js'), 'dist/ is missing or stale: run `npm run build` first').toBe(true);
});

describe('verify CLI: exit codes and formats', () => {
  it('exits 0 and prints JSON when every check holds', async () => {
    const r = await cli('verify', path.join(FIX, 'worker-clean-stop'), '--settle', '3', '--format', 'json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { version: number; ok: boolean; service: { name: string; type: string }; checks: { id: string; status: string }[] };
    expect(report.version).toBe(1);
    expect(report.ok).toBe(true);
    expect(report.service).toMatchObject({ name: 'verify-worker-clean-stop', type: 'worker' });
    expect(report.checks.map((c) => `${c.id}:${c.status}`)).toEqual(['survives:pass', 'liveness:skip', 'readiness:skip', 'readiness-recovers:skip', 'graceful-stop:pass']);
  });

  it('exits 1 with a ✓/✗ table and the cause when a check fails', async () => {
    const r = await cli('verify', path.join(FIX, 'connect-first'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^ {2}✗ 1 survives +exited with code 1 after [\d.]+ m?s while MongoDB \(MONGO_URL → 127\.0\.0\.1:\d+\) was unreachable$/m);
    expect(r.stdout).toMatch(/^ {2}– 5 graceful stop +not run: the process exited \(check 1\)$/m);
    expect(r.stdout).toMatch(/^ {2}down {4}MONGO_URL=mongodb:\/\/127\.0\.0\.1:\d+\/app {2}\(closed port\)$/m);
    expect(r.stdout).toMatch(/^FAIL {2}1 of 5 checks failed/m);
  });

  it.each([
    [['verify', path.join(FIX, 'no-such-service')], /not a directory/],
    [['verify', FIX], /no package\.json/],
    [['verify', path.join(FIX, 'listen-first'), '--settle', 'soon'], /--settle soon: expected a number of seconds/],
    [['verify', path.join(FIX, 'listen-first'), '--timeout', '0'], /--timeout 0: expected a number of seconds/],
    [['verify', path.join(FIX, 'listen-first'), '--format', 'xml'], /invalid/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const r = await cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('verify CLI: Ctrl-C', () => {
  it('SIGINT while waiting out the grace period kills the service that ignores SIGTERM, then exits 130', async () => {
    const run = start('verify', path.join(FIX, 'worker-ignores-sigterm'), '--settle', '3', '--timeout', '30');
    const service = await until('the service process', () => childrenOf(run.proc.pid!).find((c) => c.comm === 'node'));
    await until('check 4 to be reported', () => /4 readiness recovers/.test(run.out()));
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(service.pid), `the service ignores SIGTERM, so it is still up\n${run.out()}`).toBe(true);
    run.proc.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.err()).toMatch(/SIGINT: stopped the service/);
    await until('the service to be gone', () => !alive(service.pid), 3000);
  });

  it('SIGINT while readiness is recovering stops both the service and redis-server', async () => {
    const run = start('verify', path.join(FIX, 'ready-stuck'), '--settle', '3');
    const service = await until('the service process', () => childrenOf(run.proc.pid!).find((c) => c.comm === 'node'));
    const redis = await until('redis-server', () => childrenOf(run.proc.pid!).find((c) => c.comm === 'redis-server'));
    run.proc.kill('SIGINT');
    expect(await run.exit).toBe(130);
    await until('service and redis-server to be gone', () => !alive(service.pid) && !alive(redis.pid), 3000);
    expect(run.out()).not.toMatch(/4 readiness recovers/);
  });
});
