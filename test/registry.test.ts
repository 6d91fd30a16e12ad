// The registry is the engine's only door to the transforms: it must list
// every module in transforms/<kind>/ exactly once, with matching id and kind.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../transforms/registry.js';
import { REPO } from './helpers/fixtures.js';

const KIND_DIR = { code: 'code', dockerfile: 'docker', compose: 'compose', workflow: 'ci', shell: 'shell', ecs: 'ecs', k8s: 'k8s' } as const;

describe('transform registry', () => {
  it('lists every transform module of the folders, once', () => {
    // A kind may have no transform folder yet.
    const onDisk = Object.values(KIND_DIR).filter((dir) => fs.existsSync(path.join(REPO, 'transforms', dir))).flatMap((dir) =>
      fs
        .readdirSync(path.join(REPO, 'transforms', dir))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => f.replace(/\.ts$/, '')),
    );
    const ids = registry.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...onDisk].sort());
  });

  for (const entry of registry) {
    it(`${entry.id} loads with its own id, kind and folder`, async () => {
      const t = await entry.load();
      expect(t.id).toBe(entry.id);
      expect(t.kind).toBe(entry.kind);
      expect(fs.existsSync(path.join(REPO, 'transforms', KIND_DIR[entry.kind], `${entry.id}.ts`))).toBe(true);
      for (const [id, meta] of Object.entries(t.rules)) {
        expect(meta.id).toBe(id);
        expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        if (meta.fixedBy) expect(t.fix, `${id} names fixer ${meta.fixedBy} but ${t.id} has no fix`).toBeTypeOf('function');
      }
    });
  }
});
