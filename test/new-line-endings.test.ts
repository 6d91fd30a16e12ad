// `shipshape new` edits the files it wires a package into (compose, CI,
// pnpm-workspace.yaml) in their own line endings and BOM, as `fix` does: a
// CRLF compose file gains CRLF lines and is not rewritten whole.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-new-eol-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('a CRLF compose file with a BOM keeps both after new service', async () => {
  const root = path.join(tmp, 'repo');
  fs.cpSync(path.join(REPO, 'fixtures/monorepo'), root, { recursive: true });
  const compose = path.join(root, 'docker-compose.yml');
  const lf = fs.readFileSync(compose, 'utf8');
  fs.writeFileSync(compose, `\ufeff${lf.replace(/\n/g, '\r\n')}`);
  await run(process.execPath, [path.join(REPO, 'bin/shipshape.js'), 'new', 'service', '--name', 'billing-service', '--yes', '--root', root]);
  const after = fs.readFileSync(compose, 'utf8');
  expect(after.startsWith('\ufeff')).toBe(true);
  expect(after).toContain('billing-service:\r\n');
  // Every line break is CRLF: no LF-only line anywhere.
  expect(after.replace(/\r\n/g, '')).not.toContain('\n');
  // The lines that were there are there, byte for byte.
  const lines = new Set(after.slice(1).split('\r\n'));
  const kept = lf.split('\n').filter((l) => !lines.has(l));
  expect(kept.length).toBeLessThan(5);
}, 120_000);
