// `shipshape report merge`: the shard reports of `scan --shard K/N --format json`
// merge into exactly the text an unsharded `scan --format json` prints, whatever
// the split; bad inputs are one error line naming the file, exit 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJson, type JsonReport } from '../src/report/json.js';
import { mergeReports } from '../src/report/merge.js';
import { DEMO, run, validateReport } from './report-support.js';
import { tmpWorkspace } from './helpers/tmp.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let tmp: string;
const temps: string[] = [];
afterAll(() => temps.forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-merge-'));
  temps.push(tmp);
});

const file = (name: string, content?: string) => {
  const p = path.join(tmp, name);
  if (content !== undefined) fs.writeFileSync(p, content);
  return p;
};

/** `scan --format json [--shard K/N]` of `root`, written to a file; returns its path, text and exit code. */
async function scan(root: string, name: string, shard?: string) {
  const r = await run(['scan', root, '--format', 'json', ...(shard ? ['--shard', shard] : [])]);
  expect(r.stderr, `${name}: ${r.stderr}`).toBe('');
  expect([0, 1]).toContain(r.code);
  return { path: file(name, r.stdout), text: r.stdout, code: r.code };
}

describe('report merge on the demo monorepo', () => {
  let full: Awaited<ReturnType<typeof scan>>;
  const shards: Record<string, string> = {};
  beforeAll(async () => {
    full = await scan(DEMO, 'full.json');
    for (const s of ['1/3', '2/3', '3/3', '1/2', '2/2']) shards[s] = (await scan(DEMO, `shard-${s.replace('/', 'of')}.json`, s)).path;
  }, 120_000);

  it('1/3 + 2/3 + 3/3 merge into the unsharded report, byte for byte, with scan\'s exit code', async () => {
    const r = await run(['report', 'merge', shards['1/3']!, shards['2/3']!, shards['3/3']!]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(full.text);
    expect(r.code).toBe(full.code);
    expect(r.code).toBe(1); // the demo has blocking findings
    validateReport(JSON.parse(r.stdout));
  });

  it('1/2 + 2/2 merge into the unsharded report, in any argument order, to --output', async () => {
    const out = file('merged-2.json');
    const r = await run(['report', 'merge', shards['2/2']!, shards['1/2']!, '--output', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
    expect(fs.readFileSync(out, 'utf8')).toBe(full.text);
  });

  it('does not depend on how the files were split: any partition of the findings by file merges back', () => {
    const report = JSON.parse(full.text) as JsonReport;
    const hash = (s: string) => [...s].reduce((a, c) => (a * 33 + c.charCodeAt(0)) >>> 0, 5381);
    for (const n of [2, 3, 5]) {
      const parts = Array.from({ length: n }, (_, k): JsonReport => {
        // Shard k gets the files whose hash lands on it; the suppressed count all goes to the last one.
        const findings = report.findings.filter((f) => hash(f.file) % n === k);
        const count = (s: string) => findings.filter((f) => f.severity === s).length;
        return {
          ...report,
          findings,
          summary: {
            services: report.services.length,
            blocking: count('blocking'),
            risky: count('risky'),
            info: count('info'),
            fixable: findings.filter((f) => f.fix !== null).length,
            suppressed: k === n - 1 ? report.summary.suppressed : 0,
          },
        };
      });
      const merged = mergeReports(parts.reverse().map((p, k) => ({ name: `part${k}.json`, report: JSON.parse(renderJson(p)) })));
      expect(renderJson(merged), `${n} parts`).toBe(full.text);
    }
  });

  describe('bad input: one error line naming the file, exit 2, nothing on stdout', () => {
    const fails = async (args: string[], named: string, why: RegExp) => {
      const r = await run(['report', 'merge', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.startsWith(`shipshape: ${named}: `), r.stderr).toBe(true);
      expect(r.stderr).toMatch(why);
    };
    const edited = (name: string, edit: (r: Record<string, unknown>) => void) => {
      const report = JSON.parse(fs.readFileSync(shards['2/2']!, 'utf8')) as Record<string, unknown>;
      edit(report);
      return file(name, JSON.stringify(report, null, 2));
    };

    it('a missing file', async () => {
      const missing = path.join(tmp, 'no-such-shard.json');
      await fails([shards['1/2']!, missing], missing, /no such file/);
    });

    it('a file that is not JSON, or not a report', async () => {
      const text = file('not-json.json', 'shipshape: 3 blocking findings\n');
      await fails([shards['1/2']!, text], text, /not JSON/);
      const empty = file('empty.json', '');
      await fails([empty, shards['2/2']!], empty, /not JSON/);
      const list = file('list.json', '[]');
      await fails([shards['1/2']!, list], list, /not a shipshape JSON report/);
    });

    it('a report of another version', async () => {
      const v2 = edited('v2.json', (r) => (r.version = 2));
      await fails([shards['1/2']!, v2], v2, /version 2/);
    });

    it('a report of another root or another services inventory', async () => {
      const root = edited('other-root.json', (r) => (r.root = 'elsewhere'));
      await fails([shards['1/2']!, root], root, /root "elsewhere" differs/);
      const port = edited('other-port.json', (r) => {
        const services = r.services as { port: number | null }[];
        services[0]!.port = 1;
      });
      await fails([shards['1/2']!, port], port, /services differ .*port: 1 vs/);
      const fewer = edited('fewer-services.json', (r) => {
        const services = r.services as unknown[];
        services.pop();
        (r.summary as { services: number }).services = services.length;
      });
      await fails([shards['1/2']!, fewer], fewer, /services differ .*lacks/);
    });

    it('overlapping shards: one shard given twice, by the same path or as a copy', async () => {
      await fails([shards['1/3']!, shards['2/3']!, shards['1/3']!], shards['1/3']!, /given twice/);
      const copy = file('copy-of-1of3.json', fs.readFileSync(shards['1/3']!, 'utf8'));
      await fails([shards['1/3']!, shards['2/3']!, shards['3/3']!, copy], copy, new RegExp(`also in ${escape(shards['1/3']!)}: the shards overlap`));
      // A shard of 1/2 overlaps the 1/3 shards whatever the split: together they list some file twice.
      await fails([shards['1/3']!, shards['2/3']!, shards['3/3']!, shards['1/2']!], shards['1/2']!, /the shards overlap/);
    });

    it('a report written with --baseline, or one whose summary does not match its findings', async () => {
      const baselined = await run(['scan', DEMO, '--format', 'json', '--baseline', full.path]);
      const b = file('baselined.json', baselined.stdout);
      await fails([b, shards['2/2']!], b, /baseline/);
      const truncated = edited('truncated.json', (r) => (r.findings as unknown[]).pop());
      await fails([shards['1/2']!, truncated], truncated, /summary\.\w+" is \d+ but/);
    });
  });
});

describe('report merge with workspace-level findings', () => {
  it('a problem every shard reports (an unreadable pnpm-workspace.yaml) is kept once; the exit code follows the merged findings', async () => {
    const root = tmpWorkspace({
      'pnpm-workspace.yaml': 'packages: [services/*\n',
      'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['services/*'] }),
      'services/a/package.json': JSON.stringify({ name: 'a', dependencies: { express: '^5.0.0' } }),
      'services/a/src/index.js': "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(process.env.PORT);\n",
      'services/b/package.json': JSON.stringify({ name: 'b', dependencies: { express: '^5.0.0' } }),
      'services/b/src/index.js': "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(process.env.PORT);\n",
    });
    temps.push(root);
    const full = await scan(root, 'ws-full.json');
    const s1 = await scan(root, 'ws-1of2.json', '1/2');
    const s2 = await scan(root, 'ws-2of2.json', '2/2');
    for (const s of [s1, s2]) expect(s.text).toContain('"file": "pnpm-workspace.yaml"');
    const r = await run(['report', 'merge', s1.path, s2.path]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(full.text);
    expect(r.code).toBe(full.code);
    // A report of this workspace next to a demo shard: another inventory.
    const demo = await scan(DEMO, 'demo-1of2.json', '1/2');
    const mixed = await run(['report', 'merge', demo.path, s1.path]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(new RegExp(`^shipshape: ${escape(s1.path)}: services differ`));
  });
});
