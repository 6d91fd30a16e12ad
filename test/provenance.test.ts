// Line provenance: every changed line of a fix is owned by the transforms
// that wrote it, through several fixers, a rewrite of a line another wrote,
// and formatting that reshapes lines without authoring them.
import { describe, expect, it } from 'vitest';
import { provenanceOf } from '../src/engine/provenance.js';

describe('provenanceOf', () => {
  it('gives each added line its fixer and each removed original line its remover', () => {
    const p = provenanceOf('a\nb\nc\n', [
      { text: 'a\nB\nc\n', by: 'one' },
      { text: 'a\nB\nc\nd\n', by: 'two' },
    ]);
    expect(p.added).toEqual([[], ['one'], [], ['two'], []]);
    expect(p.removed).toEqual([[], ['one'], [], []]);
  });

  it('a line one fixer wrote and another rewrote belongs to both', () => {
    const p = provenanceOf('x\n', [
      { text: 'x\ny = 1\n', by: 'one' },
      { text: 'x\ny = 2\n', by: 'two' },
    ]);
    expect(p.added[1]).toEqual(['one', 'two']);
  });

  it('formatting keeps the authors of what it reshapes and adds none', () => {
    const p = provenanceOf('keep\n', [
      { text: 'keep\nf(a,b)\n', by: 'one' },
      { text: 'keep\nf(\n  a,\n  b,\n)\n', by: null },
    ]);
    expect(p.added).toEqual([[], ['one'], ['one'], ['one'], ['one'], []]);
  });

  it('a step that changes nothing leaves no trace', () => {
    const p = provenanceOf('a\n', [{ text: 'a\n', by: 'one' }]);
    expect(p.added).toEqual([[], []]);
    expect(p.removed).toEqual([[], []]);
  });
});

describe('hunk attribution on the demo monorepo', async () => {
  const { loadTransforms } = await import('../transforms/registry.js');
  const { runFix } = await import('../src/engine/pipeline.js');
  const { selectFixers } = await import('../src/commands/fix.js');
  const { changeHunks } = await import('../src/engine/patch.js');

  it('names, for each hunk, only transforms of its change, and every transform of a change owns a hunk', async () => {
    const transforms = await loadTransforms();
    const result = await runFix('fixtures/monorepo', transforms, selectFixers(transforms));
    let narrowed = 0;
    for (const change of result.changes) {
      const hunks = changeHunks(change);
      const owners = new Set(hunks.flatMap((h) => h.transforms));
      for (const h of hunks) expect(change.applied, `${change.path} ${h.header}`).toEqual(expect.arrayContaining(h.transforms));
      expect([...owners].sort(), change.path).toEqual([...change.applied].sort());
      narrowed += hunks.filter((h) => h.transforms.length < change.applied.length).length;
    }
    // Files changed by several fixers have hunks of one fixer each (booking-service's index.js: three).
    expect(narrowed).toBeGreaterThan(10);
  }, 120_000);
});
