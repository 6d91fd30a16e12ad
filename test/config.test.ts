// Config: shipshape.config.{json,js,mjs,cjs,ts,mts} or package.json#shipshape.
// Every invalid config is one error naming the key, exit 2. TypeScript configs
// load on Node 20 with no TypeScript at runtime: types are blanked out
// (src/workspace/ts-strip.ts) through loader hooks, tested here through the
// built CLI because that is the path a user runs.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@babel/parser';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../src/workspace/config.js';
import { stripTypes, TypeStripError } from '../src/workspace/ts-strip.js';
import { tmpWorkspace } from './helpers/tmp.js';
import { parseReport, run } from './report-support.js';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));
const workspace = (files: Record<string, string>) => {
  const dir = tmpWorkspace(files);
  temps.push(dir);
  return dir;
};

const RULES = new Set(['port-not-from-env', 'runs-as-root', 'parse-error']);

describe('validateConfig', () => {
  it('accepts every documented key', () => {
    const cfg = validateConfig(
      { $schema: 'x', rules: { 'runs-as-root': 'off', 'port-not-from-env': 'info' }, ignoreServices: ['legacy'], defaults: { pnpmVersion: '9.12.3', nodeVersion: '22', ports: { api: 4100 } } },
      'shipshape.config.json',
      RULES,
    );
    expect(cfg).toEqual({ rules: { 'runs-as-root': 'off', 'port-not-from-env': 'info' }, ignoreServices: ['legacy'], defaults: { pnpmVersion: '9.12.3', nodeVersion: '22', ports: { api: 4100 } } });
  });

  it.each([
    [[], '(root)'],
    [{ rule: {} }, 'rule'],
    [{ rules: ['runs-as-root'] }, 'rules'],
    [{ rules: { 'no-such-rule': 'off' } }, 'rules.no-such-rule'],
    [{ rules: { 'runs-as-root': 'critical' } }, 'rules.runs-as-root'],
    [{ ignoreServices: 'legacy' }, 'ignoreServices'],
    [{ ignoreServices: [1] }, 'ignoreServices'],
    [{ defaults: [] }, 'defaults'],
    [{ defaults: { pnpm: '9' } }, 'defaults.pnpm'],
    [{ defaults: { pnpmVersion: 'latest' } }, 'defaults.pnpmVersion'],
    [{ defaults: { nodeVersion: 22 } }, 'defaults.nodeVersion'],
    [{ defaults: { ports: [3000] } }, 'defaults.ports'],
    [{ defaults: { ports: { api: 70000 } } }, 'defaults.ports.api'],
    [{ defaults: { ports: { api: '3000' } } }, 'defaults.ports.api'],
  ])('%j is one error naming "%s"', (raw, key) => {
    expect(() => validateConfig(raw, 'shipshape.config.json', RULES)).toThrow(ConfigError);
    expect(() => validateConfig(raw, 'shipshape.config.json', RULES)).toThrow(`shipshape.config.json: "${key}"`);
  });
});

describe('loadConfig', () => {
  const manifest = { name: 'ws' };

  it('reads shipshape.config.json, .mjs, .cjs and package.json#shipshape', async () => {
    const cfg = { rules: { 'runs-as-root': 'off' } };
    expect((await loadConfig(workspace({ 'shipshape.config.json': JSON.stringify(cfg) }), manifest, RULES)).rules).toEqual(cfg.rules);
    expect((await loadConfig(workspace({ 'shipshape.config.mjs': `export default ${JSON.stringify(cfg)};\n` }), manifest, RULES)).rules).toEqual(cfg.rules);
    expect((await loadConfig(workspace({ 'shipshape.config.cjs': `module.exports = ${JSON.stringify(cfg)};\n` }), manifest, RULES)).rules).toEqual(cfg.rules);
    expect((await loadConfig(workspace({}), { ...manifest, shipshape: cfg }, RULES)).rules).toEqual(cfg.rules);
    expect(await loadConfig(workspace({}), manifest, RULES)).toEqual({ rules: {}, ignoreServices: [], defaults: {} });
  });

  it('refuses two config sources, broken JSON, a module without default export, a module that throws', async () => {
    await expect(loadConfig(workspace({ 'shipshape.config.json': '{}', 'shipshape.config.mjs': 'export default {};\n' }), manifest, RULES)).rejects.toThrow(
      'shipshape.config.json and shipshape.config.mjs: more than one shipshape config; keep one',
    );
    await expect(loadConfig(workspace({ 'shipshape.config.json': '{}' }), { ...manifest, shipshape: {} }, RULES)).rejects.toThrow(/and package.json#shipshape: more than one/);
    await expect(loadConfig(workspace({ 'shipshape.config.json': '{ rules: }' }), manifest, RULES)).rejects.toThrow(/^shipshape.config.json: invalid JSON/);
    await expect(loadConfig(workspace({ 'shipshape.config.mjs': 'export const rules = {};\n' }), manifest, RULES)).rejects.toThrow('shipshape.config.mjs: no default export');
    await expect(loadConfig(workspace({ 'shipshape.config.mjs': "throw new Error('boom');\n" }), manifest, RULES)).rejects.toThrow('shipshape.config.mjs: cannot load: boom');
  });
});

describe('stripTypes', () => {
  const src = [
    "import type { Cfg } from './types.js';",
    "import { type A, readFileSync } from 'node:fs';",
    'export interface Extra { x: number }',
    "export type Sev = 'off' | 'info';",
    'declare const injected: string;',
    'function pick<T>(value: T, _n?: number): T { return value; }',
    'let later!: string;',
    'const ports = { api: 3000 } as const;',
    "const config = { rules: { 'a': pick<Sev>('off') }, ports: ports!, list: <string[]>[] } satisfies Cfg;",
    'export default config;',
    '',
  ].join('\n');

  it('blanks exactly the type syntax and keeps every line and column', () => {
    const out = stripTypes(src, 'shipshape.config.ts');
    expect(out.length).toBe(src.length);
    expect(out.split('\n').length).toBe(src.split('\n').length);
    // Plain JavaScript now: parses without the typescript plugin.
    expect(() => parse(out, { sourceType: 'module' })).not.toThrow();
    const lines = out.split('\n').map((l) => l.trimEnd());
    expect(lines[0]).toBe('');
    expect(lines[1]).toMatch(/^import \{\s+readFileSync \} from 'node:fs';$/);
    expect(lines[2]).toBe('');
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe('');
    expect(lines[5]).toMatch(/^function pick\s*\(value\s*,\s*_n\s*\)\s*\{ return value; \}$/);
    expect(lines[6]).toMatch(/^let later\s*;$/);
    expect(lines[7]).toMatch(/^const ports = \{ api: 3000 \}\s*;$/);
    expect(lines[8]).toMatch(/^const config = \{ rules: \{ 'a': pick\s*\('off'\) \}, ports: ports\s*, list:\s*\[\] \}\s*;$/);
    expect(lines[9]).toBe('export default config;');
  });

  it.each([
    ['enum Level { Off }\nexport default {};', 1, /an enum/],
    ['export default {};\nnamespace N { export const x = 1; }', 2, /a namespace/],
    ['class A { constructor(private x: number) {} }\nexport default {};', 1, /parameter property/],
    ['import fs = require("fs");\nexport default {};', 1, /import x = require/],
    ['export default {;', 1, /Unexpected token/],
  ])('refuses %j at line %i instead of guessing', (code, line, why) => {
    expect(() => stripTypes(code, 'shipshape.config.ts')).toThrow(TypeStripError);
    expect(() => stripTypes(code, 'shipshape.config.ts')).toThrow(new RegExp(`^shipshape\\.config\\.ts:${line}: `));
    expect(() => stripTypes(code, 'shipshape.config.ts')).toThrow(why);
  });
});

describe('shipshape.config.ts through the built CLI (Node 20, no TypeScript at runtime)', () => {
  const API = {
    'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['services/*'] }),
    'services/api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '^5.0.0' } }),
    'services/api/src/index.js': "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(3000);\n",
  };

  it('applies a typed config (and the local .ts module it imports); invalid ones exit 2 naming the key or the line', async () => {
    const good = workspace({
      ...API,
      'shipshape.config.ts': [
        "import type { Severity } from './severity.ts';",
        "import { quiet } from './quiet.ts';",
        'interface Config { rules?: Record<string, Severity | \'off\'>; ignoreServices?: string[] }',
        'const config = { rules: { ...quiet, \'unused-suppression\': \'off\' as Severity | \'off\' } } satisfies Config;',
        'export default config;',
        '',
      ].join('\n'),
      'severity.ts': "export type Severity = 'blocking' | 'risky' | 'info';\n",
      'quiet.ts': "export const quiet: Record<string, 'info'> = { 'port-not-from-env': 'info' };\n",
    });
    const badKey = workspace({ ...API, 'shipshape.config.ts': "const cfg: object = { rules: { 'port-not-from-env': 'of' } };\nexport default cfg;\n" });
    const enumCfg = workspace({ ...API, 'shipshape.config.mts': "\nenum Sev { Off = 'off' }\nexport default { rules: { 'port-not-from-env': Sev.Off } };\n" });
    const ignored = workspace({ ...API, 'shipshape.config.ts': "export default { ignoreServices: ['api'] as string[] };\n" });
    const [plain, g, k, e, i] = await Promise.all([
      run(['scan', workspace(API), '--format', 'json']),
      run(['scan', good, '--format', 'json']),
      run(['scan', badKey, '--format', 'json']),
      run(['scan', enumCfg, '--format', 'json']),
      run(['scan', ignored, '--format', 'json']),
    ]);
    const before = parseReport(plain!.stdout);
    expect(before.findings).toContainEqual(expect.objectContaining({ rule: 'port-not-from-env', severity: 'blocking' }));

    expect(g!.stderr).toBe('');
    const after = parseReport(g!.stdout);
    expect(after.findings).toContainEqual(expect.objectContaining({ rule: 'port-not-from-env', severity: 'info' }));

    expect(k!.code).toBe(2);
    expect(k!.stdout).toBe('');
    expect(k!.stderr).toBe('shipshape: shipshape.config.ts: "rules.port-not-from-env" must be one of blocking, risky, info, off\n');

    expect(e!.code).toBe(2);
    expect(e!.stderr).toMatch(/^shipshape: shipshape\.config\.mts:2: an enum needs the TypeScript compiler/);

    expect(i!.code).toBe(0);
    const none = parseReport(i!.stdout);
    expect(none.services).toEqual([]);
    expect(none.findings.filter((f) => f.service === 'api')).toEqual([]);
  });

  it('the TypeScript config is read without writing anything into the repository', async () => {
    const dir = workspace({ ...API, 'shipshape.config.ts': "export default { rules: { 'port-not-from-env': 'off' as const } };\n" });
    const before = fs.readdirSync(dir).sort();
    const r = await run(['scan', dir, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(parseReport(r.stdout).findings.map((f) => f.rule)).not.toContain('port-not-from-env');
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(fs.readdirSync(path.join(dir, 'services', 'api'))).not.toContain('node_modules');
  });
});
