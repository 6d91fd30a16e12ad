// plopfile.ts registers the `service` and `worker` generators that `shipshape
// new` runs: prompts are the option schema (same names, defaults from the
// target monorepo, same validation), and the action writes the same tree as
// the CLI (compared with the committed snapshots). The plop CLI itself runs
// them too, answers passed after `--` (plop's bypass).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodePlop from 'node-plop';
import { afterEach, describe, expect, it } from 'vitest';
import plopfile from '../plopfile.js';
import { optionsFor } from '../generators/lib/options.js';

const REPO = path.resolve(import.meta.dirname, '..');
const SNAPSHOTS = path.join(REPO, 'fixtures', 'generators');
const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

function demoCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-plop-'));
  temps.push(dir);
  fs.cpSync(path.join(REPO, 'fixtures', 'monorepo'), dir, { recursive: true, filter: (s) => !/[/\\](node_modules|dist)([/\\]|$)/.test(s) });
  return dir;
}

/** The generated package equals the snapshot `new` produced for the same answers. */
function expectSnapshot(root: string, snapshot: string, dir: string): void {
  const expected = path.join(SNAPSHOTS, snapshot, 'expected', dir);
  const files = fs.readdirSync(expected, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(expected, f)).isFile());
  expect(fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(root, dir, f)).isFile()).sort()).toEqual(files.sort());
  for (const f of files) expect(fs.readFileSync(path.join(root, dir, f), 'utf8'), f).toBe(fs.readFileSync(path.join(expected, f), 'utf8'));
}

async function plopFor(root: string) {
  const plop = await nodePlop('', { destBasePath: root, force: false });
  plopfile(plop);
  return plop;
}

describe('plopfile.ts', () => {
  it('registers service and worker, whose prompts are the option schema with the monorepo defaults', async () => {
    const root = demoCopy();
    const plop = await plopFor(root);
    expect(plop.getGeneratorList().map((g) => g.name)).toEqual(['service', 'worker']);
    for (const kind of ['service', 'worker'] as const) {
      const prompts = plop.getGenerator(kind).prompts as { name: string; default: (a: object) => Promise<unknown>; validate: (v: unknown, a: object) => Promise<unknown> }[];
      expect(prompts.map((p) => p.name)).toEqual(optionsFor(kind).map((o) => o.key));
    }
    const [name, dir, port, db] = plop.getGenerator('service').prompts as { default: (a: object) => Promise<unknown>; validate: (v: unknown, a: object) => Promise<unknown> }[];
    expect(await dir!.default({})).toBe('services');
    expect(await port!.default({ name: 'billing-service' })).toBe(3005);
    expect(await db!.default({})).toBe('mongo');
    expect(await name!.validate('billing-service', {})).toBe(true);
    expect(await name!.validate('Billing', {})).toMatch(/kebab-case/);
    expect(await port!.validate('3000', { name: 'x' })).toMatch(/already used/);
  });

  it('its action writes what `shipshape new` writes, and refuses a name that exists without writing', async () => {
    const root = demoCopy();
    const plop = await plopFor(root);
    // Prompt answers arrive as strings.
    const answers = { name: 'billing-service', dir: 'services', port: '3005', db: 'mongo' };
    const first = await plop.getGenerator('service').runActions(answers);
    expect(first.failures).toEqual([]);
    expect(first.changes[0]!.path).toBe('services/billing-service: 7 files created; created deploy/ecs/billing-service.json, k8s/billing-service.yaml; updated docker-compose.yml, .github/workflows/docker-build.yml');
    expectSnapshot(root, 'demo-service', 'services/billing-service');
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const again = await (await plopFor(root)).getGenerator('service').runActions(answers);
    expect(again.failures[0]!.error).toMatch(/"billing-service" already exists/);
    expect(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).toBe(compose);
  });

  it('runs under the plop CLI with every answer given after --', () => {
    const root = demoCopy();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'node_modules', 'plop', 'bin', 'plop.js'), '--plopfile', path.join(REPO, 'plopfile.ts'), '--dest', root, 'worker', '--',
        '--name', 'billing-worker', '--dir', 'services', '--topic', 'payments', '--group', 'billing-worker', '--db', 'mongo'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('services/billing-worker: 7 files created');
    expectSnapshot(root, 'demo-worker', 'services/billing-worker');
  });
});
