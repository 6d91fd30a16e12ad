// Generated trees, byte for byte. Each fixtures/generators/<case>/ holds a
// case.json (which repo, which kind, which options), the expected new package
// under expected/ (paths relative to the repo root) and changes.diff: the
// unified diff of the repo files `new` edits (compose, CI, workspace), in the
// format of `fix --dry-run`. A case runs `shipshape new` in a temp copy of its
// repo and compares. Regenerate after a reviewed template change with
// SHIPSHAPE_UPDATE_SNAPSHOTS=1 npx vitest run test/new-snapshots.test.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newCommand, type NewOptions } from '../src/commands/new.js';
import { patchOf } from '../src/engine/patch.js';
import type { FileChange } from '../src/engine/pipeline.js';

const REPO = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(REPO, 'fixtures');
const CASES = path.join(FIXTURES, 'generators');
/** Base repos for cases, not cases. */
const NOT_CASES = new Set(['repos']);
const UPDATE = process.env.SHIPSHAPE_UPDATE_SNAPSHOTS === '1';

interface Case {
  description: string;
  repo: string;
  kind: string;
  options: NewOptions;
  answers?: string;
}

function walk(root: string, dir = ''): string[] {
  if (!fs.existsSync(path.join(root, dir))) return [];
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(root, path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)]))
    .sort();
}

const temps: string[] = [];
afterEach(() => {
  temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true }));
  vi.restoreAllMocks();
});

function copyRepo(rel: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-new-'));
  temps.push(dir);
  fs.cpSync(path.join(FIXTURES, rel), dir, { recursive: true, filter: (s) => !/[/\\](node_modules|dist)([/\\]|$)/.test(s) });
  return dir;
}

const names = fs.readdirSync(CASES).filter((n) => fs.statSync(path.join(CASES, n)).isDirectory() && !NOT_CASES.has(n));

describe('generator snapshots (fixtures/generators)', () => {
  it('every case folder has a case.json', () => {
    for (const name of names) expect(fs.existsSync(path.join(CASES, name, 'case.json')), `fixtures/generators/${name}/case.json`).toBe(true);
    expect(names.length).toBeGreaterThanOrEqual(4);
  });

  it('every expected package type-checks with its own tsconfig (pg from a stub of its API: pg is not installed here)', () => {
    const stub = path.join(os.tmpdir(), `shipshape-pg-stub-${process.pid}.d.ts`);
    temps.push(stub);
    fs.writeFileSync(
      stub,
      "declare module 'pg' {\n  export class Pool {\n    constructor(config?: { connectionString?: string; connectionTimeoutMillis?: number });\n" +
        "    query(text: string): Promise<unknown>;\n    end(): Promise<void>;\n    on(event: 'error', listener: (err: Error) => void): this;\n  }\n}\n",
    );
    const configs = names.flatMap((n) => walk(path.join(CASES, n, 'expected')).filter((f) => f.endsWith('/tsconfig.json')).map((f) => path.join(CASES, n, 'expected', f)));
    expect(configs.length).toBe(names.length);
    for (const config of configs) {
      const parsed = ts.getParsedCommandLineOfConfigFile(config, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
      const program = ts.createProgram([...parsed.fileNames, stub], { ...parsed.options, typeRoots: [path.join(REPO, 'node_modules', '@types')] });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(errors, path.relative(CASES, config)).toEqual([]);
      expect(parsed.fileNames.length, config).toBe(2);
    }
  });

  for (const name of names) {
    const caseDir = path.join(CASES, name);
    if (!fs.existsSync(path.join(caseDir, 'case.json'))) continue;
    const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8')) as Case;
    it(`${name}: ${c.description}`, async () => {
      const repo = copyRepo(c.repo);
      const before = Object.fromEntries(walk(repo).map((f) => [f, fs.readFileSync(path.join(repo, f), 'utf8')]));
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const code = await newCommand(c.kind, { ...c.options, root: repo, ...(c.answers ? { answers: path.join(caseDir, c.answers) } : {}) });
      vi.restoreAllMocks();
      expect(code).toBe(0);

      const after = walk(repo);
      const created = after.filter((f) => !(f in before));
      const changed: FileChange[] = after
        .filter((f) => f in before && before[f] !== fs.readFileSync(path.join(repo, f), 'utf8'))
        .map((f) => ({ path: f, before: before[f]!, after: fs.readFileSync(path.join(repo, f), 'utf8'), applied: [] }));
      expect(Object.keys(before).filter((f) => !after.includes(f)), 'no file removed').toEqual([]);
      const diff = patchOf(changed);

      const expectedDir = path.join(caseDir, 'expected');
      if (UPDATE) {
        fs.rmSync(expectedDir, { recursive: true, force: true });
        for (const f of created) {
          fs.mkdirSync(path.dirname(path.join(expectedDir, f)), { recursive: true });
          fs.copyFileSync(path.join(repo, f), path.join(expectedDir, f));
        }
        fs.writeFileSync(path.join(caseDir, 'changes.diff'), diff);
      }
      expect(created, 'the created files').toEqual(walk(expectedDir));
      for (const f of created) expect(fs.readFileSync(path.join(repo, f), 'utf8'), f).toBe(fs.readFileSync(path.join(expectedDir, f), 'utf8'));
      expect(diff, 'changes.diff').toBe(fs.readFileSync(path.join(caseDir, 'changes.diff'), 'utf8'));
    });
  }
});
