// A reader that stops early (`shipshape fix --dry-run | head`) ends the run
// quietly, as cat and grep do: no unhandled EPIPE stack on stderr.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');

it('fix --dry-run piped into a reader that closes after the first chunk exits without an error trace', async () => {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/shipshape.js'), 'fix', path.join(REPO, 'fixtures/monorepo'), '--dry-run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let first = '';
  child.stdout.once('data', (d: Buffer) => {
    first = d.toString();
    // What `head -1` does once it has its line.
    child.stdout.destroy();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(first).toMatch(/^diff --git /);
  expect(stderr).toBe('');
  expect(code).not.toBeNull();
}, 60_000);
