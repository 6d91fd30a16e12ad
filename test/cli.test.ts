// The CLI as a user runs it: the built bin in a child process, exit codes per SPEC.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, REPO } from './helpers/fixtures.js';
import { copyDir, hashTree, writeFiles } from './helpers/tmp.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
export function cli(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
const demoCopy = () => {
  const dir = copyDir(path.join(FIXTURES, 'monorepo'));
  temps.push(dir);
  return dir;
};

describe('shipshape CLI', () => {
  it('prints its version and help for every command', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    for (const cmd of ['scan', 'fix', 'new', 'verify', 'rules']) {
      const r = cli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: shipshape ${cmd}`));
    }
  });

  it('exits 2 with a usage line on unknown flags, bad values and unknown commands', () => {
    for (const args of [['scan', '--bogus'], ['fix', '--format', 'xml'], ['frobnicate'], ['scan', '--shard', '3/2'], ['fix', '.', '--only', 'no-such-transform']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
  });

  it('exits 2 when the root is not a directory', () => {
    const r = cli(['scan', path.join(REPO, 'no-such-dir')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a directory/);
  });

  it('prints the rule catalog from the code, as text and JSON', () => {
    const r = cli(['rules', '--format', 'json']);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id);
    expect(ids).toContain('parse-error');
    expect(cli(['rules']).stdout).toMatch(/^id\s+severity\s+file kind\s+fixer/);
  });

  it('fix --dry-run on the demo monorepo writes nothing and prints diffs; the patch applies and a second run changes nothing', () => {
    const dir = demoCopy();
    const before = hashTree(dir);
    const patch = path.join(dir, '..', `${path.basename(dir)}.diff`);
    temps.push(patch);
    const dry = cli(['fix', dir, '--dry-run', '--patch', patch]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(hashTree(dir)).toEqual(before);
    expect(dry.stdout).toMatch(/^diff --git a\//m);
    expect(dry.stdout).toMatch(/files changed, \d+ unchanged, 0 failed/);
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(spawnSync('git', ['apply', '--check', patch], { cwd: dir, encoding: 'utf8' }).stderr).toBe('');
    expect(spawnSync('git', ['apply', patch], { cwd: dir }).status).toBe(0);
    const second = cli(['fix', dir, '--dry-run']);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^diff --git/m);
    expect(second.stdout).toMatch(/\n0 files changed/);
  });

  it('reports a file with a syntax error as file:line, skips it and exits 1', () => {
    const dir = demoCopy();
    writeFiles(dir, { 'services/course-service/src/broken.ts': 'export const x = {;\n' });
    const r = cli(['fix', dir, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^services\/course-service\/src\/broken\.ts:1: /m);
    expect(r.stdout).toMatch(/1 failed/);
  });

  it('scan prints an inventory of the demo services and exits 1 on blocking findings', () => {
    const r = cli(['scan', path.join(FIXTURES, 'monorepo'), '--format', 'json']);
    const report = JSON.parse(r.stdout) as { services: { name: string; type: string }[]; summary: { blocking: number } };
    expect(r.code).toBe(report.summary.blocking > 0 ? 1 : 0);
    const types = Object.fromEntries(report.services.map((s) => [s.name, s.type]));
    expect(types).toMatchObject({ 'course-service': 'api', 'api-gateway': 'api', 'notification-worker': 'worker', 'cache-worker': 'worker', 'user-ui': 'ui' });
  });
});
