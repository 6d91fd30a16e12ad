// The review page as a reviewer opens it: `fix --dry-run --html` and
// `scan --format html` on the demo monorepo, through the real CLI, loaded
// from disk in headless Chromium (Debian's `chromium`, installed by
// scripts/test-setup.mjs) driven by playwright-core. No console error, no
// request off the file, every changed file and manual finding on the page,
// the rule filter and the layout toggle work. Screenshots for humans go to
// test/artifacts/ (regenerated each run, not committed).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileChange } from '../src/engine/pipeline.js';
import type { AnyTransform } from '../src/engine/types.js';
import { renderReviewHtml } from '../src/report/review-html.js';
import { buildReviewModel, type fixJson } from '../src/report/review-model.js';
import { BIN, DEMO } from './report-support.js';
import { REPO } from './helpers/fixtures.js';

const execFileP = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test', 'artifacts');

type FixJson = ReturnType<typeof fixJson>;

/** The CLI's stdout; exit 1 is scan's "blocking findings", not a failure here. */
async function shipshape(args: string[], okCodes = [0]): Promise<string> {
  try {
    const { stdout } = await execFileP(process.execPath, [BIN, ...args, '--quiet'], { cwd: REPO, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return stdout;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code === 'number' && okCodes.includes(e.code)) return e.stdout ?? '';
    throw new Error(`shipshape ${args.join(' ')} exited ${e.code}: ${e.stderr}`);
  }
}

let browser: Browser;
let tmp: string;
let json: FixJson;
let reviewFile: string;
let scanFile: string;

beforeAll(async () => {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`node scripts/test-setup.mjs\` (apt-get install chromium)`).toBe(true);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-review-'));
  reviewFile = path.join(tmp, 'review.html');
  scanFile = path.join(tmp, 'scan.html');
  const [out] = await Promise.all([
    shipshape(['fix', DEMO, '--dry-run', '--format', 'json', '--html', reviewFile]),
    shipshape(['scan', DEMO, '--format', 'html', '--output', scanFile], [0, 1]),
  ]);
  json = JSON.parse(out) as FixJson;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens a page file; collects console errors, page errors and any request that is not the file itself. */
async function open(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  return { page, problems };
}

const visibleHunks = (page: Page) =>
  page.$$eval('.hunk', (els) => els.filter((e) => (e as HTMLElement).checkVisibility()).map((e) => ({ path: (e as HTMLElement).dataset.path!, rules: (e as HTMLElement).dataset.rules!.split(' ') })));

describe('fix --dry-run --html on the demo monorepo', () => {
  it('renders with no console error and no request, and shows every changed file and every manual finding', async () => {
    const html = fs.readFileSync(reviewFile, 'utf8');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    const { page, problems } = await open(reviewFile);
    try {
      const paths = await page.$$eval('.file', (els) => els.map((e) => (e as HTMLElement).dataset.path!));
      expect([...paths].sort()).toEqual(json.changes.map((c) => c.path).sort());
      expect(await visibleHunks(page)).toHaveLength(json.summary.hunks);
      // Each manual finding stands next to its file's diff, or in its service's box for files without one.
      const manual = await page.$$eval('.manual-item', (els) =>
        els.filter((e) => (e as HTMLElement).checkVisibility()).map((e) => `${(e as HTMLElement).dataset.rule} ${(e as HTMLElement).dataset.file}:${(e as HTMLElement).dataset.line}`),
      );
      expect(json.manual.length).toBeGreaterThan(0);
      expect([...manual].sort()).toEqual(json.manual.map((f) => `${f.rule} ${f.file}:${f.line}`).sort());
      await page.screenshot({ path: path.join(ARTIFACTS, 'review.png') });
      // diff2html draws a hunk (side by side, highlighted) when it comes near the screen.
      await page.locator('.file').first().scrollIntoViewIfNeeded();
      await page.waitForSelector('.hunk .d2h-files-diff');
      expect(await page.$$eval('.hunk .d2h-code-line-ctn .hljs-keyword, .hunk .d2h-code-line-ctn .hljs-string', (els) => els.length)).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(ARTIFACTS, 'review-diff.png') });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("filtering by one rule shows only that rule's hunks and findings; the layout toggle redraws the diffs", async () => {
    const { page, problems } = await open(reviewFile);
    try {
      // A rule with hunks in several files, but not every hunk.
      const rule = [...json.rules].filter((r) => r.hunks < json.summary.hunks).sort((a, b) => b.files - a.files || a.id.localeCompare(b.id))[0]!;
      await page.selectOption('#filter-rule', rule.id);
      const shown = await visibleHunks(page);
      expect(shown).toHaveLength(rule.hunks);
      for (const h of shown) expect(h.rules).toContain(rule.id);
      expect(new Set(shown.map((h) => h.path)).size).toBe(rule.files);
      const expected = json.changes.flatMap((c) => c.hunks.filter((h) => h.rules.includes(rule.id)).map(() => c.path));
      expect(shown.map((h) => h.path)).toEqual(expected);
      // A filter opens the findings tables it narrows.
      const findingRules = await page.$$eval('tr.finding, li.finding', (els) => els.filter((e) => (e as HTMLElement).checkVisibility()).map((e) => (e as HTMLElement).dataset.rule));
      expect(findingRules.length).toBeGreaterThan(0);
      expect(new Set(findingRules)).toEqual(new Set([rule.id]));
      expect(await page.textContent('#status-line')).toContain(`Showing ${rule.hunks} of ${json.summary.hunks} hunks`);

      // Side by side first; line by line after the toggle, for every drawn hunk.
      await page.locator('.hunk:not([hidden])').first().scrollIntoViewIfNeeded();
      await page.waitForSelector('.hunk:not([hidden]) .d2h-files-diff');
      await page.click('#view-line-by-line');
      await page.waitForSelector('.hunk:not([hidden]) .d2h-file-diff');
      expect(await page.$$eval('.hunk:not([hidden]) .d2h-files-diff', (els) => els.length)).toBe(0);
      expect(await page.getAttribute('#view-line-by-line', 'aria-pressed')).toBe('true');
      await page.screenshot({ path: path.join(ARTIFACTS, 'review-filtered.png') });

      await page.click('#filter-reset');
      expect(await visibleHunks(page)).toHaveLength(json.summary.hunks);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('scan --format html on the demo monorepo', () => {
  it('renders the findings per service without diffs, every manual finding included', async () => {
    const { page, problems } = await open(scanFile);
    try {
      expect(await page.$$eval('.hunk', (els) => els.length)).toBe(0);
      const rows = await page.$$eval('tr.finding', (els) => els.map((e) => `${(e as HTMLElement).dataset.rule} ${(e as HTMLElement).dataset.file}`));
      for (const f of json.manual) expect(rows).toContain(`${f.rule} ${f.file}`);
      expect(await page.$$eval('#inventory tbody tr', (els) => els.length)).toBeGreaterThan(5);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('hostile file content in the browser', () => {
  it('stays text: no script of the file runs, and the page still renders', async () => {
    const change: FileChange = {
      path: 'svc/<img src=x onerror="window.pwned=1">.js',
      before: 'one\n',
      after: 'one\n</script><script>window.pwned = 1</script>\n<!-- <script>window.pwned = 2</script>\n<img src=x onerror="window.pwned=3">\n',
      applied: ['tA'],
    };
    const transform = { id: 'tA', kind: 'code', rules: { 'rule-a': { id: 'rule-a', severity: 'risky', description: 'd', fixedBy: 'tA' } }, description: 'tA', detect: () => [], fix: () => false } as unknown as AnyTransform;
    const model = buildReviewModel({
      mode: 'fix',
      dryRun: true,
      title: 'hostile',
      version: '0.0.0',
      services: [],
      packages: new Map(),
      findings: [{ rule: 'rule-a', severity: 'risky', service: null, file: change.path, line: 1, message: '<script>window.pwned=4</script>', fix: null }],
      changes: [change],
      failures: [],
      unchanged: 0,
      transforms: [transform],
    });
    const file = path.join(tmp, 'hostile.html');
    fs.writeFileSync(file, renderReviewHtml(model));
    const { page, problems } = await open(file);
    try {
      await page.waitForSelector('.hunk .d2h-file-wrapper');
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.textContent('.file .path')).toBe(change.path);
      expect(await page.$$eval('.hunk img, .file-head img', (els) => els.length)).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
