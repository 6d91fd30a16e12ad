// Workspace discovery per SPEC: pnpm globs, package.json#workspaces, lerna,
// else folders up to three levels deep; .gitignore honoured; node_modules,
// dist and build output never read.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../src/workspace/discover.js';
import { tmpWorkspace } from './helpers/tmp.js';

const roots: string[] = [];
const ws = (files: Record<string, string>) => {
  const r = tmpWorkspace(files);
  roots.push(r);
  return r;
};
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const pkg = (name: string, extra: object = {}) => JSON.stringify({ name, ...extra });

describe('discover', () => {
  it('follows pnpm-workspace.yaml globs, negations included', () => {
    const root = ws({
      'package.json': pkg('root'),
      'pnpm-workspace.yaml': "packages:\n  - 'services/*'\n  - '!services/skip'\n",
      'services/a/package.json': pkg('a'),
      'services/skip/package.json': pkg('skip'),
      'other/c/package.json': pkg('c'),
    });
    const d = discover(root);
    expect(d.source).toBe('pnpm-workspace');
    expect(d.packages.map((p) => p.dir)).toEqual(['services/a']);
  });

  it('follows package.json#workspaces in array and object form', () => {
    const a = discover(ws({ 'package.json': pkg('root', { workspaces: ['apps/*'] }), 'apps/x/package.json': pkg('x') }));
    expect(a.packages.map((p) => p.dir)).toEqual(['apps/x']);
    const b = discover(ws({ 'package.json': pkg('root', { workspaces: { packages: ['libs/*'] } }), 'libs/y/package.json': pkg('y') }));
    expect(b.source).toBe('workspaces');
    expect(b.packages.map((p) => p.dir)).toEqual(['libs/y']);
  });

  it('follows lerna.json', () => {
    const d = discover(ws({ 'package.json': pkg('root'), 'lerna.json': JSON.stringify({ packages: ['pkgs/*'] }), 'pkgs/z/package.json': pkg('z') }));
    expect(d.source).toBe('lerna');
    expect(d.packages.map((p) => p.dir)).toEqual(['pkgs/z']);
  });

  it('falls back to folders up to three levels deep, honouring .gitignore and never node_modules or dist', () => {
    const root = ws({
      '.gitignore': 'legacy/\n',
      'one/package.json': pkg('one'),
      'a/b/two/package.json': pkg('two'),
      'a/b/c/d/too-deep/package.json': pkg('deep'),
      'legacy/old/package.json': pkg('old'),
      'node_modules/dep/package.json': pkg('dep'),
      'one/node_modules/x/package.json': pkg('x'),
      'dist/pkg/package.json': pkg('built'),
    });
    const d = discover(root);
    expect(d.source).toBe('folders');
    expect(d.packages.map((p) => p.dir)).toEqual(['a/b/two', 'one']);
  });

  it('lists each file once, owned by its deepest package, skipping tests and build output', () => {
    const root = ws({
      'package.json': pkg('root', { workspaces: ['services/*'] }),
      'services/a/package.json': pkg('a'),
      'services/a/src/index.ts': 'export {}\n',
      'services/a/src/index.test.ts': 'export {}\n',
      'services/a/dist/index.js': 'x\n',
      'services/a/Dockerfile': 'FROM node:22\n',
      'services/a/entrypoint.sh': '#!/bin/sh\n',
      'services/a/scripts/build.sh': '#!/bin/sh\n',
      'docker-compose.yml': 'services: {}\n',
      '.github/workflows/ci.yml': 'on: push\n',
    });
    const d = discover(root);
    expect(d.files.map((f) => [f.kind, f.path, f.pkg])).toEqual([
      ['workflow', '.github/workflows/ci.yml', null],
      ['compose', 'docker-compose.yml', null],
      ['dockerfile', 'services/a/Dockerfile', 'services/a'],
      ['shell', 'services/a/entrypoint.sh', 'services/a'],
      ['code', 'services/a/src/index.ts', 'services/a'],
    ]);
  });

  it('reports an invalid package.json instead of crashing', () => {
    const d = discover(ws({ 'package.json': pkg('root', { workspaces: ['s/*'] }), 's/a/package.json': '{ nope' }));
    expect(d.packages).toEqual([]);
    expect(d.problems[0]).toMatchObject({ file: 's/a/package.json', line: 1 });
  });
});
