// The JSON report v1 through the CLI: every output validates against
// src/report/schema/report.schema.json, suppressions are counted, files that
// do not parse become `parse-error` findings, and the exit codes follow SPEC.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpWorkspace } from './helpers/tmp.js';
import { DEMO, parseReport, run, validateReport, type ReportShape } from './report-support.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
const workspace = (files: Record<string, string | Buffer>) => {
  const dir = tmpWorkspace(files);
  temps.push(dir);
  return dir;
};

/** A one-service workspace: an express API listening on a literal port (blocking: port-not-from-env). */
const API = {
  'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['services/*'] }),
  'services/api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '^5.0.0' } }),
  'services/api/src/index.js': "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(3000);\n",
};

describe('scan --format json', () => {
  it('the demo monorepo report validates against the v1 schema, and the exit code follows the blocking count', async () => {
    const r = await run(['scan', DEMO, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = parseReport(r.stdout);
    expect(r.code).toBe(report.summary.blocking > 0 ? 1 : 0);
    expect(report.version).toBe(1);
    expect(report.summary.services).toBe(report.services.length);
    expect(report.summary.blocking + report.summary.risky + report.summary.info).toBe(report.findings.length);
    expect(report.summary.fixable).toBe(report.findings.filter((f) => f.fix !== null).length);
    for (const f of report.findings) {
      expect(f.line, `${f.rule} ${f.file}`).toBeGreaterThanOrEqual(1);
      // A finding without a fixer of a rule that has one must say why: manual.
      if (f.fix === null && f.message.startsWith('manual')) expect(f.message).toMatch(/^manual: /);
    }
  });

  it('counts suppressed findings in summary.suppressed and reports a suppression that silences nothing', async () => {
    const dir = workspace({
      ...API,
      'services/api/src/index.js':
        "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\n// shipshape-ignore port-not-from-env\napp.listen(3000, '0.0.0.0');\n// shipshape-ignore runs-as-root\nconst unused = 1;\n",
    });
    const plain = parseReport((await run(['scan', workspace(API), '--format', 'json'])).stdout);
    expect(plain.findings.map((f) => f.rule)).toContain('port-not-from-env');
    const r = await run(['scan', dir, '--format', 'json']);
    const report = parseReport(r.stdout);
    expect(report.findings.map((f) => f.rule)).not.toContain('port-not-from-env');
    expect(report.summary.suppressed).toBeGreaterThanOrEqual(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'unused-suppression', file: 'services/api/src/index.js', line: 6, severity: 'info', fix: null }));
    // Every format shows the count.
    const [text, markdown, sarifOut] = await Promise.all(['text', 'markdown', 'sarif'].map((format) => run(['scan', dir, '--format', format])));
    expect(text!.stdout).toMatch(new RegExp(`${report.summary.suppressed} suppressed`));
    expect(markdown!.stdout).toMatch(new RegExp(`\\*\\*Suppressed:\\*\\* ${report.summary.suppressed}`));
    const sarif = JSON.parse(sarifOut!.stdout) as { runs: { properties: { summary: { suppressed: number } } }[] };
    expect(sarif.runs[0]!.properties.summary.suppressed).toBe(report.summary.suppressed);
  });

  it('a file that does not parse is a parse-error finding with file and line in every format; the scan goes on', async () => {
    const dir = workspace({
      ...API,
      'services/api/src/broken.ts': 'export const limits = {\n  maxItems: 10;\n};\n',
      'services/api/Dockerfile': 'FROM node:22-alpine\nUSER 1001:1001\nCMD ["node", "src/index.js"]\n',
      'docker-compose.yml': 'services:\n  api:\n    build: [oops\n',
    });
    const r = await run(['scan', dir, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // port-not-from-env in index.js is still found: blocking
    const report = parseReport(r.stdout);
    const parseErrors = report.findings.filter((f) => f.rule === 'parse-error');
    expect(parseErrors).toContainEqual(expect.objectContaining({ file: 'services/api/src/broken.ts', line: 2, severity: 'risky', fix: null }));
    expect(parseErrors.map((f) => f.file)).toContain('docker-compose.yml');
    expect(report.findings.map((f) => f.rule)).toContain('port-not-from-env');
    const formats = ['text', 'markdown', 'sarif'];
    const outs = await Promise.all(formats.map((format) => run(['scan', dir, '--format', format])));
    for (const [i, format] of formats.entries()) {
      const out = outs[i]!;
      expect(out.code, format).toBe(1);
      expect(out.stderr, format).toBe('');
      expect(out.stdout, format).toMatch(/services\/api\/src\/broken\.ts/);
    }
  });

  it('exits 0 on a workspace with no blocking finding and writes --output files', async () => {
    const dir = workspace({
      'package.json': JSON.stringify({ name: 'lib-only', private: true, workspaces: ['packages/*'] }),
      'packages/util/package.json': JSON.stringify({ name: 'util' }),
      'packages/util/index.js': 'module.exports = (a, b) => a + b;\n',
    });
    const out = `${dir}/report.json`;
    const r = await run(['scan', dir, '--format', 'json', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const report = parseReport(fs.readFileSync(out, 'utf8'));
    expect(report.summary.blocking).toBe(0);
  });

  it('exits 2 with a one-line error on an unwritable --output, an unknown --service and an unknown format', async () => {
    const dir = workspace(API);
    const cases = [
      ['scan', dir, '--output', `${dir}/no/such/dir/report.json`],
      ['scan', dir, '--service', 'no-such-service'],
      ['scan', dir, '--format', 'xml'],
    ];
    const results = await Promise.all(cases.map((args) => run(args)));
    for (const [i, args] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/\S/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });

  it('--service limits the report to that service', async () => {
    const r = await run(['scan', DEMO, '--format', 'json', '--service', 'course-service']);
    const report = parseReport(r.stdout);
    expect(report.services.map((s) => s.name)).toEqual(['course-service']);
    expect(new Set(report.findings.map((f) => f.service))).toEqual(new Set(report.findings.length ? ['course-service'] : []));
  });
});

describe('report.schema.json', () => {
  const valid = (): ReportShape => ({
    version: 1,
    services: [],
    findings: [{ rule: 'runs-as-root', severity: 'blocking', service: 'api', file: 'services/api/Dockerfile', line: 3, message: 'no USER', fix: 'dockerfile-non-root' }],
    summary: { services: 0, blocking: 1, risky: 0, info: 0, fixable: 1, suppressed: 0 },
    ...{ root: '.' },
  });

  it('accepts a minimal report and rejects what breaks the contract', async () => {
    expect(validateReport(valid())).toEqual([]);
    const broken: [string, (r: Record<string, unknown> & ReportShape) => void][] = [
      ['version 2', (r) => ((r as { version: number }).version = 2)],
      ['line 0', (r) => (r.findings[0]!.line = 0)],
      ['unknown severity', (r) => (r.findings[0]!.severity = 'critical')],
      ['absolute file', (r) => (r.findings[0]!.file = '/etc/passwd')],
      ['parent file', (r) => (r.findings[0]!.file = '../x')],
      ['missing fix', (r) => delete (r.findings[0] as Partial<ReportShape['findings'][0]>).fix],
      ['unknown finding field', (r) => ((r.findings[0] as unknown as Record<string, unknown>).extra = 1)],
      ['bad baseline state', (r) => (r.findings[0]!.baseline = 'fixed')],
      ['no summary.suppressed', (r) => delete (r.summary as Partial<ReportShape['summary']>).suppressed],
      ['bad fixed entry', (r) => (r.fixed = [{ ...r.findings[0]!, baseline: 'new' }])],
    ];
    for (const [name, mutate] of broken) {
      const r = valid() as Record<string, unknown> & ReportShape;
      mutate(r);
      expect(validateReport(r), name).not.toEqual([]);
    }
  });
});
