// `verify` runs a service the way a platform would and must not hand it the
// caller's shell: with secret-looking variables in verify's own environment,
// the service (and anything it starts) sees only PATH/HOME/locale/TMPDIR plus
// what verify decided to give it, with secrets replaced by dummies. And
// nothing the service started outlives the run: a grandchild that ignores
// SIGTERM, in the service's process group or detached into its own session,
// is gone when verify returns, whichever way the run ends (clean stop, crash,
// a service that ignores SIGTERM itself, Ctrl-C to verify).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';
import { tmpWorkspace } from './helpers/tmp.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
/** What README "### verify" lets through from the caller's shell (TMPDIR and, on Windows, SystemRoot are the runtime's own). */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SystemRoot'];
const PARENT_SECRETS = {
  AWS_SECRET_ACCESS_KEY: 'parent-aws-secret-wJalrXUtnFEMI',
  GITHUB_TOKEN: 'ghp_parentTokenThatMustNotLeak0123',
  NPM_TOKEN: 'npm_parentTokenThatMustNotLeak',
  MONGO_URI: 'mongodb://developer:hunter2@dev-db.internal:27017/prod',
};

type Mode = 'clean-stop' | 'crash' | 'ignores-sigterm';

/**
 * A service that writes its environment to env-service.json, starts two
 * grandchildren that ignore SIGTERM (one in its own process group, one
 * detached into a new session), each writing its environment too, and records
 * every pid in pids.json. It reads AWS_SECRET_ACCESS_KEY, so verify gives it one.
 */
function service(mode: Mode): string {
  const grandchild = "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env)); setInterval(() => {}, 1000);";
  const index = `'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { spawn } = require('node:child_process');
if (!process.env.AWS_SECRET_ACCESS_KEY) process.exit(3);
fs.writeFileSync('env-service.json', JSON.stringify(process.env));
const pids = { service: process.pid };
for (const detached of [false, true]) {
  const name = detached ? 'detached' : 'attached';
  const c = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}, 'env-' + name + '.json'], { detached, stdio: 'ignore' });
  pids[name] = c.pid;
  if (detached) c.unref();
}
fs.writeFileSync('pids.json', JSON.stringify(pids));
const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/health' || req.url === '/ready' ? 200 : 404);
  res.end();
});
server.listen(Number(process.env.PORT), '0.0.0.0', () => console.log('listening'));
${
  mode === 'crash'
    ? "setTimeout(() => process.exit(1), 300);"
    : mode === 'ignores-sigterm'
      ? "process.on('SIGTERM', () => console.log('SIGTERM ignored'));"
      : "process.on('SIGTERM', () => server.close(() => process.exit(0)));"
}
`;
  return tmpWorkspace({
    'package.json': JSON.stringify({ name: `isolation-${mode}`, version: '1.0.0', private: true, main: 'index.js' }, null, 2),
    'index.js': index,
  });
}

const temps: string[] = [];
const leftovers: number[] = [];
afterEach(() => {
  // A failed assertion must not leave SIGTERM-proof processes behind.
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true }));
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts verify with the parent secrets in its environment; `interrupt` sends it SIGINT once the service has written its pids. */
function verify(dir: string, interrupt = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'verify', dir, '--settle', '1', '--timeout', '2', '--format', 'json'], {
      cwd: REPO,
      env: { ...process.env, ...PARENT_SECRETS, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 50_000);
    if (interrupt) {
      const poll = setInterval(() => {
        if (!fs.existsSync(path.join(dir, 'pids.json'))) return;
        clearInterval(poll);
        // Let the grandchildren start and write their environment.
        setTimeout(() => proc.kill('SIGINT'), 300);
      }, 50);
      proc.once('exit', () => clearInterval(poll));
    }
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function pidsOf(dir: string): { service: number; attached: number; detached: number } {
  const pids = JSON.parse(fs.readFileSync(path.join(dir, 'pids.json'), 'utf8')) as { service: number; attached: number; detached: number };
  leftovers.push(pids.service, pids.attached, pids.detached);
  return pids;
}

/** Not running: the pid is gone (ESRCH), or it is a zombie that only waits for init to reap it. */
function stopped(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
}

/** Waits until `process.kill(pid, 0)` throws ESRCH (a killed orphan is reaped by init, which may take a moment). */
async function esrch(pid: number, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? 'unknown';
    }
    if (Date.now() > end) return 'still there';
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectAllGone(dir: string, run: Run): Promise<void> {
  const pids = pidsOf(dir);
  for (const [who, pid] of Object.entries(pids)) expect(stopped(pid), `${who} (pid ${pid}) still running after verify returned\n${run.stdout}\n${run.stderr}`).toBe(true);
  for (const [who, pid] of Object.entries(pids)) expect(await esrch(pid), `${who} (pid ${pid})`).toBe('ESRCH');
}

beforeAll(() => {
  const built = path.join(REPO, 'dist', 'src', 'verify', 'child.js');
  expect(fs.existsSync(built), 'dist/ is missing: run `npm run build` first').toBe(true);
});

describe.runIf(process.platform === 'linux')('verify isolates the service from the caller', () => {
  it("passes the child only the documented environment: the caller's secrets never reach the service or its grandchildren; a clean stop leaves no grandchild behind", async () => {
    const dir = service('clean-stop');
    temps.push(dir);
    const run = await verify(dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { environment: { name: string; value: string; why: string }[] };
    const given = new Set(report.environment.map((e) => e.name));
    for (const file of ['env-service.json', 'env-attached.json', 'env-detached.json']) {
      const env = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, string>;
      const unexpected = Object.keys(env).filter((k) => !INHERITED.includes(k) && !given.has(k));
      expect(unexpected, `${file}: variables verify neither inherits nor reports`).toEqual([]);
      expect(env.GITHUB_TOKEN, file).toBeUndefined();
      expect(env.NPM_TOKEN, file).toBeUndefined();
      expect(env.MONGO_URI, file).toBeUndefined();
      // The service reads AWS_SECRET_ACCESS_KEY, so it gets one: verify's dummy, never the caller's.
      expect(env.AWS_SECRET_ACCESS_KEY, file).toBe(report.environment.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')?.value);
      const text = JSON.stringify(env);
      for (const secret of Object.values(PARENT_SECRETS)) expect(text.includes(secret), `${file} holds a value of the caller's environment`).toBe(false);
    }
    expect(report.environment.find((e) => e.name === 'AWS_SECRET_ACCESS_KEY')).toMatchObject({ why: 'secret' });
    await expectAllGone(dir, run);
  });

  it('kills them when the service crashes during the run', async () => {
    const dir = service('crash');
    temps.push(dir);
    const run = await verify(dir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/exited with code 1/);
    await expectAllGone(dir, run);
  });

  it('kills them, and the service, when the service ignores SIGTERM too', async () => {
    const dir = service('ignores-sigterm');
    temps.push(dir);
    const run = await verify(dir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/still running [\d.]+ m?s after SIGTERM; killed with SIGKILL/);
    await expectAllGone(dir, run);
  });

  it('kills them when verify itself is interrupted (Ctrl-C)', async () => {
    const dir = service('clean-stop');
    temps.push(dir);
    const run = await verify(dir, true);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.stderr).toMatch(/SIGINT: stopped the service/);
    await expectAllGone(dir, run);
  });
});
