// What the inventory reads from compose: the entry a package runs (by the
// Dockerfile it builds first, so a build moved to the repo root keeps its
// port and healthcheck), ports through `<<` merges, disabled healthchecks.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { analyze } from '../src/engine/analyze.js';
import { composeFacts } from '../src/workspace/compose.js';
import { tmpWorkspace } from './helpers/tmp.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const facts = (text: string) => composeFacts('docker-compose.yml', parseDocument(text), text);

describe('composeFacts', () => {
  it('resolves build, PORT from a merged anchor and the published port', () => {
    const text = [
      'x-env: &env',
      '  PORT: 4100',
      'services:',
      '  gateway:',
      '    build:',
      '      context: .',
      '      dockerfile: services/api-gateway/Dockerfile',
      '    environment:',
      '      <<: *env',
      '  web:',
      '    build: ./apps/web',
      '    ports: ["8080:3001/tcp"]',
      '',
    ].join('\n');
    expect(facts(text)).toEqual([
      { name: 'gateway', context: '.', dockerfile: 'services/api-gateway/Dockerfile', healthcheck: false, port: 4100 },
      { name: 'web', context: 'apps/web', dockerfile: 'apps/web/Dockerfile', healthcheck: false, port: 3001 },
    ]);
  });

  it('counts a healthcheck, not one turned off with disable or test NONE', () => {
    const text = 'services:\n  a:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n  b:\n    image: x\n    healthcheck:\n      disable: true\n  c:\n    image: x\n    healthcheck:\n      test: ["NONE"]\n';
    expect(facts(text).map((f) => [f.name, f.healthcheck])).toEqual([['a', true], ['b', false], ['c', false]]);
  });
});

describe('inventory from compose', () => {
  it('finds the compose entry of a root-context build by its Dockerfile, whatever its key', async () => {
    const root = tmpWorkspace({
      'package.json': JSON.stringify({ name: 'platform', private: true, workspaces: ['services/*'] }),
      'services/api-gateway/package.json': JSON.stringify({ name: 'api-gateway', dependencies: { express: '^5.1.0' } }),
      'services/api-gateway/src/index.js': "const app = require('express')();\napp.listen(process.env.PORT);\n",
      'services/api-gateway/Dockerfile': 'FROM node:22-alpine\nWORKDIR /app\nCOPY services/api-gateway/ ./\nCMD ["node", "src/index.js"]\n',
      'docker-compose.yml': 'services:\n  edge:\n    build:\n      context: .\n      dockerfile: services/api-gateway/Dockerfile\n    environment:\n      PORT: 4100\n    healthcheck:\n      test: ["CMD", "node", "-e", "0"]\n',
    });
    roots.push(root);
    const { ws } = await analyze(root, []);
    const gateway = ws.services.find((s) => s.name === 'api-gateway');
    expect(gateway).toMatchObject({ port: 4100, healthcheck: true });
  });
});

describe('compose findings in the report', () => {
  it('name the service their compose entry runs', async () => {
    const { run, parseReport, DEMO } = await import('./report-support.js');
    const r = await run(['scan', DEMO, '--format', 'json']);
    const compose = parseReport<{ findings: { rule: string; file: string; line: number; service: string | null }[] }>(r.stdout).findings.filter((f) => f.file === 'docker-compose.yml');
    expect(compose.find((f) => f.rule === 'compose-missing-healthcheck' && f.line === 40)?.service).toBe('api-gateway');
    expect(compose.find((f) => f.rule === 'compose-depends-on-unhealthy' && f.line === 133)?.service).toBe('notification-worker');
    // An entry that runs no workspace service stays unattributed.
    expect(compose.find((f) => f.rule === 'compose-build-missing')?.service).toBeNull();
  });
});
