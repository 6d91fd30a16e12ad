// Issue 13's write guarantees, through the built CLI as a user runs it: `fix`
// never overwrites work git could not give back, two runs never write one tree
// at once, a run killed mid-write leaves every file old or new (and the next
// run clears what it left), and nothing outside the root is written. The
// README's "Safety" section names each test here.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';
import { hashTree, writeFiles } from './helpers/tmp.js';
import { writeAtomic } from '../src/engine/write.js';
import { writeJournal } from '../src/engine/guard.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
const LOCK = '.shipshape-fix.lock';
const TEMP = /(^|\/)\..+\.shipshape-(\d+)\.tmp$/;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-safety-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let serial = 0;
const fresh = (name: string) => {
  const dir = path.join(tmp, `${++serial}-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};

// Neither the user's git config nor a hook's GIT_DIR may reach the repos made
// here; git must not find a repository above the temp folder either.
const ENV: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('GIT_')));
Object.assign(ENV, { NO_COLOR: '1', CI: 'true', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CEILING_DIRECTORIES: tmp });

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: { ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}
const shipshape = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, env: ENV }, (err, stdout, stderr) =>
      err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}
const commitAll = async (repo: string) => {
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'state');
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/**
 * One service `fix` changes in three files: its Dockerfile (runs as root),
 * index.js (literal port, no SIGTERM handler), and a .dockerignore it creates.
 */
function tinyWorkspace(root: string, service = 'services/a'): void {
  writeFiles(root, {
    'package.json': `${JSON.stringify({ name: 'tiny', private: true, workspaces: ['services/*'] })}\n`,
    [`${service}/package.json`]: `${JSON.stringify({ name: 'a', version: '1.0.0', main: 'index.js', scripts: { start: 'node index.js' } })}\n`,
    [`${service}/Dockerfile`]: 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["node", "index.js"]\n',
    [`${service}/index.js`]: "const http = require('http');\nhttp.createServer((req, res) => res.end('ok')).listen(3000);\n",
  });
}
const TINY_CHANGES = ['.dockerignore', 'Dockerfile', 'index.js'];

const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const noteLines = (stderr: string) => stderr.split('\n').filter(Boolean);

describe('dirty tree guard', () => {
  it('refuses with exit 2, naming only the dirty files it would touch (root a subfolder of the repo, paths with spaces); --dry-run never refuses; --force writes', async () => {
    const repo = fresh('repo');
    const root = path.join(repo, 'plat form');
    tinyWorkspace(root, 'services/a b');
    writeFiles(root, { 'services/a b/.dockerignore': 'node_modules\n' });
    await git(repo, 'init', '-q');
    await commitAll(repo);
    // Edits fix would overwrite: a modified Dockerfile, and a deleted .dockerignore it would recreate.
    fs.appendFileSync(path.join(root, 'services/a b/Dockerfile'), '# my unsaved idea\n');
    fs.rmSync(path.join(root, 'services/a b/.dockerignore'));
    // Edits it would not touch: never named.
    writeFiles(root, { 'services/a b/NOTES.md': 'draft\n' });
    fs.appendFileSync(path.join(root, 'package.json'), '\n');
    const before = hashTree(root);

    const refused = await shipshape(['fix', root]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('fix would overwrite uncommitted changes in 2 files');
    expect(refused.stderr).toContain('  services/a b/Dockerfile (modified)\n');
    expect(refused.stderr).toContain('  services/a b/.dockerignore (deleted)\n');
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).not.toMatch(/index\.js|NOTES|package\.json/);
    expect(hashTree(root)).toEqual(before);

    const patch = path.join(repo, '..', `${path.basename(repo)}.diff`);
    const dry = await shipshape(['fix', root, '--dry-run', '--patch', patch]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/^diff --git a\/services\/a b\/Dockerfile/m);
    expect(fs.readFileSync(patch, 'utf8')).toMatch(/^diff --git/m);
    expect(hashTree(root)).toEqual(before);

    const forced = await shipshape(['fix', root, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect(read(root, 'services/a b/Dockerfile')).toContain('# my unsaved idea\n');
    expect(read(root, 'services/a b/Dockerfile')).toMatch(/^USER /m);
    expect(fs.existsSync(path.join(root, 'services/a b/.dockerignore'))).toBe(true);
  });

  it('counts untracked and ignored files it would rewrite as dirty; once committed, the tree is fixed without a word', async () => {
    const repo = fresh('untracked');
    tinyWorkspace(repo);
    // Discovery honours only the root .gitignore: a nested one can hide a file fix rewrites.
    writeFiles(repo, { 'services/a/.gitignore': 'Dockerfile\n' });
    await git(repo, 'init', '-q');
    await git(repo, 'add', 'package.json', 'services/a/package.json', 'services/a/.gitignore');
    await git(repo, 'commit', '-q', '-m', 'without index.js and Dockerfile');

    const refused = await shipshape(['fix', repo, '--format', 'json']);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('in 2 files;');
    expect(refused.stderr).toContain('  services/a/Dockerfile (ignored)\n  services/a/index.js (untracked)\n');

    await git(repo, 'add', '-f', 'services/a/Dockerfile', 'services/a/index.js');
    await git(repo, 'commit', '-q', '-m', 'all');
    const fixed = await shipshape(['fix', repo]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toBe('');
    expect(fixed.stdout).toContain('fixed services/a/index.js\n');
    expect(await git(repo, 'status', '--porcelain')).toBe(' M services/a/Dockerfile\n M services/a/index.js\n?? services/a/.dockerignore\n');
  });

  it('outside a git repository, or without git, says in one line that it cannot check, and goes on', async () => {
    const plain = fresh('no-repo');
    tinyWorkspace(plain);
    const noGit = fresh('no-git');
    tinyWorkspace(noGit);
    const emptyBin = fresh('empty-bin');
    const [outside, missing] = await Promise.all([shipshape(['fix', plain]), shipshape(['fix', noGit], { PATH: emptyBin })]);
    expect(outside.code, outside.stderr).toBe(0);
    expect(noteLines(outside.stderr)).toEqual(['shipshape: cannot check for uncommitted changes (not a git repository); writing anyway']);
    expect(missing.code, missing.stderr).toBe(0);
    expect(noteLines(missing.stderr)).toEqual(['shipshape: cannot check for uncommitted changes (git is not installed); writing anyway']);
    for (const r of [outside, missing]) for (const f of TINY_CHANGES) expect(r.stdout).toContain(`fixed services/a/${f}\n`);
    for (const root of [plain, noGit]) expect(read(root, 'services/a/Dockerfile')).toMatch(/^USER /m);
  });
});

describe('one fix at a time', () => {
  it('refuses a second run while the lock is held (exit 2, naming the lock and its pid); takes over the lock of a dead run with a note', async () => {
    const root = fresh('held');
    tinyWorkspace(root);
    const lock = path.join(root, LOCK);
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const holderGone = new Promise((r) => holder.on('exit', r));
    try {
      fs.writeFileSync(lock, `${holder.pid}\n`);
      const before = hashTree(root);
      const refused = await shipshape(['fix', root]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(noteLines(refused.stderr)).toEqual([`shipshape: another shipshape fix is running on this tree: ${lock} is held by pid ${holder.pid}; wait for it to finish (or delete the file if that process is not shipshape)`]);
      expect(hashTree(root)).toEqual(before);
      expect(fs.readFileSync(lock, 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill('SIGKILL');
      await holderGone;
    }
    const next = await shipshape(['fix', root]);
    expect(next.code, next.stderr).toBe(0);
    expect(noteLines(next.stderr)[0]).toBe(`shipshape: took over ${lock}: pid ${holder.pid} is not running`);
    expect(fs.existsSync(lock)).toBe(false);
    expect(read(root, 'services/a/Dockerfile')).toMatch(/^USER /m);
  });

  it('removes the lock on every exit path: success, failure, thrown error, SIGINT (130), SIGTERM (143)', async () => {
    const paths = {
      success: fresh('exit-success'),
      failure: fresh('exit-failure'),
      thrown: fresh('exit-thrown'),
      SIGINT: fresh('exit-sigint'),
      SIGTERM: fresh('exit-sigterm'),
    };
    for (const root of Object.values(paths)) tinyWorkspace(root);
    writeFiles(paths.failure, { 'services/a/src/broken.js': 'export const x = {;\n' });
    writeFiles(paths.thrown, { 'shipshape.config.json': '{ not json' });
    const interrupted = async (signal: NodeJS.Signals) => {
      const run = start(['fix', paths[signal as 'SIGINT' | 'SIGTERM']]);
      // The lock exists from before the transforms load until the end of the run: plenty of time to signal.
      await until(`${signal} run holds its lock`, () => fs.existsSync(path.join(paths[signal as 'SIGINT' | 'SIGTERM'], LOCK)));
      run.child.kill(signal);
      return run.done;
    };
    const [success, failure, thrown, sigint, sigterm] = await Promise.all([
      shipshape(['fix', paths.success]),
      shipshape(['fix', paths.failure]),
      shipshape(['fix', paths.thrown]),
      interrupted('SIGINT'),
      interrupted('SIGTERM'),
    ]);
    expect(success.code, success.stderr).toBe(0);
    expect(failure.code, failure.stderr).toBe(1);
    expect(failure.stderr).toMatch(/services\/a\/src\/broken\.js:1:/);
    expect(thrown.code, thrown.stderr).toBe(2);
    expect(thrown.stderr).toMatch(/shipshape\.config\.json: invalid JSON/);
    expect(sigint.code, sigint.stderr).toBe(130);
    expect(sigterm.code, sigterm.stderr).toBe(143);
    for (const [how, root] of Object.entries(paths)) expect(fs.existsSync(path.join(root, LOCK)), how).toBe(false);
  });
});

/** Every file under root, relative, as bytes. */
function snapshot(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else files.set(path.relative(root, abs).split(path.sep).join('/'), fs.readFileSync(abs));
    }
  };
  walk(root);
  return files;
}

/**
 * Calls back once `count` files under root have been replaced (a rename that
 * is not of a temp file). One watcher per folder: the synthetic tree is small.
 */
function onReplaced(root: string, count: number, callback: () => void): () => void {
  const seen = new Set<string>();
  const watchers: fs.FSWatcher[] = [];
  let fired = false;
  const watch = (dir: string) => {
    watchers.push(
      fs.watch(dir, (_event, name) => {
        if (fired || !name || TEMP.test(name)) return;
        seen.add(path.join(dir, name));
        if (seen.size >= count) {
          fired = true;
          callback();
        }
      }),
    );
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) watch(path.join(dir, e.name));
  };
  watch(root);
  return () => watchers.forEach((w) => w.close());
}

describe('interrupted writes', () => {
  it(
    'SIGKILL mid-write leaves every file byte-identical to its old or its new version; the next run completes the writes and removes the lock and the temp files',
    async () => {
      const pristine = fresh('synth');
      fs.rmSync(pristine, { recursive: true });
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [path.join(REPO, 'bench', 'synth.mjs'), pristine, '100'], (err) => (err ? reject(err) : resolve())),
      );
      const killed = fresh('killed');
      const whole = fresh('whole');
      fs.cpSync(pristine, killed, { recursive: true });
      fs.cpSync(pristine, whole, { recursive: true });
      const old = snapshot(pristine);

      // The reference: the same fix, never interrupted.
      const reference = shipshape(['fix', whole]);

      const run = start(['fix', killed]);
      const lock = path.join(killed, LOCK);
      await until('the run holds its lock', () => fs.existsSync(lock));
      // A second run on the same tree meanwhile is refused, naming the first.
      const second = await shipshape(['fix', killed]);
      expect(second.code, second.stderr).toBe(2);
      expect(second.stderr).toContain(`${lock} is held by pid ${run.child.pid}`);

      const stopWatching = onReplaced(path.join(killed, 'services'), 20, () => run.child.kill('SIGKILL'));
      const interrupted = await run.done.finally(stopWatching);
      expect(interrupted.signal, interrupted.stderr).toBe('SIGKILL');

      const ref = await reference;
      expect(ref.code, ref.stderr).toBe(0);
      const next = snapshot(whole);
      const after = snapshot(killed);
      const changed = [...next.keys()].filter((f) => !old.get(f)?.equals(next.get(f)!));
      expect(changed.length).toBeGreaterThan(200);

      const temps: string[] = [];
      const torn: string[] = [];
      let written = 0;
      for (const [file, bytes] of after) {
        if (file === LOCK || file === '.shipshape-fix.journal') continue;
        if (TEMP.test(file)) {
          temps.push(file);
          continue;
        }
        const isOld = old.get(file)?.equals(bytes) ?? false;
        const isNew = next.get(file)?.equals(bytes) ?? false;
        if (!isOld && !isNew) torn.push(file);
        if (isNew && !isOld) written++;
      }
      expect(torn, 'files that are neither old nor new').toEqual([]);
      // Killed in the middle: some files written, not all of them.
      expect(written).toBeGreaterThanOrEqual(20);
      expect(written, 'the kill came after the last write').toBeLessThan(changed.length);
      expect(after.get(LOCK)?.toString()).toBe(`${run.child.pid}\n`);
      expect(after.has('.shipshape-fix.journal')).toBe(true);

      // Also a temp file of a run that died elsewhere, and one of a live run, which is not ours to remove.
      const dead = 'services/svc-0001/.Dockerfile.shipshape-999999999.tmp';
      const live = `services/svc-0002/.Dockerfile.shipshape-${process.pid}.tmp`;
      writeFiles(killed, { [dead]: 'half', [live]: 'half' });
      // The next run completes the killed run's writes before its own. --only a fixer with nothing to do
      // here (no CI workflows) keeps its own pass out of the comparison.
      const resumed = await shipshape(['fix', killed, '--only', 'ci-smoke-test']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const notes = noteLines(resumed.stderr);
      expect(notes[0]).toBe(`shipshape: took over ${lock}: pid ${run.child.pid} is not running`);
      expect(notes[1]).toBe(`shipshape: completed the writes of an interrupted fix: ${changed.length - written} files`);
      expect(notes[2]).toMatch(/^shipshape: removed (a temp file|\d+ temp files) left by an interrupted run: /);
      for (const t of [...temps, dead]) expect(notes[2]).toContain(t);
      expect(notes[2]).not.toContain(live);
      expect(resumed.stdout).toMatch(/\n0 files changed/);
      fs.rmSync(path.join(killed, live));
      // Resumed, the tree is what an uninterrupted run makes of it, and nothing is left behind.
      const final = snapshot(killed);
      expect([...final.keys()].sort()).toEqual([...next.keys()].sort());
      expect([...final.keys()].filter((f) => !final.get(f)!.equals(next.get(f)!))).toEqual([]);
    },
    240_000,
  );

  it('the next run completes the planned writes of a killed run, but leaves alone (and names) a file changed since; a dry run only says so', async () => {
    const root = fresh('journal');
    tinyWorkspace(root);
    writeFiles(root, { 'notes/done.txt': 'old\n', 'notes/pending.txt': 'old\n', 'notes/edited.txt': 'old\n' });
    // The killed run planned four writes and got through one.
    writeJournal(root, [
      { path: 'notes/done.txt', after: 'new\n' },
      { path: 'notes/pending.txt', after: 'new\n' },
      { path: 'notes/edited.txt', after: 'new\n' },
      { path: 'notes/created.txt', after: 'new\n' },
    ]);
    writeFiles(root, { 'notes/done.txt': 'new\n', 'notes/edited.txt': 'my own edit\n' });

    const dry = await shipshape(['fix', root, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(noteLines(dry.stderr)).toEqual(['shipshape: a fix was interrupted here; the next fix without --dry-run completes it first (.shipshape-fix.journal)']);
    expect(read(root, 'notes/pending.txt')).toBe('old\n');

    const next = await shipshape(['fix', root]);
    expect(next.code, next.stderr).toBe(0);
    expect(noteLines(next.stderr)[0]).toBe('shipshape: completed the writes of an interrupted fix: 2 files; changed since, left as they are: notes/edited.txt');
    expect(['done', 'pending', 'edited', 'created'].map((n) => read(root, `notes/${n}.txt`))).toEqual(['new\n', 'new\n', 'my own edit\n', 'new\n']);
    expect(fs.existsSync(path.join(root, '.shipshape-fix.journal'))).toBe(false);
  });
});

describe('nothing outside the root is written', () => {
  it('writeAtomic refuses a path through a symlinked folder that leads outside the root, and never replaces a symlink', () => {
    const root = fresh('links-root');
    const outside = fresh('links-outside');
    writeFiles(outside, { 'app/index.js': 'old\n' });
    writeFiles(root, { 'services/own/index.js': 'old\n' });
    fs.symlinkSync(path.join(outside, 'app'), path.join(root, 'services', 'linked'));
    fs.symlinkSync(path.join(outside, 'app', 'index.js'), path.join(root, 'services', 'own', 'alias.js'));
    const before = hashTree(outside);

    expect(() => writeAtomic(root, 'services/linked/index.js', 'new\n')).toThrow(/refusing to write outside .*symlink/);
    expect(() => writeAtomic(root, 'services/linked/deeper/new.js', 'new\n')).toThrow(/refusing to write outside/);
    expect(() => writeAtomic(root, 'services/own/alias.js', 'new\n')).toThrow(/symbolic link; not rewritten/);
    expect(hashTree(outside)).toEqual(before);
    expect(fs.lstatSync(path.join(root, 'services/own/alias.js')).isSymbolicLink()).toBe(true);

    writeAtomic(root, 'services/own/index.js', 'new\n');
    expect(read(root, 'services/own/index.js')).toBe('new\n');
    expect(fs.readdirSync(path.join(root, 'services/own')).filter((f) => TEMP.test(f))).toEqual([]);
  });

  it('fix leaves alone a service that a symlink in the root points to outside it', async () => {
    const root = fresh('linked-root');
    const outside = fresh('linked-outside');
    tinyWorkspace(root);
    tinyWorkspace(outside, 'svc');
    fs.symlinkSync(path.join(outside, 'svc'), path.join(root, 'services', 'linked'));
    const before = hashTree(outside);
    const r = await shipshape(['fix', root]);
    expect(r.stdout).toContain('fixed services/a/Dockerfile\n');
    expect(r.stdout).not.toContain('services/linked');
    expect(hashTree(outside)).toEqual(before);
  });
});
