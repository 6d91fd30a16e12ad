// The markdown audit report: section order, inventory columns, what holds with
// evidence, findings with file:line, the crash-on-startup table, the verdict;
// deterministic output; and the committed demo example stays current.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanToString } from '../src/commands/scan.js';
import type { CatalogEntry } from '../src/engine/catalog.js';
import type { Service } from '../src/engine/types.js';
import type { Report } from '../src/report/baseline.js';
import { renderMarkdown, type Coverage } from '../src/report/markdown.js';
import { REPO } from './helpers/fixtures.js';
import { tmpWorkspace } from './helpers/tmp.js';
import { run } from './report-support.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

const DEMO_EXAMPLE = path.join(REPO, 'docs', 'examples', 'demo-scan.md');
const REGENERATE = 'regenerate with: npm run regen:demo (then review the diff before committing)';

const svc = (over: Partial<Omit<Service, 'manifest'>>): Omit<Service, 'manifest'> => ({
  name: 'api',
  dir: 'services/api',
  type: 'api',
  dockerfile: 'services/api/Dockerfile',
  entrypoint: 'CMD ["node", "dist/index.js"]',
  port: 3000,
  health: '/health',
  ready: null,
  prisma: false,
  requiredEnv: ['DATABASE_URL'],
  shutdownTimeoutMs: null,
  healthcheck: true,
  ...over,
});

const entries: CatalogEntry[] = [
  { id: 'runs-as-root', severity: 'blocking', description: 'root', kinds: ['dockerfile'], fixers: ['dockerfile-non-root'] },
  { id: 'base-image-eol', severity: 'risky', description: 'eol', kinds: ['dockerfile'], fixers: [] },
  { id: 'exit-on-dependency-failure', severity: 'blocking', description: 'exit', kinds: ['code'], fixers: ['dependency-retry'] },
  { id: 'port-not-from-env', severity: 'blocking', description: 'port', kinds: ['code'], fixers: ['port-from-env'] },
  { id: 'sigint-not-handled', severity: 'info', description: 'sigint', kinds: ['code'], fixers: ['http-graceful-shutdown'] },
  { id: 'compose-missing-healthcheck', severity: 'risky', description: 'compose', kinds: ['compose'], fixers: ['compose-healthcheck'] },
  { id: 'parse-error', severity: 'risky', description: 'parse', kinds: ['any'], fixers: [] },
];

function sample(): Report {
  return {
    version: 1,
    root: '.',
    services: [svc({}), svc({ name: 'jobs', dir: 'services/jobs', type: 'worker', dockerfile: null, entrypoint: null, port: null, health: null, requiredEnv: [], healthcheck: false })],
    findings: [
      { rule: 'runs-as-root', severity: 'blocking', service: 'api', file: 'services/api/Dockerfile', line: 4, message: 'no USER | root', fix: 'dockerfile-non-root' },
      { rule: 'exit-on-dependency-failure', severity: 'blocking', service: 'jobs', file: 'services/jobs/src/index.ts', line: 30, message: 'manual: main().catch exits', fix: null },
      { rule: 'base-image-eol', severity: 'risky', service: 'api', file: 'services/api/Dockerfile', line: 1, message: 'node 18', fix: null },
      { rule: 'sigint-not-handled', severity: 'info', service: 'jobs', file: 'services/jobs/src/index.ts', line: 40, message: 'SIGINT ignored', fix: 'http-graceful-shutdown' },
    ],
    summary: { services: 2, blocking: 2, risky: 1, info: 1, fixable: 2, suppressed: 3 },
  };
}

const coverage: Coverage = {
  units: [
    { name: 'api', library: false, files: [{ path: 'services/api/Dockerfile', kind: 'dockerfile' }, { path: 'services/api/src/index.ts', kind: 'code' }], suppressedRules: ['sigint-not-handled'] },
    { name: 'jobs', library: false, files: [{ path: 'services/jobs/src/index.ts', kind: 'code' }], suppressedRules: [] },
    { name: null, library: false, files: [{ path: 'docker-compose.yml', kind: 'compose' }], suppressedRules: [] },
  ],
  rulesOff: ['port-not-from-env'],
};

const headings = (md: string) => md.split('\n').filter((l) => /^#{1,2} /.test(l));

describe('markdown report', () => {
  it('has the audit layout, in order', () => {
    const md = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    expect(headings(md)).toEqual(['# shipshape scan: demo', '## Inventory', '## What holds', '## Blocking (2)', '## Risky (1)', '## Info (1)', '## Crash on startup', '## Verdict']);
    expect(md).toMatch(/\*\*Services:\*\* 2 · \*\*Blocking:\*\* 2 · \*\*Risky:\*\* 1 · \*\*Info:\*\* 1 · \*\*Fixable:\*\* 2 · \*\*Suppressed:\*\* 3/);
    expect(md).toContain('3 findings silenced by `shipshape-ignore` comments are not listed.');
  });

  it('renders the inventory with the Phase 0 columns', () => {
    const md = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    expect(md).toContain('| Service | Type | Dockerfile | Entrypoint/CMD | Port | Health endpoint | Prisma | Required env | Healthcheck |');
    expect(md).toContain('| api | API | `services/api/Dockerfile` | `CMD ["node", "dist/index.js"]` | 3000 | `/health` | no | DATABASE_URL | yes |');
    expect(md).toContain('| jobs | Worker | — | — | — | — | no | — | no |');
  });

  it('lists findings with file:line and the fixer, manual or report only, with table pipes escaped', () => {
    const md = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    expect(md).toContain('| B1 | `runs-as-root` | api | `services/api/Dockerfile:4` | no USER \\| root | `dockerfile-non-root` |');
    expect(md).toContain('| B2 | `exit-on-dependency-failure` | jobs | `services/jobs/src/index.ts:30` | manual: main().catch exits | manual |');
    expect(md).toContain('| R1 | `base-image-eol` | api | `services/api/Dockerfile:1` | node 18 | report only |');
  });

  it('lists what holds per service with the files read as evidence; silenced and turned-off rules are not claimed', () => {
    const md = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    const holds = md.slice(md.indexOf('## What holds'), md.indexOf('## Blocking'));
    expect(holds).toContain('- **api** — read `services/api/Dockerfile`; `services/api/src/index.ts`.');
    // api: dockerfile rules runs-as-root and base-image-eol both fired; code rules: exit-on-dependency-failure holds,
    // sigint-not-handled is silenced, port-not-from-env is off.
    expect(holds).toContain('  1 of 4 rules holds: `exit-on-dependency-failure`.\n  Silenced by `shipshape-ignore`: `sigint-not-handled`.');
    expect(holds).toContain('- **jobs** — read `services/jobs/src/index.ts`.\n  None of the 2 rules checked holds.');
    expect(holds).toContain('- **repository files** — read `docker-compose.yml`.\n  1 of 1 rule holds: `compose-missing-healthcheck`.');
    expect(holds).toContain('Turned off by config, not checked: `port-not-from-env`.');
    expect(holds).not.toContain('parse-error');
    expect(renderMarkdown(sample(), entries, { title: 'demo', coverage: null })).toContain('Not listed for a `--shard` run');
  });

  it('puts the findings that stop a container in the crash-on-startup table', () => {
    const md = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    const crash = md.slice(md.indexOf('## Crash on startup'), md.indexOf('## Verdict'));
    expect(crash).toContain('| # | Service | File | Line | Failing condition |');
    expect(crash).toContain('| 1 | jobs | `services/jobs/src/index.ts` | 30 | manual: main().catch exits (`exit-on-dependency-failure`) |');
    expect(crash).not.toContain('runs-as-root');
    const none = sample();
    none.findings = none.findings.filter((f) => f.rule !== 'exit-on-dependency-failure');
    expect(renderMarkdown(none, entries, { title: 'demo', coverage })).toContain('No finding makes a container exit or get killed at startup.');
  });

  it('ends with a one-line verdict', () => {
    const verdictOf = (r: Report) => renderMarkdown(r, entries, { title: 'demo', coverage }).split('## Verdict\n\n')[1]!;
    expect(verdictOf(sample())).toBe('**Not safe to deploy** — 2 blocking findings in api, jobs; `shipshape fix` handles 1 of 2 blocking.\n');
    const risky = sample();
    risky.findings = risky.findings.filter((f) => f.severity !== 'blocking');
    risky.summary = { ...risky.summary, blocking: 0 };
    expect(verdictOf(risky)).toBe('**Safe to deploy, with 1 risky finding to schedule** — no blocking finding.\n');
    const clean = sample();
    clean.findings = [];
    clean.summary = { ...clean.summary, blocking: 0, risky: 0, info: 0 };
    expect(verdictOf(clean)).toBe('**Safe to deploy** — no blocking or risky finding.\n');
  });

  it('is deterministic and prints a date only when one is passed', () => {
    const a = renderMarkdown(sample(), entries, { title: 'demo', coverage });
    expect(renderMarkdown(sample(), entries, { title: 'demo', coverage })).toBe(a);
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(renderMarkdown(sample(), entries, { title: 'demo', coverage, date: '2026-05-01' })).toContain('**Date:** 2026-05-01');
  });

  it('a real scan lists silenced rules and libraries in what holds', async () => {
    const dir = tmpWorkspace({
      'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['services/*', 'packages/*'] }),
      'services/api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '^5.0.0' } }),
      'services/api/src/index.js':
        "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\n// shipshape-ignore port-not-from-env\napp.listen(3000, '0.0.0.0');\n",
      'packages/util/package.json': JSON.stringify({ name: 'util' }),
      'packages/util/index.js': 'module.exports = 1;\n',
    });
    temps.push(dir);
    const { text } = await scanToString(dir, { format: 'markdown' });
    const holds = text.slice(text.indexOf('## What holds'), text.indexOf('## Blocking'));
    expect(holds).toMatch(/- \*\*api\*\* — read `services\/api\/src\/index\.js`\./);
    expect(holds).toMatch(/Silenced by `shipshape-ignore`: `port-not-from-env`\./);
    expect(holds).toMatch(/- \*\*util\*\* \(library\) — read `packages\/util\/index\.js`\./);
    expect(text).toMatch(/\*\*Suppressed:\*\* 1\b/);
  });
});

describe('docs/examples/demo-scan.md', () => {
  it('is the current markdown report of fixtures/monorepo', async () => {
    const r = await run(['scan', 'fixtures/monorepo', '--format', 'markdown']);
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
    const committed = fs.existsSync(DEMO_EXAMPLE) ? fs.readFileSync(DEMO_EXAMPLE, 'utf8') : '(missing)';
    expect(r.stdout, `docs/examples/demo-scan.md is out of date; ${REGENERATE}`).toBe(committed);
  });
});
