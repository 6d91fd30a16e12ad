// Which prettier config formats a changed file: the nearest one inside the
// root, as prettier itself resolves it, and none from above the root.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatChanged, type ConfigLookup } from '../src/engine/format.js';
import { tmpWorkspace } from './helpers/tmp.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const before = 'export const a = 1;\n';
const after = 'export const a = 1;\nexport const b = {x:"y"}\n';

function repo(files: Record<string, string>): string {
  const root = tmpWorkspace(files);
  made.push(root);
  return root;
}

describe('formatChanged: the prettier config of a changed file', () => {
  it('leaves the text as the transform printed it when no config is inside the root', async () => {
    const root = repo({ 'services/a/package.json': '{"name":"a"}\n' });
    expect(await formatChanged(root, 'services/a/src/index.ts', before, after)).toBe(after);
  });

  it('uses the root config for files deep below it', async () => {
    const root = repo({ '.prettierrc': '{"singleQuote": true}\n', 'services/a/package.json': '{"name":"a"}\n' });
    expect(await formatChanged(root, 'services/a/src/lib/index.ts', before, after)).toBe("export const a = 1;\nexport const b = { x: 'y' };\n");
  });

  it('prefers the nearest config: a service folder file, or a "prettier" key of its package.json', async () => {
    const root = repo({
      '.prettierrc': '{"singleQuote": true}\n',
      'services/a/.prettierrc.json': '{"semi": false}\n',
      'services/b/package.json': '{"name":"b","prettier":{"bracketSpacing":false}}\n',
      'services/c/package.json': '{"name":"c"}\n',
    });
    const lookup: ConfigLookup = new Map();
    expect(await formatChanged(root, 'services/a/src/index.ts', before, after, lookup)).toBe('export const a = 1;\nexport const b = { x: "y" }\n');
    expect(await formatChanged(root, 'services/b/src/index.ts', before, after, lookup)).toBe('export const a = 1;\nexport const b = {x: "y"};\n');
    expect(await formatChanged(root, 'services/c/src/index.ts', before, after, lookup)).toBe("export const a = 1;\nexport const b = { x: 'y' };\n");
  });

  it('ignores a config above the root (the run formats by the repository, not the machine)', async () => {
    const outer = repo({ '.prettierrc': '{"singleQuote": true}\n', 'repo/services/a/package.json': '{"name":"a"}\n' });
    expect(await formatChanged(path.join(outer, 'repo'), 'services/a/src/index.ts', before, after)).toBe(after);
  });

  it('asks about each folder once per run, even for files changed at once', async () => {
    const root = repo({ '.prettierrc': '{}\n' });
    const lookup: ConfigLookup = new Map();
    await Promise.all(['x/a.ts', 'x/b.ts', 'x/y/c.ts'].map((f) => formatChanged(root, f, before, after, lookup)));
    expect([...lookup.keys()].map((d) => path.relative(root, d)).sort()).toEqual(['', 'x', path.join('x', 'y')]);
  });
});
