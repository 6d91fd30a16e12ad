// The pnpm commands dockerfile-lockfile writes, run for real with pnpm (a dev
// dependency, the version the fixtures pin) on the layout the fixed
// Dockerfile builds: the image holds only the root manifests, the lockfile and
// the one service's package.json. There is no Docker engine here, so the image
// root is a temp folder standing in for /app, and the commands are the RUN
// lines of the fixed fixture itself, read with shipshape's own parsers. A
// lockfile with an importer the image does not have (another service) is
// what a workspace really looks like. Needs the npm registry, as `npm ci` does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile } from '../src/engine/dockerfile.js';
import { FIXTURES, REPO } from './helpers/fixtures.js';

const PNPM = path.join(REPO, 'node_modules', '.bin', 'pnpm');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-pnpm-'));
const repo = path.join(tmp, 'repo');
const image = path.join(tmp, 'image'); // stands in for the image's /app
const env = { ...process.env, npm_config_store_dir: path.join(tmp, 'store'), PATH: `${path.dirname(PNPM)}${path.delimiter}${process.env.PATH}` };

function write(root: string, files: Record<string, unknown>) {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/** The commands of the builder stage's RUN lines that call pnpm or rm, as argv. */
function pnpmRuns(fixture: string): string[][] {
  const tree = parseDockerfile(fs.readFileSync(path.join(FIXTURES, fixture), 'utf8'));
  const builder = tree.stages[0]!;
  return builder.instructions
    .filter((i) => i.keyword === 'RUN')
    .flatMap((i) => tree.shellOf(i)?.commands.map((c) => c.args) ?? [])
    .filter((args) => (args[0] === 'pnpm' && args[1] === 'install') || args[0] === 'rm');
}

/** Runs one command the way the Dockerfile does, with the image's /app mapped to the temp image root. */
function runInImage(args: string[], workdir: string, at = image) {
  const mapped = args.map((a) => (a === '/app' || a.startsWith('/app/') ? path.join(at, a.slice('/app'.length)) : a));
  execFileSync(mapped[0]!, mapped.slice(1), { cwd: path.join(at, workdir.slice('/app'.length)), env, stdio: 'pipe', timeout: 120_000 });
}

/** Whether node, started in `dir`, resolves `pkg` (a child process: this one caches resolutions). */
function resolvesFrom(dir: string, pkg: string): boolean {
  try {
    execFileSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(pkg)})`], { cwd: dir, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const root = { name: 'platform', private: true, packageManager: 'pnpm@9.12.3' };
const gateway = { name: 'api-gateway', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' } };
const worker = { name: 'cache-worker', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' }, devDependencies: { 'is-number': '7.0.0' } };

beforeAll(() => {
  write(repo, {
    'package.json': root,
    'pnpm-workspace.yaml': 'packages:\n  - services/*\n',
    'services/cache-worker/package.json': worker,
    'services/other/package.json': { name: 'other', version: '1.0.0', private: true, dependencies: { 'is-odd': '3.0.1' } },
    'services/api-gateway/package.json': gateway,
  });
  execFileSync(PNPM, ['install', '--lockfile-only'], { cwd: repo, env, stdio: 'pipe', timeout: 120_000 });
  // What the fixed Dockerfile copies: root manifests + lockfile into /app, the service's manifest into its folder.
  for (const f of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']) fs.cpSync(path.join(repo, f), path.join(image, f));
  fs.cpSync(path.join(repo, 'services/cache-worker/package.json'), path.join(image, 'services/cache-worker/package.json'));
}, 180_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the pnpm build dockerfile-lockfile writes (npm ci + npm prune --omit=dev converted)', () => {
  const service = path.join(image, 'services/cache-worker');
  const runs = pnpmRuns('dockerfile-lockfile/npm-prune-omit-dev-to-pnpm/output.Dockerfile');

  it('the fixture holds the install, then the prune as rm + a --prod install', () => {
    expect(runs.map((r) => r[0])).toEqual(['pnpm', 'rm', 'pnpm']);
  });

  it('installs the service and its devDependencies from the frozen lockfile, without the other services', () => {
    runInImage(runs[0]!, '/app/services/cache-worker');
    expect(resolvesFrom(service, 'ms')).toBe(true);
    expect(resolvesFrom(service, 'is-number')).toBe(true);
    expect(fs.existsSync(path.join(image, 'node_modules', '.pnpm'))).toBe(true);
    expect(fs.readdirSync(path.join(image, 'node_modules', '.pnpm')).some((d) => d.startsWith('is-odd@'))).toBe(false);
  }, 180_000);

  it('the prune leaves the production dependencies and drops the devDependencies', () => {
    runInImage(runs[1]!, '/app/services/cache-worker');
    runInImage(runs[2]!, '/app/services/cache-worker');
    expect(resolvesFrom(service, 'ms')).toBe(true);
    expect(resolvesFrom(service, 'is-number')).toBe(false);
  }, 180_000);

  it('fails the install when the lockfile no longer matches the manifest (frozen)', () => {
    // A fresh image build: no node_modules yet, a manifest that drifted from the lockfile.
    for (const dir of [image, service]) fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    write(image, { 'services/cache-worker/package.json': { ...worker, dependencies: { ms: '2.1.2' } } });
    expect(() => runInImage(runs[0]!, '/app/services/cache-worker')).toThrow(/ERR_PNPM_OUTDATED_LOCKFILE|lockfile/i);
  }, 180_000);
});

describe('the install of a build moved from its service folder to the repo root', () => {
  const moved = path.join(tmp, 'moved'); // /app of the api-gateway image
  const runs = pnpmRuns('dockerfile-lockfile/service-folder-context-moves-to-root/output.Dockerfile');

  it('installs from the root lockfile in /app/services/api-gateway, as the moved Dockerfile lays it out', () => {
    expect(runs).toEqual([['pnpm', 'install', '--frozen-lockfile', '--filter', 'api-gateway...']]);
    for (const f of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']) fs.cpSync(path.join(repo, f), path.join(moved, f));
    fs.cpSync(path.join(repo, 'services/api-gateway/package.json'), path.join(moved, 'services/api-gateway/package.json'));
    runInImage(runs[0]!, '/app/services/api-gateway', moved);
    expect(resolvesFrom(path.join(moved, 'services/api-gateway'), 'ms')).toBe(true);
  }, 180_000);
});
