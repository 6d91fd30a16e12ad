// The demo monorepo's scan, finding by finding: rule, file and line of every
// finding must equal fixtures/expected/demo-findings.json exactly. The file is
// regenerated (npm run regen:demo) and reviewed whenever a transform changes
// what the demo reports; a diff here is a finding that appeared, moved or vanished.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';
import { parseReport, run } from './report-support.js';

const EXPECTED = path.join(REPO, 'fixtures', 'expected', 'demo-findings.json');
const REGENERATE = 'regenerate with: npm run regen:demo (then review the diff before committing)';

describe('demo monorepo findings', () => {
  it('equal fixtures/expected/demo-findings.json exactly (rule, file, line)', async () => {
    const r = await run(['scan', 'fixtures/monorepo', '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = parseReport(r.stdout);
    const actual = report.findings.map(({ rule, file, line }) => ({ rule, file, line }));
    expect(fs.existsSync(EXPECTED), `fixtures/expected/demo-findings.json is missing; ${REGENERATE}`).toBe(true);
    const expected = JSON.parse(fs.readFileSync(EXPECTED, 'utf8')) as typeof actual;
    expect(actual, `the demo scan differs from fixtures/expected/demo-findings.json; ${REGENERATE}`).toEqual(expected);
  });
});
