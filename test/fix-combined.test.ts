// Every code fixture input through *all* fixers at once, as `fix` runs them
// on a real service: one fixer's change can give a later one work (a listen
// moved out of a callback becomes a server shutdown can close), and the
// result must be a fixed point. The per-transform harness cannot see this.
import { describe, expect, it } from 'vitest';
import { loadTransforms } from '../transforms/registry.js';
import { caseKind, listFixtureTransformIds, loadCases, runCaseWith } from './helpers/fixtures.js';

const transforms = await loadTransforms();
const fixers = transforms.filter((t) => t.fix);
const byId = new Map(transforms.map((t) => [t.id, t]));
const cases = listFixtureTransformIds()
  .flatMap((id) => loadCases(id).map((c) => ({ c, t: byId.get(id)! })))
  .filter(({ c, t }) => t && caseKind(c, t) === 'code');

describe('all code fixers together', () => {
  it.each(cases.map(({ c, t }) => [`${t.id}/${c.name}`, c, t] as const))('%s: a second fix changes nothing', (_, c, t) => {
    const first = runCaseWith(c, t, c.input, transforms, fixers);
    if (first.output === undefined) return;
    const second = runCaseWith(c, t, first.output, transforms, fixers);
    expect(second.output, `second pass changed:\n${second.output}`).toBeUndefined();
  });
});
