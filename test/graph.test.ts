// The service graph's parts: nginx parsing with lines, config discovery,
// addresses, the code facts (URLs read while starting, topics), the needles
// that decide which files are parsed for them, the renderers, and the graph
// stage inside scan (config, suppressions, shards).
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { afterEach, describe, expect, it } from 'vitest';
import { runScan } from '../src/engine/pipeline.js';
import { parse } from '../src/engine/parsers.js';
import { hasNeedle } from '../src/engine/prefilter.js';
import { wiringFacts } from '../src/graph/code-wiring.js';
import { parseAddress } from '../src/graph/build.js';
import { findNginxConfigs, parseNginx, walk } from '../src/graph/nginx.js';
import { graphSvg, toDot, toJson, toMermaid } from '../src/graph/render.js';
import { GRAPH_RULE_IDS } from '../src/graph/rules.js';
import type { ServiceGraph } from '../src/graph/types.js';
import { FACT_NEEDLES } from '../src/workspace/code-facts.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { REPO } from './helpers/fixtures.js';
import { tmpWorkspace } from './helpers/tmp.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
const workspace = (files: Record<string, string>) => {
  const root = tmpWorkspace(files);
  temps.push(root);
  return root;
};

const DEMO = path.join(REPO, 'fixtures', 'monorepo');

describe('parseNginx', () => {
  it('gives every directive its line, through comments, quotes and one-line blocks', () => {
    const text = [
      '# edge proxy',
      'upstream api_backend {',
      '    server api-gateway:8080 max_fails=3;  # trailing comment',
      '    server "b:81";',
      '}',
      'http { server { listen 80;',
      '  location /chat { proxy_pass http://chatting-service:6006/; }',
      '  set $x "a ; b";',
      '} }',
      '',
    ].join('\n');
    const r = parseNginx(text);
    if (!r.ok) throw new Error(r.message);
    const seen = [...walk(r.directives)].map(({ d }) => `${d.line} ${d.name} ${JSON.stringify(d.args)}`);
    expect(seen).toEqual([
      '2 upstream ["api_backend"]',
      '3 server ["api-gateway:8080","max_fails=3"]',
      '4 server ["b:81"]',
      '6 http []',
      '6 server []',
      '6 listen ["80"]',
      '7 location ["/chat"]',
      '7 proxy_pass ["http://chatting-service:6006/"]',
      '8 set ["$x","a ; b"]',
    ]);
  });

  it.each([
    ['a directive closed by "}" without ";"', 'http {\n  server {\n    listen 80\n  }\n}\n', 4, /directive "listen" has no ";"/],
    ['a block never closed', 'events {}\nhttp {\n  server {\n  }\n', 5, /unexpected end of file, expecting "}"/],
    ['a "}" with no block open', 'events {}\n}\n', 2, /no block is open/],
    ['an unclosed quote', 'http {\n  set $a "oops;\n}\n', 2, /quote/],
    ['a directive at end of file without ";"', 'events {}\nworker_processes 4', 2, /Word not terminated|has no ";"/],
  ])('reports %s with its line', (_, text, line, message) => {
    const r = parseNginx(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(line);
    expect(r.message).toMatch(message);
  });
});

describe('findNginxConfigs', () => {
  it('finds nginx configs by name and folder, never ignored or unrelated .conf files', () => {
    const root = workspace({
      '.gitignore': 'generated/\n',
      'nginx.conf': 'events {}\n',
      'deploy/nginx.prod.conf': 'events {}\n',
      'deploy/api.nginx.conf': 'events {}\n',
      'infra/nginx/conf.d/routes.conf': 'server {}\n',
      'infra/nginx/templates/default.conf.template': 'server {}\n',
      'infra/redis/redis.conf': 'maxmemory 2mb\n',
      'supervisor/conf.d/app.conf': '[program:app]\n',
      'node_modules/pkg/nginx.conf': 'events {}\n',
      'generated/nginx.conf': 'events {}\n',
    });
    expect(findNginxConfigs(root)).toEqual(['deploy/api.nginx.conf', 'deploy/nginx.prod.conf', 'infra/nginx/conf.d/routes.conf', 'infra/nginx/templates/default.conf.template', 'nginx.conf']);
  });
});

describe('parseAddress', () => {
  it.each([
    ['http://course-service:3003/api', { host: 'course-service', port: 3003, explicitPort: true, scheme: 'http' }],
    ['http://course-service/api', { host: 'course-service', port: 80, explicitPort: false, scheme: 'http' }],
    ['http://course-service:80/', { host: 'course-service', port: 80, explicitPort: false, scheme: 'http' }],
    ['mongodb://user:pw@mongo/db', { host: 'mongo', port: 27017, explicitPort: false, scheme: 'mongodb' }],
    ['redis:6379', { host: 'redis', port: 6379, explicitPort: true, scheme: null }],
    ['api', { host: 'api', port: null, explicitPort: false, scheme: null }],
    ['amqp://rabbit', { host: 'rabbit', port: 5672, explicitPort: false, scheme: 'amqp' }],
  ])('%s', (value, expected) => {
    expect(parseAddress(value)).toEqual(expected);
  });

  it('gives up on what names no single host', () => {
    expect(parseAddress('mongodb://a:27017,b:27017/db')).toBeNull();
    expect(parseAddress('unix:/var/run/app.sock')).toBeNull();
    expect(parseAddress('')).toBeNull();
  });
});

function facts(text: string, file = 'src/index.ts') {
  const parsed = parse('code', file, text);
  if (parsed.kind !== 'code') throw new Error('not code');
  return wiringFacts(parsed.j, parsed.root, file);
}

describe('wiring facts', () => {
  it('reads URL env vars with their fallback literal and its line', () => {
    const w = facts("const A = process.env.A_URL ||\n  'http://a:1';\nconst B = process.env['B_HOST'] ?? process.env.C_HOST;\nconst PORT = process.env.PORT;\n");
    expect(w.urls).toEqual([
      { env: 'A_URL', fallback: 'http://a:1', file: 'src/index.ts', line: 1, fallbackLine: 2, startup: false },
      { env: 'B_HOST', fallback: null, file: 'src/index.ts', line: 3, fallbackLine: null, startup: false },
      { env: 'C_HOST', fallback: null, file: 'src/index.ts', line: 3, fallbackLine: null, startup: false },
    ]);
  });

  const startup = (text: string) => facts(text).urls.filter((u) => u.startup).map((u) => u.env);

  it('counts an HTTP call as startup at module level, in an IIFE and in functions the module level calls', () => {
    expect(startup('await fetch(process.env.A_URL);\n')).toEqual(['A_URL']);
    expect(startup("const base = process.env.A_URL;\n(async () => { await axios.get(`${base}/x`); })();\n")).toEqual(['A_URL']);
    expect(startup('async function load() { return got(process.env.A_URL); }\nasync function main() { await load(); }\nmain().catch(() => process.exit(1));\n')).toEqual(['A_URL']);
    expect(startup("function url() { return process.env.A_URL; }\nconst start = async () => { await fetch(`${url()}/x`); };\nvoid start();\n")).toEqual(['A_URL']);
    expect(startup('await axios({ method: "get", url: process.env.A_URL });\n')).toEqual(['A_URL']);
  });

  it('does not count calls in callbacks: route handlers, timers, message handlers, functions never called', () => {
    expect(startup("app.get('/x', async (req, res) => res.json(await fetch(process.env.A_URL)));\n")).toEqual([]);
    expect(startup('setInterval(() => fetch(process.env.A_URL), 1000);\n')).toEqual([]);
    expect(startup('async function later() { await fetch(process.env.A_URL); }\nexport { later };\n')).toEqual([]);
    expect(startup('function proxyTo(base) { return async (req) => fetch(base); }\napp.use(proxyTo(process.env.A_URL));\n')).toEqual([]);
    expect(startup('const A = process.env.A_URL;\nconsole.log(A);\n')).toEqual([]);
  });

  it('reads kafkajs topics: literals, constants, object constants, env fallbacks, lists and patterns', () => {
    const w = facts(
      [
        "const TOPICS = { CREATED: 'orders.created' };",
        "const ALL = ['a', 'b'];",
        'await producer.send({ topic: TOPICS.CREATED, messages: [] });',
        "await producer.sendBatch({ topicMessages: [{ topic: 'batch', messages: [] }] });",
        "res.send({ topic: 'not-kafka' });",
        'await consumer.subscribe({ topics: ALL });',
        "await consumer.subscribe({ topic: process.env.T || 'c' });",
        'await consumer.subscribe({ topic: /^orders\\./ });',
        'await consumer.subscribe({ topic: someImport });',
        '',
      ].join('\n'),
    );
    expect(w.produces.map((t) => `${t.line} ${t.topic}`)).toEqual(['3 orders.created', '4 batch']);
    expect(w.consumes.map((t) => `${t.line} ${t.topic}${t.pattern ? ' (pattern)' : ''}`)).toEqual(['6 a', '6 b', '7 c', '8 ^orders\\. (pattern)']);
  });

  it('the inventory needles keep every code file that has wiring facts (fixtures/graph and the demo)', () => {
    const files = fg.sync(['fixtures/graph/**/*.{js,ts}', 'fixtures/monorepo/**/*.{js,ts}'], { cwd: REPO, ignore: ['**/node_modules/**'] });
    let wired = 0;
    for (const rel of files) {
      const text = fs.readFileSync(path.join(REPO, rel), 'utf8');
      const w = facts(text, rel);
      if (w.urls.length + w.produces.length + w.consumes.length === 0) continue;
      wired++;
      expect(hasNeedle(FACT_NEEDLES, text), `${rel} has wiring facts but no fact needle`).toBe(true);
    }
    expect(wired).toBeGreaterThan(10);
  });
});

describe('renderers', () => {
  const graph: ServiceGraph = {
    nodes: [
      { id: 'missing:auth', kind: 'missing', name: 'auth', ports: [], package: null },
      { id: 'svc:api', kind: 'service', name: 'api', ports: [3000], package: 'api' },
      { id: 'svc:nginx', kind: 'proxy', name: 'nginx', ports: [80], package: null },
      { id: 'topic:orders "x"', kind: 'topic', name: 'orders "x"', ports: [], package: null },
    ],
    edges: [
      { from: 'svc:api', to: 'missing:auth', kind: 'url', label: 'AUTH_URL :6001', file: 'docker-compose.yml', line: 6, findings: ['service-url-mismatch'] },
      { from: 'svc:api', to: 'missing:auth', kind: 'url', label: 'AUTH_URL :6001', file: 'src/index.js', line: 3, findings: [] },
      { from: 'svc:api', to: 'topic:orders "x"', kind: 'produces', label: 'produces', file: 'src/index.js', line: 9, findings: [] },
      { from: 'svc:nginx', to: 'svc:api', kind: 'upstream', label: 'upstream api_backend :8080', file: 'nginx/nginx.conf', line: 5, findings: ['upstream-target-missing'] },
    ],
  };

  it('mermaid: one arrow per drawn edge, the ones with a finding red, missing hosts dashed', () => {
    expect(toMermaid(graph)).toBe(
      [
        'flowchart LR',
        '  n0["auth (no such service)"]:::missing',
        '  n1["api :3000"]',
        '  n2{{"nginx :80"}}',
        '  n3[/"orders #quot;x#quot;"/]',
        '  n1 -->|"AUTH_URL :6001"| n0',
        '  n1 -->|"produces"| n3',
        '  n2 -->|"upstream api_backend :8080"| n1',
        '  linkStyle 0,2 stroke:#d32f2f,stroke-width:2px,color:#d32f2f',
        '  classDef missing stroke:#d32f2f,stroke-dasharray:5 3,color:#d32f2f',
        '',
      ].join('\n'),
    );
  });

  it('dot: red edges carry their rules, quotes are escaped', () => {
    const dot = toDot(graph);
    expect(dot).toContain('"svc:nginx" -> "svc:api" [label="upstream api_backend :8080", color="#d32f2f", fontcolor="#d32f2f", penwidth=2, tooltip="upstream-target-missing"];');
    expect(dot).toContain('"svc:api" -> "topic:orders \\"x\\"" [label="produces"];');
    expect(dot).toContain('"missing:auth" [label="auth (no such service)", shape=box, style=dashed');
    expect(dot.match(/->/g)).toHaveLength(3);
  });

  it('json keeps every edge with its place', () => {
    const json = JSON.parse(toJson(graph, [])) as ServiceGraph & { version: number };
    expect(json.version).toBe(1);
    expect(json.edges).toEqual(graph.edges);
  });

  it('markdown: the report draws it as a mermaid block right after the inventory', () => {
    const report = { version: 1 as const, root: '.', services: [], findings: [], summary: { services: 0, blocking: 0, risky: 0, info: 0, fixable: 0, suppressed: 0 } };
    const md = renderMarkdown(report, [], { title: 't', coverage: null, serviceGraph: toMermaid(graph) });
    expect(md.split('\n').filter((l) => l.startsWith('## ')).slice(0, 3)).toEqual(['## Inventory', '## Service graph', '## What holds']);
    expect(md).toContain(`\`\`\`mermaid\n${toMermaid(graph)}\`\`\`\n`);
    expect(renderMarkdown(report, [], { title: 't', coverage: null })).not.toContain('## Service graph');
  });

  it('svg: rendered offline by Graphviz, red edges red', async () => {
    const svg = await graphSvg(graph);
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain('stroke="#d32f2f"');
    expect(svg).toContain('upstream api_backend :8080');
  });
});

describe('the graph stage in scan', () => {
  const base = {
    'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['services/*'] }),
    'services/api/package.json': JSON.stringify({ name: 'api' }),
    'services/api/src/index.js': "require('node:http').createServer((q, s) => s.end()).listen(process.env.PORT || 3000);\n",
  };
  const compose = (comment: string) => `services:\n  api:\n    build: ./services/api\n    environment:\n      PORT: 3000\n${comment}      AUTH_URL: http://auth:6001\n`;

  it('a shipshape-ignore comment silences a graph finding, counts it, and is not reported unused', async () => {
    const root = workspace({ ...base, 'docker-compose.yml': compose('      # shipshape-ignore service-url-mismatch\n') });
    const r = await runScan(root, [], { jobs: 1 });
    expect(r.findings.map((f) => f.rule)).toEqual([]);
    expect(r.suppressed).toBe(1);
    // The edge is still drawn, not red: nothing was reported on it.
    expect(r.graph.edges.find((e) => e.kind === 'url')?.findings).toEqual([]);
  });

  it('config severities and off apply', async () => {
    const raised = workspace({ ...base, 'docker-compose.yml': compose(''), 'shipshape.config.json': JSON.stringify({ rules: { 'service-url-mismatch': 'blocking' } }) });
    expect((await runScan(raised, [], { jobs: 1 })).findings.map((f) => `${f.rule} ${f.severity} ${f.file}:${f.line}`)).toEqual(['service-url-mismatch blocking docker-compose.yml:6']);
    const off = workspace({ ...base, 'docker-compose.yml': compose(''), 'shipshape.config.json': JSON.stringify({ rules: { 'service-url-mismatch': 'off' } }) });
    expect((await runScan(off, [], { jobs: 1 })).findings).toEqual([]);
  });

  it('shards report each graph finding once, and every shard draws the whole graph', async () => {
    const whole = await runScan(DEMO, [], { jobs: 1 });
    const graphOnly = (fs: { rule: string; file: string; line: number }[]) => fs.filter((f) => GRAPH_RULE_IDS.has(f.rule)).map((f) => `${f.rule} ${f.file}:${f.line}`);
    expect(graphOnly(whole.findings)).toEqual([
      'service-url-mismatch docker-compose.yml:53',
      'service-url-mismatch docker-compose.yml:98',
      'service-url-mismatch docker-compose.yml:131',
      'upstream-target-missing nginx/nginx.conf:11',
    ]);
    const shards = await Promise.all([1, 2, 3].map((index) => runScan(DEMO, [], { jobs: 1, shard: { index, total: 3 } })));
    expect(shards.flatMap((s) => graphOnly(s.findings)).sort()).toEqual(graphOnly(whole.findings).sort());
    for (const s of shards) expect(s.graph).toEqual(whole.graph);
  });

  it('--service keeps the graph findings on that service’s own files only', async () => {
    const root = workspace({
      ...base,
      'services/api/src/index.js': "const U = process.env.ORDERS_URL || 'http://orders:1';\nrequire('node:http').createServer((q, s) => s.end()).listen(process.env.PORT || 3000);\n",
      'docker-compose.yml': compose(''),
    });
    const all = await runScan(root, [], { jobs: 1 });
    expect(all.findings.map((f) => `${f.file}:${f.line}`)).toEqual(['docker-compose.yml:6', 'services/api/src/index.js:1']);
    const one = await runScan(root, [], { jobs: 1, services: ['api'] });
    expect(one.findings.map((f) => `${f.file}:${f.line}`)).toEqual(['services/api/src/index.js:1']);
  });
});
