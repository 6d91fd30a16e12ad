// The engine at scale, as users run it: worker threads must not change a
// byte of output, shards must stay put when the repo grows, and progress
// must never leak into piped output. Speed itself is measured in bench/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shardOf, stableHash } from '../src/engine/pipeline.js';
import { progressFor } from '../src/commands/progress.js';
import { execFile } from 'node:child_process';
import { FIXTURES, REPO } from './helpers/fixtures.js';
import { copyDir, writeFiles } from './helpers/tmp.js';

const DEMO = path.join(FIXTURES, 'monorepo');
const BIN = path.join(REPO, 'bin', 'shipshape.js');
// Asynchronous: a long synchronous child would stall the test runner's own messaging.
const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
const tmp = (name: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `shipshape-${name}-`));
  temps.push(dir);
  return dir;
};

describe('--jobs', () => {
  // --jobs 2 is this thread and one worker; --jobs 3 adds a second worker.
  it('gives byte-identical scan reports, fix diffs and patches on the demo with 1, 2 and 3 threads', async () => {
    const out = tmp('jobs');
    const run = async (jobs: string) => {
      const patch = path.join(out, `fix-${jobs}.patch`);
      const scan = await cli(['scan', DEMO, '--format', 'json', '--jobs', jobs]);
      const fix = await cli(['fix', DEMO, '--dry-run', '--patch', patch, '--jobs', jobs]);
      const fixJson = await cli(['fix', DEMO, '--dry-run', '--format', 'json', '--jobs', jobs]);
      return { scan, fix, fixJson, patch: fs.readFileSync(patch, 'utf8') };
    };
    const one = await run('1');
    const [two, three] = await Promise.all([run('2'), run('3')]);
    expect(one.scan.code).toBe(1); // the demo has blocking findings
    expect(JSON.parse(one.scan.stdout).findings.length).toBeGreaterThan(50);
    expect(one.patch).toMatch(/^diff --git/m);
    for (const other of [two, three]) {
      for (const key of ['scan', 'fix', 'fixJson'] as const) {
        expect(other[key].stdout, key).toBe(one[key].stdout);
        expect(other[key].code, key).toBe(one[key].code);
        expect(other[key].stderr, key).toBe('');
      }
      expect(other.patch).toBe(one.patch);
    }
    // Nine CLI runs of the demo: generous for a loaded 2-core CI machine.
  }, 300_000);
});

describe('--shard', () => {
  it('puts a file in the shard of its package, by a hash that no other package moves', () => {
    expect(stableHash('services/a')).toBe(stableHash('services/a'));
    for (const total of [2, 3, 7]) {
      const files = ['services/a/src/index.ts', 'services/a/Dockerfile'].map((p) => ({ path: p, pkg: 'services/a' }));
      const shards = new Set(files.map((f) => shardOf(f, total)));
      expect(shards.size).toBe(1);
      const shard = [...shards][0]!;
      expect(shard).toBeGreaterThanOrEqual(1);
      expect(shard).toBeLessThanOrEqual(total);
    }
    // Repo-level files spread by their own path.
    expect(shardOf({ path: 'docker-compose.yml', pkg: null }, 5)).toBe((stableHash('docker-compose.yml') % 5) + 1);
  });

  it('keeps every existing file in its shard when a service is added', async () => {
    const dir = copyDir(DEMO);
    temps.push(dir);
    const owners = async (): Promise<Map<string, number>> => {
      const seen = new Map<string, number>();
      for (const k of [1, 2, 3]) {
        const r = await cli(['scan', dir, '--format', 'json', '--shard', `${k}/3`]);
        for (const f of (JSON.parse(r.stdout) as { findings: { file: string }[] }).findings) seen.set(f.file, k);
      }
      return seen;
    };
    const before = await owners();
    writeFiles(dir, {
      'services/zz-new-service/package.json': JSON.stringify({ name: 'zz-new-service', dependencies: { express: '^5.0.0' } }),
      'services/zz-new-service/src/index.js': "const express = require('express');\nconst app = express();\napp.listen(4010);\n",
    });
    const after = await owners();
    expect(before.size).toBeGreaterThan(10);
    for (const [file, shard] of before) expect(after.get(file), file).toBe(shard);
    expect(after.has('services/zz-new-service/src/index.js')).toBe(true);
  }, 300_000);
});

describe('progress', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, s: { isTTY, write: (t: string) => writes.push(t) } as unknown as NodeJS.WriteStream };
  };

  it('shows files done, total and rate on a terminal and clears its line at the end', () => {
    const { writes, s } = stream(true);
    const bar = progressFor({}, s, {});
    bar.progress!(0, 10);
    bar.progress!(10, 10);
    bar.end();
    expect(writes.some((w) => /10\/10 files · \d+ files\/s/.test(w))).toBe(true);
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('is silent when piped, under CI=true, or with --quiet', () => {
    for (const [isTTY, opts, env] of [
      [false, {}, {}],
      [true, {}, { CI: 'true' }],
      [true, { quiet: true }, {}],
    ] as const) {
      const { writes, s } = stream(isTTY);
      const bar = progressFor(opts, s, env);
      expect(bar.progress).toBeUndefined();
      bar.end();
      expect(writes).toEqual([]);
    }
  });

  it('never writes to stderr of a piped CLI run', async () => {
    const r = await cli(['scan', DEMO, '--format', 'json']);
    expect(r.stderr).toBe('');
  });
});
