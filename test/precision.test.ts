// Precision: fixtures/precision is a monorepo of correct services written in
// the styles real teams use (Fastify, Koa, NestJS, terminus, envalid/zod/convict
// config modules, a one-off migration job, a kafkajs worker), each one an
// auditor would sign off. A blocking or risky finding there is a false
// positive: fix the transform that reports it, never the fixture.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReport, run, type FindingShape, type ReportShape } from './report-support.js';

/** Every service of the fixture, so the test cannot pass by discovering nothing. */
const EXPECTED_TYPES: Record<string, string> = {
  'billing-api': 'api',
  'catalog-api': 'api',
  'ledger-worker': 'worker',
  'orders-api': 'api',
  'profile-api': 'api',
  'search-api': 'api',
};

const describeFinding = (f: FindingShape) => `${f.rule} ${f.file}:${f.line} (${f.severity}) ${f.message}`;

describe('precision: correct services in other styles', () => {
  let report: ReportShape;
  let stderr: string;

  beforeAll(async () => {
    const r = await run(['scan', 'fixtures/precision', '--format', 'json']);
    stderr = r.stderr;
    report = parseReport(r.stdout);
    // The scan exit code follows the report: 1 exactly when something is blocking.
    expect(r.code).toBe(report.summary.blocking > 0 ? 1 : 0);
  });

  it('scans without errors', () => {
    expect(stderr).toBe('');
  });

  it('discovers and classifies every service', () => {
    const types = Object.fromEntries(report.services.map((s) => [s.name, s.type]));
    expect(types).toEqual(EXPECTED_TYPES);
  });

  it('reports nothing blocking or risky', () => {
    const offending = report.findings.filter((f) => f.severity === 'blocking' || f.severity === 'risky');
    expect(offending.map(describeFinding), `false positives on correct services:\n${offending.map(describeFinding).join('\n')}`).toEqual([]);
  });
});
