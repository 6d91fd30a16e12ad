// The service graph's rules on mini-repos: fixtures/graph/<rule>/<case>/ is
// a workspace (package.json, services, compose, nginx) and its expected.json
// lists every graph finding (rule, file, line) the scan must report, no more.
// A case named near-miss-* expects none: it holds the shapes the rule must
// leave alone. Every graph rule has at least one case of each.
//
// The scan runs with no transform, so only the inventory's fact needles decide
// which code files are parsed: a needle that misses a fixture's send,
// subscribe or URL read drops its finding, and the case fails.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScan } from '../src/engine/pipeline.js';
import { GRAPH_RULES, GRAPH_RULE_IDS } from '../src/graph/rules.js';
import { REPO } from './helpers/fixtures.js';

const ROOT = path.join(REPO, 'fixtures', 'graph');

interface Expected {
  rule: string;
  file: string;
  line: number;
}

const cases = fs
  .readdirSync(ROOT)
  .sort()
  .flatMap((rule) =>
    fs
      .readdirSync(path.join(ROOT, rule))
      .sort()
      .map((name) => ({ rule, name, dir: path.join(ROOT, rule, name) })),
  );

async function graphFindings(dir: string): Promise<Expected[]> {
  const result = await runScan(dir, [], { jobs: 1 });
  return result.findings.filter((f) => GRAPH_RULE_IDS.has(f.rule) || f.rule === 'parse-error').map(({ rule, file, line }) => ({ rule, file, line }));
}

describe('graph rule fixtures', () => {
  it('every graph rule has a triggering case and a near miss', () => {
    for (const r of GRAPH_RULES) {
      const mine = cases.filter((c) => c.rule === r.id);
      expect(mine.filter((c) => c.name.startsWith('near-miss-')).length, `${r.id}: no near-miss-* case`).toBeGreaterThan(0);
      expect(mine.filter((c) => !c.name.startsWith('near-miss-')).length, `${r.id}: no triggering case`).toBeGreaterThan(0);
    }
  });

  it.each(cases.map((c) => [`${c.rule}/${c.name}`, c] as const))('%s', async (_, c) => {
    const expected = JSON.parse(fs.readFileSync(path.join(c.dir, 'expected.json'), 'utf8')) as Expected[];
    if (c.name.startsWith('near-miss-')) expect(expected, 'a near miss expects no finding').toEqual([]);
    else expect(expected.map((e) => e.rule), `a triggering case must expect ${c.rule}`).toContain(c.rule);
    expect(await graphFindings(c.dir)).toEqual(expected);
  });
});
