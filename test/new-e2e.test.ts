// The "done when", as a user runs it (the built CLI in child
// processes): in a copy of the demo monorepo, `shipshape new service` and
// `shipshape new worker` scaffold packages that `shipshape scan` passes with
// zero findings (their files, and their compose and CI entries), that compile
// with tsc, and that behave on a real process: the service answers /health
// 200 and /ready 503 with its database down and exits 0 within 5 s of
// SIGTERM; the worker stays up with Kafka unreachable and exits 0 on SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument, type Node } from 'yaml';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin', 'shipshape.js');
const TSC = path.join(REPO, 'node_modules', '.bin', 'tsc');
const NEW = ['services/billing-service', 'services/billing-worker', 'services/audit-worker'];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** 1-based line ranges of the YAML nodes `pick` selects. */
function ranges(file: string, pick: (doc: ReturnType<typeof parseDocument>) => { key?: Node; value: Node }[]): [number, number][] {
  const text = fs.readFileSync(file, 'utf8');
  return pick(parseDocument(text)).map(({ key, value }) => [lineOf(text, (key ?? value).range![0]), lineOf(text, value.range![1])]);
}

/** Resolves with the exit code, or rejects after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms of SIGTERM`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

let root: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-new-e2e-'));
  fs.cpSync(path.join(REPO, 'fixtures', 'monorepo'), root, { recursive: true, filter: (s) => !/[/\\](node_modules|dist)([/\\]|$)/.test(s) });
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

describe('shipshape new in a copy of the demo monorepo', () => {
  it('scaffolds a service and two workers (exit 0), and refuses a second run of the same name (exit 2, nothing touched)', () => {
    for (const args of [
      ['new', 'service', '--name', 'billing-service', '--yes'],
      ['new', 'worker', '--name', 'billing-worker', '--topic', 'payments', '--yes'],
      ['new', 'worker', '--name', 'audit-worker', '--topic', 'audit.events', '--db', 'none', '--yes'],
    ]) {
      const r = cli([...args, '--root', root]);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const again = cli(['new', 'service', '--name', 'billing-service', '--yes', '--root', root]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^shipshape: --name: "billing-service" already exists/);
    const bad = cli(['new', 'service', '--name', 'x"; require("child_process")', '--yes', '--root', root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).toBe(compose);
  });

  it('scan reports zero findings for the new packages and their compose and CI entries', () => {
    const r = cli(['scan', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as {
      services: { name: string; dir: string; type: string; health: string | null; ready: string | null; port: number | null }[];
      findings: { rule: string; service: string | null; file: string; line: number; message: string }[];
    };
    const names = NEW.map((d) => path.posix.basename(d));
    expect(report.services.filter((s) => names.includes(s.name)).map(({ name, type, health, ready, port }) => ({ name, type, health, ready, port }))).toEqual([
      { name: 'audit-worker', type: 'worker', health: null, ready: null, port: null },
      { name: 'billing-service', type: 'api', health: '/health', ready: '/ready', port: 3005 },
      { name: 'billing-worker', type: 'worker', health: null, ready: null, port: null },
    ]);
    const composeLines = ranges(path.join(root, 'docker-compose.yml'), (doc) => {
      const services = doc.get('services', true);
      return isMap(services) ? services.items.filter((p) => names.includes(String((p.key as { value?: unknown }).value))).map((p) => ({ key: p.key as Node, value: p.value as Node })) : [];
    });
    const ciLines = ranges(path.join(root, '.github', 'workflows', 'docker-build.yml'), (doc) => {
      const include = doc.getIn(['jobs', 'build', 'strategy', 'matrix', 'include'], true);
      return isSeq(include) ? include.items.filter((i) => isMap(i) && names.includes(String(i.get('service')))).map((i) => ({ value: i as Node })) : [];
    });
    expect(composeLines).toHaveLength(3);
    expect(ciLines).toHaveLength(3);
    const within = (line: number, spans: [number, number][]) => spans.some(([a, b]) => line >= a && line <= b);
    const mine = report.findings.filter(
      (f) =>
        (f.service !== null && names.includes(f.service)) ||
        NEW.some((d) => f.file.startsWith(`${d}/`)) ||
        (f.file === 'docker-compose.yml' && within(f.line, composeLines)) ||
        (f.file === '.github/workflows/docker-build.yml' && within(f.line, ciLines)),
    );
    expect(mine).toEqual([]);
  });

  it('the new packages compile with tsc', () => {
    // Types and runtime modules resolve from this repo's node_modules, as from an installed workspace.
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    for (const dir of NEW) {
      const r = spawnSync(TSC, ['-p', path.join(root, dir, 'tsconfig.json')], { encoding: 'utf8' });
      expect(r.stdout + r.stderr, dir).toBe('');
      expect(r.status, dir).toBe(0);
      expect(fs.existsSync(path.join(root, dir, 'dist', 'index.js')), dir).toBe(true);
    }
  });

  it('the built service answers /health 200 and /ready 503 with its database down, and exits 0 within 5 s of SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/index.js'], {
      cwd: path.join(root, 'services', 'billing-service'),
      env: { ...process.env, PORT: String(port), MONGO_URI: `mongodb://127.0.0.1:${await freePort()}/billing` },
      stdio: 'ignore',
    });
    children.push(child);
    let health = 0;
    for (const deadline = Date.now() + 20_000; health === 0 && Date.now() < deadline; ) {
      health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
      if (health === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exitWithin(child, 5000)).toBe(0);
  });

  it.each(['billing-worker', 'audit-worker'])('the built %s stays up with Kafka unreachable and exits 0 on SIGTERM', async (name) => {
    const child = spawn(process.execPath, ['dist/index.js'], {
      cwd: path.join(root, 'services', name),
      env: { ...process.env, KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, MONGO_URI: `mongodb://127.0.0.1:${await freePort()}/w` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Long enough for the first connect to fail and a retry to be scheduled.
    const failed = name === 'audit-worker' ? /Kafka connect failed \(attempt 1\)/ : /MongoDB connect failed \(attempt 1\)/;
    for (const deadline = Date.now() + 20_000; !failed.test(stderr) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    expect(stderr).toMatch(failed);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exitWithin(child, 5000)).toBe(0);
  });

  it("the packages' own tests pass (npm test: node --test on the build)", () => {
    for (const dir of NEW) {
      const r = spawnSync(process.execPath, ['--test', 'dist/index.test.js'], { cwd: path.join(root, dir), encoding: 'utf8' });
      expect(r.status, `${dir}\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});
