// dockerfile-lockfile, dockerfile-pin-pnpm and dockerfile-runtime-node edit the
// same Dockerfiles in one pass (registry order) and must never fight: on every
// Dockerfile of the demo monorepo the three together reach a fixed point (a
// second run changes nothing), leave no fixable finding behind, and leave no
// package-manager call in the final (runtime) stage.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageManagerOf } from '../src/engine/analyze.js';
import { parseDockerfile, type DockerfileTree } from '../src/engine/dockerfile.js';
import { isDockerfile } from '../src/engine/parsers.js';
import { fixFile, scanFile } from '../src/engine/run-file.js';
import { PACKAGE_MANAGERS, stripWrappers } from '../src/engine/shell.js';
import { defaultService, standaloneWorkspace } from '../src/engine/standalone.js';
import type { AnyTransform, Service } from '../src/engine/types.js';
import { transform as lockfile } from '../transforms/docker/dockerfile-lockfile.js';
import { transform as pinPnpm } from '../transforms/docker/dockerfile-pin-pnpm.js';
import { transform as runtimeNode } from '../transforms/docker/dockerfile-runtime-node.js';
import { FIXTURES } from './helpers/fixtures.js';

const ROOT = path.join(FIXTURES, 'monorepo');
const mine = [lockfile, pinPnpm, runtimeNode] as AnyTransform[];

function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' || e.name === '.next' ? [] : walk(dir, p);
    return [p];
  });
}

const files = walk(ROOT);
const dockerfiles = files.filter((f) => isDockerfile(path.basename(f)) && !f.endsWith('.dockerignore'));
const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

/** One service per package.json folder, as discovery would find them. */
const services: Service[] = files
  .filter((f) => path.basename(f) === 'package.json' && f !== 'package.json')
  .map((f) => {
    const dir = path.posix.dirname(f);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as Record<string, unknown>;
    const dockerfile = dockerfiles.find((d) => path.posix.dirname(d) === dir) ?? null;
    const name = String(manifest.name ?? path.posix.basename(dir)).replace(/^@[^/]+\//, '');
    return defaultService({ name, dir, manifest, dockerfile, type: dir.startsWith('shared/') ? 'lib' : 'api' });
  });

const ws = standaloneWorkspace({ root: ROOT, services, packageManager: packageManagerOf(rootManifest, ROOT) });

function fix(file: string, text: string) {
  const service = services.find((s) => s.dockerfile === file) ?? null;
  return fixFile({ kind: 'dockerfile', path: file, text, service }, mine, mine, ws);
}

/** Package-manager calls (or `prisma generate`) left in the final stage's RUN/CMD/ENTRYPOINT. */
function packageManagerCalls(tree: DockerfileTree): string[] {
  const calls: string[] = [];
  for (const instr of tree.final?.instructions ?? []) {
    if (!['RUN', 'CMD', 'ENTRYPOINT'].includes(instr.keyword)) continue;
    const commands = instr.execForm ? [instr.execForm] : (tree.shellOf(instr)?.commands.map((c) => c.args) ?? []);
    for (const args of commands) {
      const words = stripWrappers(args);
      const head = words[0] ?? '';
      if ((PACKAGE_MANAGERS as readonly string[]).includes(head) || words.join(' ').includes('prisma generate')) calls.push(`${instr.line}: ${instr.keyword} ${instr.args}`);
    }
  }
  return calls;
}

describe('lockfile + pin-pnpm + runtime-node on the demo monorepo', () => {
  it('finds the demo Dockerfiles', () => {
    expect(dockerfiles.length).toBeGreaterThan(0);
  });

  for (const file of dockerfiles) {
    describe(file, () => {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const first = fix(file, text);
      const fixed = first.output ?? text;

      it('fixes without errors and reaches a fixed point', () => {
        expect(first.error).toBeUndefined();
        const again = fix(file, fixed);
        expect(again.error).toBeUndefined();
        expect(again.output).toBeUndefined();
      });

      it('leaves no fixable finding behind', () => {
        const service = services.find((s) => s.dockerfile === file) ?? null;
        const left = scanFile({ kind: 'dockerfile', path: file, text: fixed, service }, mine, ws).findings.filter((f) => f.fix !== null);
        expect(left).toEqual([]);
      });

      it('leaves no package manager in the final stage', () => {
        expect(packageManagerCalls(parseDockerfile(fixed))).toEqual([]);
      });
    });
  }

  it('splits the single-stage api-gateway and pins its pnpm', () => {
    const file = 'services/api-gateway/Dockerfile';
    expect(dockerfiles).toContain(file);
    const out = fix(file, fs.readFileSync(path.join(ROOT, file), 'utf8'));
    const tree = parseDockerfile(out.output ?? '');
    expect(tree.stages.length).toBe(2);
    expect(out.output).toContain('corepack prepare pnpm@9.12.3 --activate');
    expect(tree.final?.instructions.at(-1)?.execForm).toEqual(['dumb-init', 'node', 'dist/index.js']);
  });

  it('turns the npm worker into the pnpm build', () => {
    const file = 'services/notification-worker/Dockerfile';
    expect(dockerfiles).toContain(file);
    const out = fix(file, fs.readFileSync(path.join(ROOT, file), 'utf8'));
    expect(out.output).toContain('pnpm install --frozen-lockfile --filter notification-worker...');
    expect(out.output).toContain('COPY package*.json pnpm-lock.yaml pnpm-workspace.yaml ./');
    expect(out.applied).toEqual(['dockerfile-lockfile', 'dockerfile-runtime-node']);
  });
});
