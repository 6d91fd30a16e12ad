// The reviewer's outputs of `fix`: hunk -> rule attribution, `--format json`
// hunks, `--format markdown` (PR body) counts against the JSON's, the grouped
// dry-run text, and the HTML page's escaping of hostile file content. The
// page in a real browser is test/review-e2e.test.ts.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTransforms } from '../transforms/registry.js';
import { annotatedDiff, changeHunks, fileDiff } from '../src/engine/patch.js';
import { runFix, type FileChange, type FixResult } from '../src/engine/pipeline.js';
import type { AnyTransform, Finding } from '../src/engine/types.js';
import { renderFixMarkdown } from '../src/report/fix-markdown.js';
import { groups, renderGroupedDiff } from '../src/report/fix-text.js';
import { inlineScript, jsonIsland, renderReviewHtml } from '../src/report/review-html.js';
import { buildReviewModel, findingsOfChange, fixJson, hunkAttribution, ruleWhy, type ReviewModel } from '../src/report/review-model.js';
import { DEMO, run } from './report-support.js';

const finding = (over: Partial<Finding>): Finding => ({ rule: 'r', severity: 'risky', service: null, file: 'a.ts', line: 1, message: 'm', fix: null, ...over });

/** A transform as the model reads it: id and rule metadata. */
function fakeTransform(id: string, rules: string[], fixes = true): AnyTransform {
  const meta = Object.fromEntries(rules.map((r) => [r, { id: r, severity: 'risky' as const, description: `${r} description`, fixedBy: fixes ? id : null }]));
  return { id, kind: 'code', rules: meta, description: id, detect: () => [], ...(fixes ? { fix: () => false } : {}) } as AnyTransform;
}

describe('hunk -> rule attribution', () => {
  const findings = [
    finding({ rule: 'near-top', line: 2, fix: 'tA' }),
    finding({ rule: 'far-below', line: 40, fix: 'tA' }),
    finding({ rule: 'other', line: 3, fix: 'tB' }),
    finding({ rule: 'manual-one', line: 2, fix: null }),
  ];
  const change = { path: 'a.ts', before: 'x', applied: ['tA', 'tB', 'tC'] };
  const declared = new Map([
    ['tA', ['near-top', 'far-below']],
    ['tC', ['declared-c']],
  ]);

  it("places a finding on its transform's hunk that holds its line, else on all that transform's hunks", () => {
    const hunks = [
      { oldStart: 1, oldLines: 5, transforms: ['tA'] },
      { oldStart: 38, oldLines: 6, transforms: ['tA'] },
      { oldStart: 60, oldLines: 3, transforms: ['tA'] },
    ];
    const got = hunkAttribution(change, hunks, [0, 1, 2, 3], findings, declared);
    expect(got[0]).toEqual({ rules: ['near-top'], fixes: [0] });
    expect(got[1]).toEqual({ rules: ['far-below'], fixes: [1] });
    // No finding of tA is on lines 60-62: the hunk takes the rules of tA's findings in the file.
    expect(got[2]).toEqual({ rules: ['far-below', 'near-top'], fixes: [] });

    const elsewhere = hunkAttribution(change, [{ oldStart: 20, oldLines: 3, transforms: ['tB'] }], [0, 1, 2, 3], findings, declared);
    expect(elsewhere[0]).toEqual({ rules: ['other'], fixes: [2] });
  });

  it('falls back to the rules a transform declares it fixes when the file has no finding of it, and never uses manual findings', () => {
    const got = hunkAttribution(change, [{ oldStart: 1, oldLines: 3, transforms: ['tC'] }], [0, 1, 2, 3], findings, declared);
    expect(got[0]).toEqual({ rules: ['declared-c'], fixes: [] });
    const none = hunkAttribution(change, [{ oldStart: 1, oldLines: 3, transforms: ['tZ'] }], [3], findings, declared);
    expect(none[0]).toEqual({ rules: [], fixes: [] });
  });

  it("gives a created file its owner's findings: the sibling whose name prefixes it", () => {
    const fs = [
      finding({ rule: 'dockerignore-missing', file: 'svc/Dockerfile', line: 1, fix: 'dockerfile-dockerignore' }),
      finding({ rule: 'dockerignore-missing', file: 'svc/Dockerfile.prod', line: 1, fix: 'dockerfile-dockerignore' }),
      finding({ rule: 'runs-as-root', file: 'svc/Dockerfile.prod', line: 9, fix: 'dockerfile-non-root' }),
      finding({ rule: 'dockerignore-missing', file: 'other/Dockerfile', line: 1, fix: 'dockerfile-dockerignore' }),
    ];
    const byFile = new Map<string, number[]>();
    fs.forEach((f, i) => byFile.set(f.file, [...(byFile.get(f.file) ?? []), i]));
    const created = { path: 'svc/Dockerfile.prod.dockerignore', before: null, applied: ['dockerfile-dockerignore'] };
    expect(findingsOfChange(created, byFile, fs)).toEqual([1, 2]);
    expect(findingsOfChange({ ...created, path: 'svc/Dockerfile.dockerignore' }, byFile, fs)).toEqual([0]);
    // A created file line never matches its owner's lines: the finding goes by transform alone.
    const got = hunkAttribution(created, [{ oldStart: 0, oldLines: 0, transforms: ['dockerfile-dockerignore'] }], [1, 2], fs, new Map());
    expect(got[0]).toEqual({ rules: ['dockerignore-missing'], fixes: [1] });
  });

  it("reads the why from the rule page's 'Why it matters in a container' section", () => {
    expect(ruleWhy('runs-as-root')).toMatch(/^A root process in a container is one kernel or runtime bug away from root on the host/);
    expect(ruleWhy('runs-as-root')).not.toMatch(/\n|^#/);
    expect(ruleWhy('no-such-rule-id')).toBeNull();
  });
});

describe('on the demo monorepo', () => {
  let transforms: AnyTransform[];
  let result: FixResult;
  let model: ReviewModel;
  beforeAll(async () => {
    transforms = await loadTransforms();
    result = await runFix(DEMO, transforms, transforms.filter((t) => t.fix));
    model = buildReviewModel({
      mode: 'fix',
      dryRun: true,
      title: 'monorepo',
      version: '0.0.0-test',
      services: result.analysis.ws.services,
      packages: result.analysis.packages,
      findings: result.findings,
      changes: result.changes,
      failures: result.failures,
      unchanged: result.unchanged,
      transforms,
    });
  }, 180_000);

  it('splits every change into the hunks of its diff, each with its transforms and at least one rule', () => {
    expect(model.files.length).toBe(result.changes.length);
    const json = fixJson(model);
    for (const [i, c] of result.changes.entries()) {
      const out = json.changes[i]!;
      expect(out.path).toBe(c.path);
      expect(out.diff).toBe(fileDiff(c));
      expect(out.hunks.map((h) => h.header)).toEqual(changeHunks(c).map((h) => h.header));
      expect(out.hunks.map((h) => h.transforms)).toEqual(changeHunks(c).map((h) => h.transforms));
      for (const h of out.hunks) {
        expect(h.rules.length, `${c.path} ${h.header}`).toBeGreaterThan(0);
        expect(h.transforms.every((t) => c.applied.includes(t))).toBe(true);
        expect(h.diff.startsWith(`${h.header}\n`)).toBe(true);
      }
      expect(out.rules).toEqual([...new Set(out.hunks.flatMap((h) => h.rules))]);
    }
  });

  it("marks a fixable finding fixed when its fixer changed its file, and keeps report-only ones manual", () => {
    const byRule = (rule: string) => model.findings.filter((f) => f.rule === rule);
    expect(byRule('runs-as-root').every((f) => f.status === 'fixed')).toBe(true);
    expect(byRule('base-image-eol').length).toBeGreaterThan(0);
    expect(byRule('base-image-eol').every((f) => f.status === 'manual')).toBe(true);
    // The .dockerignore files are created next to their Dockerfile: that Dockerfile's finding is the rule.
    const created = model.files.filter((f) => f.created && f.path.endsWith('.dockerignore'));
    expect(created.length).toBeGreaterThan(0);
    for (const f of created) expect(f.rules).toEqual(['dockerignore-missing']);
    expect(byRule('dockerignore-missing').every((f) => f.status === 'fixed')).toBe(true);
  });

  it('--group-by service prints a package file once under its service, whole, with the annotated hunk headers', () => {
    const text = renderGroupedDiff(model, 'service');
    const gs = groups(model, 'service');
    for (const file of model.files.filter((f) => f.service !== null)) {
      const holders = gs.filter((g) => g.files.some((x) => x.file === file));
      expect(holders, file.path).toHaveLength(1);
      expect(holders[0]!.heading).toMatch(new RegExp(`^# service ${file.service} [(:]`));
      expect(holders[0]!.files.find((x) => x.file === file)!.hunks).toEqual(file.hunks);
      const change = result.changes.find((c) => c.path === file.path)!;
      expect(text).toContain(annotatedDiff(change));
    }
    // A repo-level file's hunk sits under the services of the findings it fixes (compose healthchecks).
    const compose = model.files.find((f) => f.path === 'docker-compose.yml')!;
    for (const h of compose.hunks) {
      const keys = h.services.length ? h.services.map((s) => `# service ${s} (`) : ['# repository'];
      for (const k of keys) expect(gs.find((g) => g.heading.startsWith(k))!.files.find((x) => x.file === compose)!.hunks).toContain(h);
    }
    expect(compose.hunks.some((h) => h.services.length > 0)).toBe(true);
  });

  it('--group-by rule prints each hunk once under each of its rules, in the per-rule counts', () => {
    const gs = groups(model, 'rule');
    const printed = gs.reduce((n, g) => n + g.files.reduce((m, f) => m + f.hunks.length, 0), 0);
    expect(printed).toBe(model.files.reduce((n, f) => n + f.hunks.reduce((m, h) => m + h.rules.length, 0), 0));
    for (const g of gs) {
      const rule = /^# rule (\S+) /.exec(g.heading)![1]!;
      const summary = model.rules.find((r) => r.id === rule)!;
      expect(g.files.length).toBe(summary.files);
      expect(g.files.reduce((n, f) => n + f.hunks.length, 0)).toBe(summary.hunks);
      for (const f of g.files) for (const h of f.hunks) expect(h.rules).toContain(rule);
    }
    expect(renderGroupedDiff(model, 'rule')).toMatch(/^# rule \S+ \[(blocking|risky|info)\]: \d+ files?, \d+ hunks?, \+\d+ -\d+$/m);
  });

  it('the markdown PR body stays short and caps long lists', () => {
    const md = renderFixMarkdown(model);
    expect(md.length).toBeLessThan(12_000);
    expect(md).toMatch(/^## shipshape fix: \d+ files changed/);
    expect(md).toMatch(/### Left for a human \(\d+ findings\)/);
    // base-image-eol has more findings than the "Where" column lists.
    expect(md).toMatch(/\| `base-image-eol` \| risky \| \d+ \| .*and \d+ more \|/);
  });
});

describe('CLI: fix --format json and --format markdown on the demo', () => {
  let json: ReturnType<typeof fixJson>;
  let md: string;
  beforeAll(async () => {
    const [j, m] = await Promise.all([run(['fix', DEMO, '--dry-run', '--format', 'json', '--quiet']), run(['fix', DEMO, '--dry-run', '--format', 'markdown', '--quiet'])]);
    expect(j.code, j.stderr).toBe(0);
    expect(m.code, m.stderr).toBe(0);
    json = JSON.parse(j.stdout) as typeof json;
    md = m.stdout;
  }, 240_000);

  it('keeps the original JSON fields and adds hunks with their rules', () => {
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['version', 'dryRun', 'changes', 'failures', 'summary', 'rules', 'manual']));
    expect(json.summary).toMatchObject({ changed: json.changes.length, failed: 0 });
    for (const c of json.changes) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['path', 'created', 'transforms', 'diff', 'rules', 'hunks']));
      for (const h of c.hunks) expect(Object.keys(h).sort()).toEqual(['diff', 'header', 'newLines', 'newStart', 'oldLines', 'oldStart', 'rules', 'transforms']);
      // The diff is its header lines plus its hunks, as before.
      expect(c.diff.endsWith(c.hunks.map((h) => h.diff).join(''))).toBe(true);
    }
  });

  it("the markdown's counts per rule, totals and manual count equal the JSON's", () => {
    const section = md.slice(md.indexOf('### What changed, per rule'), md.indexOf('### Services'));
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => {
        const cells = l.split(' | ');
        const lines = /^\+(\d+) -(\d+)$/.exec(cells[4]!)!;
        return { id: cells[0]!.replace(/^\| `|`$/g, ''), severity: cells[1], files: Number(cells[2]), hunks: Number(cells[3]), linesAdded: Number(lines[1]), linesRemoved: Number(lines[2]) };
      });
    expect(rows).toEqual(json.rules);
    expect(rows.length).toBeGreaterThan(10);
    const head = /^## shipshape fix: (\d+) files changed, \+(\d+) -(\d+) lines/.exec(md)!;
    expect(head.slice(1).map(Number)).toEqual([json.summary.changed, json.summary.linesAdded, json.summary.linesRemoved]);
    expect(Number(/in (\d+) hunks/.exec(md)![1])).toBe(json.summary.hunks);
    expect(Number(/(\d+) findings? still needs? a human/.exec(md)![1])).toBe(json.manual.length);
    expect(Number(/### Left for a human \((\d+) findings?\)/.exec(md)![1])).toBe(json.manual.length);
    const services = md.slice(md.indexOf('### Services'), md.indexOf('### Left for a human'));
    const leftManual = services
      .split('\n')
      .filter((l) => /^\| (`|repository)/.test(l))
      .reduce((n, l) => n + Number(l.split(' | ').at(-1)!.replace(/ \|$/, '')), 0);
    expect(leftManual).toBe(json.manual.length);
  });
});

describe('CLI usage errors', () => {
  it('exits 2 on an unknown --group-by value and on --group-by with a non-text format', async () => {
    const bad = await run(['fix', DEMO, '--dry-run', '--group-by', 'team']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--group-by/);
    const json = await run(['fix', DEMO, '--dry-run', '--group-by', 'rule', '--format', 'json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--group-by groups the text output/);
    const html = await run(['fix', DEMO, '--dry-run', '--html', path.join(DEMO, 'no-such-dir', 'review.html')]);
    expect(html.code).toBe(2);
    expect(html.stderr).toMatch(/--html .*does not exist/);
  });
});

describe('the HTML page with hostile file content', () => {
  const hostile = ['</script><script>window.pwned = 1</script>', '<!-- <script>', '</SCRIPT >', 'a & b > c', '\u2028'].join('\n');
  const change: FileChange = { path: 'svc/</script><img src=x onerror=alert(1)>.js', before: 'one\n', after: `one\n${hostile}\n`, applied: ['tA'] };
  const html = renderReviewHtml(
    buildReviewModel({
      mode: 'fix',
      dryRun: true,
      title: '</title><script>alert(1)</script>',
      version: '0.0.0',
      services: [],
      packages: new Map(),
      findings: [finding({ rule: 'rule-a', file: change.path, line: 1, fix: 'tA', message: '</script><script>alert(2)</script>' })],
      changes: [change],
      failures: [],
      unchanged: 0,
      transforms: [fakeTransform('tA', ['rule-a'])],
    }),
  );

  it('has exactly the three script elements it writes, and the data island parses back to the content', () => {
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script\s*>/gi)).toHaveLength(3);
    const open = '<script type="application/json" id="review-data">';
    const start = html.indexOf(open) + open.length;
    const data = JSON.parse(html.slice(start, html.indexOf('</script>', start))) as ReviewModel;
    expect(data.files[0]!.path).toBe(change.path);
    expect(data.files[0]!.hunks[0]!.lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1))).toEqual(hostile.split('\n'));
    expect(data.title).toBe('</title><script>alert(1)</script>');
    expect(html).toContain('<title>shipshape fix review: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
  });

  it('loads nothing from the network: no http(s) src or href, and a CSP that forbids it', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('escapes for inlining only what could end or hide the script element', () => {
    expect(jsonIsland({ a: '</script><!--&\u2028' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}');
    expect(inlineScript('const re = /<!--/; const s = "</script>"; const t = /<SCRIPT(?=>)/;')).toBe('const re = /\\x3C!--/; const s = "\\x3C/script>"; const t = /\\x3CSCRIPT(?=>)/;');
  });
});
