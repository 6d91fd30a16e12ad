// `shipshape graph` as a user runs it (the built CLI) on the demo monorepo:
// every format draws the nginx route with the wrong upstream port and the URLs
// to services that do not exist, in red; usage errors exit 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GraphJson } from '../src/graph/render.js';
import { run } from './report-support.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('shipshape graph', () => {
  it('json: nodes, edges and the graph findings with file:line', async () => {
    const r = await run(['graph', 'fixtures/monorepo', '--format', 'json', '--jobs', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const g = JSON.parse(r.stdout) as GraphJson;
    expect(g.findings.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual([
      'service-url-mismatch docker-compose.yml:53',
      'service-url-mismatch docker-compose.yml:98',
      'service-url-mismatch docker-compose.yml:131',
      'upstream-target-missing nginx/nginx.conf:11',
    ]);
    const upstream = g.edges.find((e) => e.kind === 'upstream' && e.to === 'svc:api-gateway');
    expect(upstream).toMatchObject({ from: 'svc:nginx', label: 'upstream api_backend :8080', file: 'nginx/nginx.conf', line: 11, findings: ['upstream-target-missing'] });
    expect(g.nodes.find((n) => n.id === 'svc:api-gateway')?.ports).toEqual([3000]);
    expect(g.nodes.find((n) => n.id === 'missing:payment-service')?.kind).toBe('missing');
    // The route that resolves is drawn and clean.
    expect(g.edges.find((e) => e.kind === 'proxy_pass' && e.to === 'svc:course-service')?.findings).toEqual([]);
  });

  it('mermaid and dot draw the same edges, the bad ones red; svg renders offline', async () => {
    const draw = (format: string) => run(['graph', 'fixtures/monorepo', '--format', format, '--jobs', '1']);
    const [mermaid, dot, svg] = await Promise.all([draw('mermaid'), draw('dot'), draw('svg')]);
    for (const r of [mermaid, dot, svg]) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    expect(mermaid.stdout).toMatch(/n\d+ -->\|"upstream api_backend :8080"\| n\d+/);
    expect(mermaid.stdout).toMatch(/\n {2}linkStyle [\d,]+ stroke:#d32f2f/);
    expect(dot.stdout).toContain('"svc:nginx" -> "svc:api-gateway" [label="upstream api_backend :8080", color="#d32f2f"');
    expect(dot.stdout).toContain('"svc:nginx" -> "svc:course-service" [label="proxy_pass /api/courses/ :3003"];');
    const arrows = (dot.stdout.match(/ -> /g) ?? []).length;
    expect((mermaid.stdout.match(/ -(->|\.->)\|/g) ?? []).length).toBe(arrows);
    expect(svg.stdout).toContain('<svg');
    expect(svg.stdout).toContain('upstream api_backend :8080');
  });

  it('--output writes the file; a bad format or root exits 2', async () => {
    const out = path.join(tmp, 'graph.dot');
    const [written, badFormat, badRoot] = await Promise.all([
      run(['graph', 'fixtures/monorepo', '--format', 'dot', '--output', out, '--jobs', '1']),
      run(['graph', 'fixtures/monorepo', '--format', 'png']),
      run(['graph', path.join(tmp, 'nope'), '--format', 'json']),
    ]);
    expect([written.code, written.stdout]).toEqual([0, '']);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^digraph services \{/);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/argument 'png' is invalid/);
    expect(badRoot.code).toBe(2);
    expect(badRoot.stderr).toMatch(/not a directory/);
  });
});
