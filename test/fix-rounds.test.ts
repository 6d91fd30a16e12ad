// Rounds of a code file's fixers: a fixer can get work from a change made
// after it ran, in the same `fix`. Three renaming transforms, in order A, B, C,
// hand work to each other so that a second round must run B again, and C again
// after B; a third round must find nothing. One run equals fixing to a fixed point.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runFix } from '../src/engine/pipeline.js';
import type { AnyTransform, Transform } from '../src/engine/types.js';
import { tmpWorkspace } from './helpers/tmp.js';

/** Renames the identifier `from` to `to`; reports it where it stands. */
function renamer(id: string, renames: Record<string, string>): Transform<'code'> {
  const rule = `${id}-rule`;
  const found = (ctx: Parameters<NonNullable<Transform<'code'>['fix']>>[0]) => ctx.root.find(ctx.j.Identifier).filter((p) => p.node.name in renames);
  return {
    id,
    kind: 'code',
    description: 'test transform',
    rules: { [rule]: { id: rule, severity: 'info', description: 'x', fixedBy: id } },
    needles: Object.keys(renames),
    detect: (ctx) => found(ctx).paths().map((p) => ({ rule, line: p.node.loc?.start.line ?? 1, message: p.node.name })),
    fix: (ctx) => {
      const paths = found(ctx);
      paths.forEach((p) => {
        p.node.name = renames[p.node.name]!;
      });
      return paths.size() > 0;
    },
  };
}

const a = renamer('test-a', { aOnly: 'aDone' });
const b = renamer('test-b', { fromC: 'toC' });
const c = renamer('test-c', { start: 'fromC', toC: 'finished' });
const ordered = [a, b, c] as AnyTransform[];

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

async function fixed(src: string, fixers = ordered) {
  const root = tmpWorkspace({ 'package.json': JSON.stringify({ name: 'root', workspaces: ['services/*'] }), 'services/s/package.json': '{"name":"s"}', 'services/s/index.js': src });
  roots.push(root);
  const [change] = (await runFix(root, ordered, fixers)).changes;
  return change;
}

describe('fix rounds', () => {
  it('runs an earlier fixer on a later one\'s change, and every later fixer again after it', async () => {
    // Round 1: C renames start -> fromC. Round 2 starts with A and B: B renames
    // fromC -> toC, then C runs again on B's change: toC -> finished.
    const change = await fixed('start;\n');
    expect(change!.after).toBe('finished;\n');
    expect(change!.applied).toEqual(['test-b', 'test-c']);
  });

  it('is a fixed point: a second fix of the result changes nothing', async () => {
    const first = await fixed('start;\naOnly;\n');
    expect(first!.after).toBe('finished;\naDone;\n');
    expect(await fixed(first!.after)).toBeUndefined();
  });

  it('leaves a fixer ordered after the last change alone in the next round: it already saw every change', async () => {
    // Only A changes the file; B and C (after it) saw A's change in round 1 and found nothing.
    const change = await fixed('aOnly;\nkeep;\n');
    expect(change!.after).toBe('aDone;\nkeep;\n');
    expect(change!.applied).toEqual(['test-a']);
  });
});
