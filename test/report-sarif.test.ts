// SARIF 2.1.0 output: valid against the official schema (vendored, see
// test/schemas/README.md), one driver rule per catalog rule with help text,
// root-relative URIs under a uriBaseId, levels from severities, baseline states.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTransforms } from '../transforms/registry.js';
import { scanToString } from '../src/commands/scan.js';
import { catalog, type CatalogEntry } from '../src/engine/catalog.js';
import type { Report } from '../src/report/baseline.js';
import { relativeUri, toSarif, URI_BASE_ID } from '../src/report/sarif.js';
import { DEMO, parseSarif, run, validateSarif, type SarifShape } from './report-support.js';

const LEVEL: Record<string, string> = { blocking: 'error', risky: 'warning', info: 'note' };

const sample = (): Report => ({
  version: 1,
  root: '.',
  services: [],
  findings: [
    { rule: 'runs-as-root', severity: 'blocking', service: 'api', file: 'services/my api/Dockerfile', line: 3, message: 'no USER', fix: 'dockerfile-non-root', baseline: 'new' },
    { rule: 'cmd-path-mismatch', severity: 'blocking', service: 'api', file: 'services/my api/Dockerfile', line: 9, message: 'manual: CMD runs a file the build never makes', fix: null, baseline: 'still present' },
  ],
  regressions: [{ rule: 'runs-as-root', severity: 'blocking', service: 'api', file: 'services/my api/Dockerfile', line: 3, message: 'no USER', fix: 'dockerfile-non-root', baseline: 'new' }],
  fixed: [{ rule: 'base-image-eol', severity: 'risky', service: 'api', file: 'services/my api/Dockerfile', line: 1, message: 'node 18', fix: null, baseline: 'fixed' }],
  summary: { services: 0, blocking: 2, risky: 0, info: 0, fixable: 1, suppressed: 2, baseline: { new: 1, stillPresent: 1, fixed: 1, regressions: 1 } },
});

const entries: CatalogEntry[] = [
  { id: 'runs-as-root', severity: 'blocking', description: 'final stage runs as root', rationale: 'A root process owns the host if it escapes.', kinds: ['dockerfile'], fixers: ['dockerfile-non-root'] },
  { id: 'cmd-path-mismatch', severity: 'blocking', description: 'CMD target is not built', kinds: ['dockerfile'], fixers: [] },
];

describe('scan --format sarif', () => {
  it('the demo monorepo log validates against the SARIF 2.1.0 schema and carries every finding and rule', async () => {
    const transforms = await loadTransforms();
    const rules = catalog(transforms);
    const [sarifOut, jsonOut] = await Promise.all([scanToString(DEMO, { format: 'sarif' }, { transforms }), scanToString(DEMO, { format: 'json' }, { transforms })]);
    const log = parseSarif(sarifOut.text);
    const report = jsonOut.report;
    const run0 = log.runs[0]!;
    expect(log.version).toBe('2.1.0');
    expect(run0.tool.driver.name).toBe('shipshape');
    expect(run0.tool.driver.rules.map((r) => r.id)).toEqual(rules.map((r) => r.id).sort());
    for (const r of run0.tool.driver.rules) {
      expect(r.shortDescription.text.length, r.id).toBeGreaterThan(0);
      expect(r.help.text, r.id).toContain(`docs/rules/${r.id}.md`);
      expect(r.defaultConfiguration.level).toBe(LEVEL[rules.find((e) => e.id === r.id)!.severity]);
    }
    expect(run0.results).toHaveLength(report.findings.length);
    run0.results.forEach((res, i) => {
      const f = report.findings[i]!;
      expect(res.ruleId).toBe(f.rule);
      expect(run0.tool.driver.rules[res.ruleIndex!]!.id).toBe(f.rule);
      expect(res.level).toBe(LEVEL[f.severity]);
      const loc = res.locations[0]!.physicalLocation;
      expect(loc.artifactLocation).toEqual({ uri: relativeUri(f.file), uriBaseId: URI_BASE_ID });
      expect(loc.artifactLocation.uri).not.toMatch(/^(\/|file:)/);
      expect(loc.region.startLine).toBe(f.line);
      expect(res.message.text).toContain(f.message);
    });
    const base = run0.originalUriBaseIds![URI_BASE_ID]!.uri;
    expect(base).toMatch(/^file:\/\/.*\/$/);
    expect(decodeURIComponent(new URL(base).pathname)).toBe(`${path.resolve(DEMO)}/`);
    expect(run0.properties.summary).toEqual(report.summary);
    expect(sarifOut.exitCode).toBe(jsonOut.exitCode);
  });

  it('includes the rule page as help markdown when the rule has one', () => {
    const log = toSarif(sample(), entries, { version: '1.2.3', docs: (id) => (id === 'runs-as-root' ? '# runs-as-root\n\npage' : null) }) as unknown as SarifShape;
    expect(validateSarif(log)).toEqual([]);
    const [cmd, root] = log.runs[0]!.tool.driver.rules;
    expect(root!.help.markdown).toBe('# runs-as-root\n\npage');
    expect(root!.help.text).toBe('final stage runs as root. A root process owns the host if it escapes. Fixed by `shipshape fix --only dockerfile-non-root`. Docs: docs/rules/runs-as-root.md');
    expect(cmd!.help.markdown).toMatch(/Report only/);
  });

  it('maps baseline states, marks regressions and percent-encodes URIs', () => {
    const log = toSarif(sample(), entries, { version: '1.2.3' }) as unknown as SarifShape;
    expect(validateSarif(log)).toEqual([]);
    const [a, b] = log.runs[0]!.results;
    expect(a!.baselineState).toBe('new');
    expect(a!.properties.regression).toBe(true);
    expect(b!.baselineState).toBe('unchanged');
    expect(b!.properties).toMatchObject({ manual: true, fix: null });
    expect(a!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('services/my%20api/Dockerfile');
    expect(a!.message.text).toBe('no USER Fixable: `shipshape fix --only dockerfile-non-root`.');
    expect(log.runs[0]!.originalUriBaseIds).toBeUndefined();
    expect((log.runs[0]!.properties as unknown as { fixed: unknown[] }).fixed).toHaveLength(1);
  });

  it('the schema check can fail: a broken log is rejected', () => {
    const log = toSarif(sample(), entries, { version: '1.2.3' }) as unknown as SarifShape;
    const bad = JSON.parse(JSON.stringify(log)) as SarifShape;
    bad.runs[0]!.results[0]!.level = 'fatal';
    expect(validateSarif(bad)).not.toEqual([]);
    const noVersion = JSON.parse(JSON.stringify(log)) as Record<string, unknown>;
    delete noVersion.version;
    expect(validateSarif(noVersion)).not.toEqual([]);
  });

  it('the CLI writes the same log (exit code by blocking findings)', async () => {
    const r = await run(['scan', DEMO, '--format', 'sarif']);
    expect(r.stderr).toBe('');
    const log = parseSarif(r.stdout);
    const blocking = log.runs[0]!.results.some((x) => x.level === 'error');
    expect(r.code).toBe(blocking ? 1 : 0);
  });
});
