// `scan --baseline OLD.json`: identity across runs (rule + file; line- and
// message-tolerant pairing), new / still present / fixed, the fixed history
// carried through a chain of runs, and regressions that exit 1.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanToString } from '../src/commands/scan.js';
import type { Finding } from '../src/engine/types.js';
import { applyBaseline, pairFindings, parseBaseline, type Report } from '../src/report/baseline.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { tmpWorkspace, writeFiles } from './helpers/tmp.js';
import { parseReport, run, validateReport } from './report-support.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

const f = (rule: string, file: string, line: number, message = `${rule} here`, severity: Finding['severity'] = 'risky'): Finding => ({ rule, severity, service: 'api', file, line, message, fix: null });

const report = (findings: Finding[]): Report => ({
  version: 1,
  root: '.',
  services: [],
  findings,
  summary: { services: 0, blocking: findings.filter((x) => x.severity === 'blocking').length, risky: findings.filter((x) => x.severity === 'risky').length, info: findings.filter((x) => x.severity === 'info').length, fixable: 0, suppressed: 0 },
});

describe('pairing findings across runs', () => {
  it('pairs the same rule in the same file however far the line moved, nearest first', () => {
    const olds = [f('a', 'x.ts', 10), f('a', 'x.ts', 50)];
    const news = [f('a', 'x.ts', 58), f('a', 'x.ts', 19)];
    const { pairs, oldOnly, newOnly } = pairFindings(olds, news);
    expect(pairs.map(([o, n]) => [o.line, n.line])).toEqual([
      [50, 58],
      [10, 19],
    ]);
    expect(oldOnly).toEqual([]);
    expect(newOnly).toEqual([]);
  });

  it('prefers the finding with the same message over a nearer one, and ignores reworded messages otherwise', () => {
    const olds = [f('a', 'x.ts', 10, 'service "web"'), f('a', 'x.ts', 20, 'service "api"')];
    const news = [f('a', 'x.ts', 11, 'service "api"')];
    const { pairs, oldOnly } = pairFindings(olds, news);
    expect(pairs.map(([o]) => o.line)).toEqual([20]);
    expect(oldOnly.map((o) => o.line)).toEqual([10]);
    expect(pairFindings([f('a', 'x.ts', 10, 'old wording')], [f('a', 'x.ts', 14, 'new wording')]).pairs).toHaveLength(1);
  });

  it('never pairs across rules or files; counts matter', () => {
    const { pairs, oldOnly, newOnly } = pairFindings([f('a', 'x.ts', 1), f('a', 'x.ts', 2), f('b', 'x.ts', 1)], [f('a', 'x.ts', 1), f('a', 'y.ts', 2)]);
    expect(pairs).toHaveLength(1);
    expect(oldOnly.map((o) => `${o.rule}:${o.line}`)).toEqual(['a:2', 'b:1']);
    expect(newOnly.map((n) => n.file)).toEqual(['y.ts']);
  });
});

describe('applyBaseline', () => {
  it('marks new and still present, lists what is gone as fixed, validates against the schema', () => {
    const old = report([f('a', 'x.ts', 1), f('gone', 'x.ts', 5, 'was here', 'blocking')]);
    const out = applyBaseline(report([f('a', 'x.ts', 3), f('b', 'y.ts', 1)]), parseBaseline(JSON.stringify(old), 'old.json'));
    expect(validateReport(out)).toEqual([]);
    expect(out.findings.map((x) => [x.rule, x.baseline])).toEqual([
      ['a', 'still present'],
      ['b', 'new'],
    ]);
    expect(out.fixed).toEqual([expect.objectContaining({ rule: 'gone', line: 5, baseline: 'fixed', severity: 'blocking' })]);
    // SPEC: a finding the old report did not have is a regression.
    expect(out.regressions!.map((x) => [x.rule, x.file])).toEqual([['b', 'y.ts']]);
    expect(out.summary.baseline).toEqual({ new: 1, stillPresent: 1, fixed: 1, regressions: 1 });
  });

  it('carries the fixed history forward and calls a fixed finding that comes back a regression', () => {
    const run1 = report([f('a', 'x.ts', 1), f('b', 'x.ts', 9)]);
    const run2 = applyBaseline(report([f('a', 'x.ts', 1)]), parseBaseline(JSON.stringify(run1), 'r1.json'));
    expect(run2.fixed!.map((x) => [x.rule, x.baseline])).toEqual([['b', 'fixed']]);
    const run3 = applyBaseline(report([f('a', 'x.ts', 2)]), parseBaseline(JSON.stringify(run2), 'r2.json'));
    expect(run3.fixed!.map((x) => [x.rule, x.baseline])).toEqual([['b', 'still fixed']]);
    expect(run3.summary.baseline!.fixed).toBe(0);
    const run4 = applyBaseline(report([f('a', 'x.ts', 2), f('b', 'x.ts', 12, 'reworded')]), parseBaseline(JSON.stringify(run3), 'r3.json'));
    expect(run4.regressions!.map((x) => [x.rule, x.line])).toEqual([['b', 12]]);
    expect(run4.findings.find((x) => x.rule === 'b')!.baseline).toBe('new');
    expect(run4.fixed).toEqual([]);
    for (const r of [run2, run3, run4]) expect(validateReport(r)).toEqual([]);
    const md = renderMarkdown(run4, [], { title: 't', coverage: null });
    expect(md).toMatch(/### Regressions/);
    expect(md).toMatch(/\*\*regression\*\*/);
    expect(md).toMatch(/1 regression since the baseline/);
  });

  it('with --service, old findings of other services are neither fixed nor lost', () => {
    const old = report([f('a', 'x.ts', 1), { ...f('a', 'other/x.ts', 1), service: 'other' }]);
    (old as Report).fixed = [{ ...f('z', 'other/y.ts', 4), service: 'other', baseline: 'fixed' }];
    const out = applyBaseline(report([f('a', 'x.ts', 1)]), parseBaseline(JSON.stringify(old), 'old.json'), { services: ['api'] });
    expect(out.summary.baseline).toEqual({ new: 0, stillPresent: 1, fixed: 0, regressions: 0 });
    expect(out.fixed!.map((x) => [x.rule, x.baseline])).toEqual([['z', 'still fixed']]);
  });

  it('with --service, a repo-level finding that names the service is history, not fixed', () => {
    const old = report([f('a', 'services/api/x.ts', 1), { ...f('compose-missing-healthcheck', 'docker-compose.yml', 40), service: 'api' }]);
    const out = applyBaseline(report([f('a', 'services/api/x.ts', 1)]), parseBaseline(JSON.stringify(old), 'old.json'), { services: ['api'], dirs: ['services/api'] });
    expect(out.summary.baseline).toEqual({ new: 0, stillPresent: 1, fixed: 0, regressions: 0 });
  });

  it('rejects a baseline that is not a v1 report with the reason and the entry', () => {
    expect(() => parseBaseline('nope', 'old.json')).toThrow(/--baseline old.json: not JSON/);
    expect(() => parseBaseline('{"version":2,"findings":[]}', 'old.json')).toThrow(/"version" is 2/);
    expect(() => parseBaseline('{"version":1}', 'old.json')).toThrow(/"findings" must be an array/);
    expect(() => parseBaseline('{"version":1,"findings":[{"rule":"a","file":"x","line":0}]}', 'old.json')).toThrow(/findings\[0\]: "line"/);
  });
});

describe('scan --baseline through the CLI', () => {
  /** A workspace whose only findings are info: two stale suppressions. */
  const files = (withSecond: boolean) => ({
    'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['packages/*'] }),
    'packages/util/package.json': JSON.stringify({ name: 'util' }),
    'packages/util/index.js': `// shipshape-ignore runs-as-root\nconst a = 1;\n${withSecond ? '// shipshape-ignore port-not-from-env\n' : ''}const b = 2;\nmodule.exports = { a, b };\n`,
  });

  it('a chain of runs: fixed, still fixed, then a regression exits 1 with no blocking finding', async () => {
    const dir = tmpWorkspace(files(true));
    const out = fs.mkdtempSync(path.join(path.dirname(dir), 'shipshape-reports-'));
    temps.push(dir, out);
    const scan = async (baseline?: string) => {
      const r = await scanToString(dir, { format: 'json', ...(baseline ? { baseline } : {}) });
      parseReport(r.text);
      return r;
    };
    const r1 = await scan();
    expect(r1.report.findings.map((x) => x.rule)).toEqual(['unused-suppression', 'unused-suppression']);
    expect(r1.exitCode).toBe(0);
    fs.writeFileSync(path.join(out, 'r1.json'), r1.text);

    writeFiles(dir, files(false));
    const r2 = await scan(path.join(out, 'r1.json'));
    expect(r2.report.summary.baseline).toEqual({ new: 0, stillPresent: 1, fixed: 1, regressions: 0 });
    fs.writeFileSync(path.join(out, 'r2.json'), r2.text);

    const r3 = await scan(path.join(out, 'r2.json'));
    expect(r3.report.fixed!.map((x) => x.baseline)).toEqual(['still fixed']);
    fs.writeFileSync(path.join(out, 'r3.json'), r3.text);

    writeFiles(dir, files(true));
    const cli = await run(['scan', dir, '--format', 'json', '--baseline', path.join(out, 'r3.json')]);
    expect(cli.stderr).toBe('');
    const r4 = parseReport(cli.stdout);
    expect(r4.summary.blocking).toBe(0);
    expect(r4.regressions).toEqual([expect.objectContaining({ rule: 'unused-suppression', file: 'packages/util/index.js', line: 3 })]);
    expect(cli.code).toBe(1);

    const text = await run(['scan', dir, '--baseline', path.join(out, 'r3.json')]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/Baseline: 1 new, 1 still present, 0 fixed, 1 regression\n/);
    expect(text.stdout).toMatch(/REGRESSION {2}packages\/util\/index\.js:3/);
  });

  it('exits 2 on an unreadable or malformed baseline and on --baseline with --shard', async () => {
    const dir = tmpWorkspace(files(true));
    temps.push(dir);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"version": 1, "findings": {}}');
    const cases = [
      ['scan', dir, '--baseline', path.join(dir, 'missing.json')],
      ['scan', dir, '--baseline', path.join(dir, 'bad.json')],
      ['scan', dir, '--baseline', path.join(dir, 'bad.json'), '--shard', '1/2'],
    ];
    const results = await Promise.all(cases.map((c) => run(c)));
    expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(results[0]!.stderr).toMatch(/--baseline .*missing\.json: cannot read \(ENOENT\)/);
    expect(results[1]!.stderr).toMatch(/"findings" must be an array/);
    expect(results[2]!.stderr).toMatch(/--shard/);
  });
});
