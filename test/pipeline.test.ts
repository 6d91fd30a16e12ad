// The fix pipeline end to end with a small test transform: one parse per file,
// byte-preserving writes (CRLF, BOM), bad input reported and skipped, atomic
// writes, patches that real `git apply` accepts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileDiff, patchOf } from '../src/engine/patch.js';
import { runFix, runScan } from '../src/engine/pipeline.js';
import type { AnyTransform, Transform } from '../src/engine/types.js';
import { writeAtomic } from '../src/engine/write.js';
import { tmpWorkspace } from './helpers/tmp.js';

/** Renames identifiers `legacyPort` to `port`: small enough to reason about every byte. */
const rename: Transform<'code'> = {
  id: 'test-rename',
  kind: 'code',
  description: 'test transform',
  rules: { 'test-legacy-name': { id: 'test-legacy-name', severity: 'blocking', description: 'legacy name', fixedBy: 'test-rename' } },
  detect: (ctx) =>
    ctx.root
      .find(ctx.j.Identifier, { name: 'legacyPort' })
      .paths()
      .map((p) => ({ rule: 'test-legacy-name', line: p.node.loc?.start.line ?? 1, message: 'legacyPort is legacy' })),
  fix: (ctx) => {
    const found = ctx.root.find(ctx.j.Identifier, { name: 'legacyPort' }).filter((p) => !ctx.suppressed('test-legacy-name', p.node.loc?.start.line ?? 0));
    found.forEach((p) => {
      p.node.name = 'port';
    });
    return found.size() > 0;
  },
};

/** Adds a line after FROM: exercises text edits and created files. */
const dockerTouch: Transform<'dockerfile'> = {
  id: 'test-docker',
  kind: 'dockerfile',
  description: 'test transform',
  rules: { 'test-docker-rule': { id: 'test-docker-rule', severity: 'info', description: 'x', fixedBy: 'test-docker' } },
  detect: (ctx) => (ctx.text.includes('LABEL fixed') ? [] : [{ rule: 'test-docker-rule', line: 1, message: 'no label' }]),
  fix: (ctx) => {
    ctx.createFile({ path: `${path.posix.dirname(ctx.path)}/.dockerignore`, text: 'node_modules\n' });
    const from = ctx.tree.instructions[0]!;
    return ctx.text.includes('LABEL fixed') ? [] : [{ start: from.lineEnd, end: from.lineEnd, text: 'LABEL fixed=1\n' }];
  },
};

/** Appends a line on every pass: a fix that never settles. */
const dockerLoop: Transform<'dockerfile'> = {
  id: 'test-docker-loop',
  kind: 'dockerfile',
  description: 'test transform',
  rules: { 'test-docker-loop': { id: 'test-docker-loop', severity: 'info', description: 'x', fixedBy: 'test-docker-loop' } },
  detect: () => [{ rule: 'test-docker-loop', line: 1, message: 'always' }],
  fix: (ctx) => [{ start: ctx.text.length, end: ctx.text.length, text: 'LABEL again=1\n' }],
};

const transforms = [rename, dockerTouch] as AnyTransform[];
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function workspace(files: Record<string, string | Buffer>): string {
  const root = tmpWorkspace({ 'package.json': JSON.stringify({ name: 'root', workspaces: ['services/*'] }), 'services/a/package.json': '{"name":"a"}', ...files });
  roots.push(root);
  return root;
}

describe('fix pipeline', () => {
  it('keeps CRLF line endings and the BOM of a changed file, and untouched bytes', async () => {
    const src = '\ufeff// keep me\r\nconst legacyPort  =  3000 ;\r\nexport { legacyPort };\r\n';
    const root = workspace({ 'services/a/src/index.ts': src });
    const result = await runFix(root, transforms, transforms);
    expect(result.changes).toHaveLength(1);
    expect(result.changes[0]!.after).toBe('\ufeff// keep me\r\nconst port  =  3000 ;\r\nexport { port };\r\n');
    expect(result.changes[0]!.applied).toEqual(['test-rename']);
  });

  it('reports a syntax error as file:line, skips the file and goes on', async () => {
    const root = workspace({ 'services/a/src/bad.ts': 'const x = ;\n', 'services/a/src/good.ts': 'export const legacyPort = 1;\n' });
    const result = await runFix(root, transforms, transforms);
    expect(result.failures).toEqual([expect.objectContaining({ path: 'services/a/src/bad.ts', line: 1 })]);
    expect(result.changes.map((c) => c.path)).toEqual(['services/a/src/good.ts']);
    const scan = await runScan(root, transforms);
    const parseErrors = scan.findings.filter((f) => f.rule === 'parse-error');
    expect(parseErrors).toHaveLength(1);
    expect(parseErrors[0]!.message).toMatch(/^services\/a\/src\/bad\.ts:1: /);
  });

  it('reports binary, non-UTF-8 and empty files without crashing', async () => {
    const root = workspace({
      'services/a/src/bin.js': Buffer.from([0x00, 0x01, 0x02]),
      'services/a/src/latin1.js': Buffer.from([0x63, 0x6f, 0x6e, 0x73, 0x74, 0x20, 0xe9]),
      'services/a/src/empty.ts': '',
    });
    const scan = await runScan(root, transforms);
    expect(scan.findings.map((f) => [f.rule, f.file])).toEqual([
      ['parse-error', 'services/a/src/bin.js'],
      ['parse-error', 'services/a/src/latin1.js'],
    ]);
  });

  it('honours shipshape-ignore for reports and fixes, and reports unused ones', async () => {
    const src = '// shipshape-ignore test-legacy-name\nconst legacyPort = 1;\n// shipshape-ignore test-legacy-name\nconst other = 2;\nexport { legacyPort, other };\n';
    const root = workspace({ 'services/a/src/index.ts': src });
    const scan = await runScan(root, transforms);
    expect(scan.findings.map((f) => [f.rule, f.line])).toEqual([
      ['unused-suppression', 3],
      ['test-legacy-name', 5],
    ]);
    expect(scan.suppressed).toBe(1);
  });

  it('applies config severities and turns rules off', async () => {
    const root = workspace({
      'services/a/src/index.ts': 'export const legacyPort = 1;\n',
      'shipshape.config.json': JSON.stringify({ rules: { 'test-legacy-name': 'info' } }),
    });
    const scan = await runScan(root, transforms);
    expect(scan.findings.map((f) => [f.rule, f.severity])).toEqual([['test-legacy-name', 'info']]);
  });

  it('keeps a file whose fixes never settle unchanged and reports it', async () => {
    const root = workspace({ 'services/a/Dockerfile': 'FROM node:22-alpine\nCMD ["node","x.js"]\n' });
    const result = await runFix(root, [dockerLoop] as AnyTransform[], [dockerLoop] as AnyTransform[]);
    expect(result.changes).toEqual([]);
    expect(result.failures).toEqual([expect.objectContaining({ path: 'services/a/Dockerfile', message: expect.stringMatching(/test-docker-loop did not settle after 10 passes; nothing was changed/) })]);
  });

  it('creates new files once and attributes them to their transform', async () => {
    const root = workspace({ 'services/a/Dockerfile': 'FROM node:22-alpine\nCMD ["node","x.js"]\n' });
    const result = await runFix(root, transforms, transforms);
    expect(result.changes.map((c) => [c.path, c.before === null, c.applied])).toEqual([
      ['services/a/.dockerignore', true, ['test-docker']],
      ['services/a/Dockerfile', false, ['test-docker']],
    ]);
    expect(result.changes[1]!.after).toBe('FROM node:22-alpine\nLABEL fixed=1\nCMD ["node","x.js"]\n');
  });

  it('writes a patch that git apply accepts, including new files and CRLF', async () => {
    const root = workspace({
      'services/a/src/index.ts': 'const legacyPort = 1;\r\nexport { legacyPort };\r\n',
      'services/a/Dockerfile': 'FROM node:22-alpine\nCMD ["node","x.js"]',
    });
    execFileSync('git', ['init', '-q'], { cwd: root });
    const result = await runFix(root, transforms, transforms);
    const patchFile = path.join(root, '..', `${path.basename(root)}.patch`);
    fs.writeFileSync(patchFile, patchOf(result.changes));
    try {
      execFileSync('git', ['apply', '--check', patchFile], { cwd: root });
      execFileSync('git', ['apply', patchFile], { cwd: root });
    } finally {
      fs.rmSync(patchFile);
    }
    for (const c of result.changes) expect(fs.readFileSync(path.join(root, c.path), 'utf8')).toBe(c.after);
    const again = await runFix(root, transforms, transforms);
    expect(again.changes).toEqual([]);
  });

  it('prints a reviewable unified diff with a/ b/ paths', () => {
    const diff = fileDiff({ path: 'x/y.ts', before: 'a\nb\n', after: 'a\nc\n', applied: [] });
    expect(diff).toBe('diff --git a/x/y.ts b/x/y.ts\n--- a/x/y.ts\n+++ b/x/y.ts\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
  });

  it('formats only the changed span, and only when the repo has a prettier config', async () => {
    const src = 'const  untouched = {a:1};\nfunction f() { return legacyPort }\nconst legacyPort = 1;\nexport { f, untouched };\n';
    const plain = workspace({ 'services/a/src/index.ts': src });
    const [withoutConfig] = (await runFix(plain, transforms, transforms)).changes;
    expect(withoutConfig!.after).toContain('const  untouched = {a:1};\nfunction f() { return port');
    const styled = workspace({ 'services/a/src/index.ts': src, '.prettierrc': '{"semi": true}\n' });
    const [withConfig] = (await runFix(styled, transforms, transforms)).changes;
    expect(withConfig!.after).toContain('const  untouched = {a:1};');
    expect(withConfig!.after).toContain('function f() {\n  return port;\n}');
  });
});

describe('atomic write', () => {
  it('replaces the file and keeps its mode; refuses paths outside the root', () => {
    const root = workspace({ 'x.sh': 'old' });
    fs.chmodSync(path.join(root, 'x.sh'), 0o755);
    writeAtomic(root, 'x.sh', 'new');
    expect(fs.readFileSync(path.join(root, 'x.sh'), 'utf8')).toBe('new');
    expect(fs.statSync(path.join(root, 'x.sh')).mode & 0o777).toBe(0o755);
    expect(fs.readdirSync(root).filter((f) => f.includes('shipshape'))).toEqual([]);
    expect(() => writeAtomic(root, '../escape.txt', 'x')).toThrow(/outside/);
  });
});
