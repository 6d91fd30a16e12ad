// Code transforms also run under the plain jscodeshift CLI (with --no-babel:
// the built modules are ESM and Node loads them as they are).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../transforms/registry.js';
import { REPO } from './helpers/fixtures.js';
import { tmpWorkspace } from './helpers/tmp.js';

const JSCODESHIFT = path.join(REPO, 'node_modules', 'jscodeshift', 'bin', 'jscodeshift.js');
const dir = tmpWorkspace({ 'index.js': "const express = require('express');\nconst app = express();\napp.listen(3004, () => console.log('up'));\n" });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(id: string, file: string) {
  const r = spawnSync(process.execPath, [JSCODESHIFT, '--no-babel', '-t', path.join(REPO, 'dist', 'transforms', 'code', `${id}.js`), file, '--dry', '--print', '--silent'], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('jscodeshift -t dist/transforms/code/<id>.js', () => {
  it('port-from-env rewrites a literal port exactly as shipshape fix does', () => {
    const r = run('port-from-env', path.join(dir, 'index.js'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("const express = require('express');\nconst app = express();\napp.listen(Number(process.env.PORT ?? 3004), '0.0.0.0', () => console.log('up'));\n\n");
  });

  for (const e of registry.filter((x) => x.kind === 'code')) {
    it(`${e.id} loads and runs without errors`, () => {
      const r = run(e.id, path.join(dir, 'index.js'));
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    });
  }
});
