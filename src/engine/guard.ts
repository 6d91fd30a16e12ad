// What stands between `fix` and a user's work: it never overwrites changes git
// could not give back, two runs never interleave their writes on one tree, and
// what a killed run leaves behind (its lock, its temp files, its half-done
// writes) is cleared or completed by the next one.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { UsageError } from './pipeline.js';
import { ALWAYS_IGNORED } from '../workspace/discover.js';
import { TEMP_NAME, writeAtomic } from './write.js';

/** `fix` declined to write; the CLI prints the message and exits 2 like any usage error. */
export class RefusedError extends UsageError {}

// ---------------------------------------------------------------------------
// Uncommitted changes

export interface DirtyFile {
  /** Relative to the fix root, `/`-separated, as in FileChange.path. */
  path: string;
  state: 'untracked' | 'ignored' | 'modified' | 'staged' | 'deleted' | 'conflicted';
}

export type GitCheck = { kind: 'checked'; dirty: DirtyFile[] } | { kind: 'unknown'; reason: string };

// Big enough for one call per few thousand files, small enough for any ARG_MAX.
const PATHS_PER_CALL = 1000;

interface GitRun {
  code: number | string;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: string[]): Promise<GitRun> {
  return new Promise((resolve) => {
    // Optional locks off: a status refresh must never contend with the user's own git commands.
    const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
    execFile('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const firstLine = (s: string) => s.split('\n').find((l) => l.trim())?.trim() ?? '';

function whyNot(run: GitRun): string {
  if (run.code === 'ENOENT') return 'git is not installed';
  const said = firstLine(run.stderr);
  if (/not a git repository/i.test(said)) return 'not a git repository';
  return said ? `git: ${said.replace(/^fatal:\s*/, '')}` : `git exited with ${run.code}`;
}

function stateOf(xy: string): DirtyFile['state'] {
  if (xy === '??') return 'untracked';
  if (xy === '!!') return 'ignored';
  if (xy.includes('U') || xy === 'AA' || xy === 'DD') return 'conflicted';
  if (xy[1] === 'D' || (xy[0] === 'D' && xy[1] === ' ')) return 'deleted';
  if (xy[1] === ' ') return 'staged';
  return 'modified';
}

/**
 * Parses `git status --porcelain=v1 -z`: `XY path\0`, and for a rename or copy
 * `XY to\0from\0`. Paths are relative to the top of the repository.
 */
export function parsePorcelainZ(out: string): { path: string; state: DirtyFile['state'] }[] {
  const fields = out.split('\0');
  const entries: { path: string; state: DirtyFile['state'] }[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    const xy = field.slice(0, 2);
    const state = stateOf(xy);
    entries.push({ path: field.slice(3), state });
    if (/[RC]/.test(xy)) entries.push({ path: fields[++i] ?? '', state });
  }
  return entries;
}

/**
 * Which of `files` (relative to root, including files a fix would create)
 * git reports as uncommitted, untracked or ignored. `unknown` when root is not in a
 * git work tree or git cannot answer: the caller says so and goes on.
 */
export async function uncommittedChanges(root: string, files: string[]): Promise<GitCheck> {
  const top = await git(root, ['rev-parse', '--show-prefix']);
  if (top.code !== 0) return { kind: 'unknown', reason: whyNot(top) };
  // status prints paths from the top of the repository; root may be a subfolder of it.
  const prefix = top.stdout.replace(/\n$/, '');
  const wanted = new Set(files);
  const dirty = new Map<string, DirtyFile>();
  for (let i = 0; i < files.length; i += PATHS_PER_CALL) {
    // Literal pathspecs: a file named `*.ts` or `:(top)x` means itself. Ignored files
    // count: git could not give them back either (discovery only honours the root .gitignore).
    const args = ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--no-renames', '--', ...files.slice(i, i + PATHS_PER_CALL)];
    const run = await git(root, args);
    if (run.code !== 0) return { kind: 'unknown', reason: whyNot(run) };
    for (const e of parsePorcelainZ(run.stdout)) {
      if (!e.path.startsWith(prefix)) continue;
      const rel = e.path.slice(prefix.length);
      if (wanted.has(rel) && !dirty.has(rel)) dirty.set(rel, { path: rel, state: e.state });
    }
  }
  return { kind: 'checked', dirty: [...dirty.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

export function dirtyMessage(dirty: DirtyFile[]): string {
  const list = dirty.map((d) => `  ${d.path} (${d.state})`).join('\n');
  const n = dirty.length === 1 ? '1 file' : `${dirty.length} files`;
  return `fix would overwrite uncommitted changes in ${n}; commit or stash them, look first with --dry-run, or rerun with --force:\n${list}`;
}

// ---------------------------------------------------------------------------
// One fix at a time

export const LOCK_NAME = '.shipshape-fix.lock';

/** A pid we may signal, or one owned by another user (EPERM), is alive. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface FixLock {
  path: string;
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void;
}

// A lock file is written in one small write right after it is created; an
// empty one younger than this is a run starting up, not a crashed one.
const STARTING_MS = 10_000;

function readLock(file: string): { text: string; mtimeMs: number } | null {
  try {
    return { text: fs.readFileSync(file, 'utf8'), mtimeMs: fs.statSync(file).mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RefusedError(`${file}: cannot read the fix lock (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Moves a dead run's lock aside and removes it, unless another run replaced
 * it meanwhile: then it is put back, and the caller sees a live lock.
 */
function takeOver(file: string, seen: string): boolean {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return false;
  }
  const moved = fs.readFileSync(aside, 'utf8');
  if (moved !== seen) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone holds the lock again already: theirs wins.
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return true;
}

/**
 * Takes `root/.shipshape-fix.lock` (created exclusively, holding our pid) or
 * throws RefusedError naming the pid that holds it. A lock whose pid is not
 * running is taken over, and `note` says so.
 */
export function acquireFixLock(root: string, note: (line: string) => void): FixLock {
  const file = path.join(path.resolve(root), LOCK_NAME);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let held = true;
      return {
        path: file,
        release() {
          if (!held) return;
          held = false;
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
          } catch {
            // Gone already, or unreadable: either way not a lock we can still remove, and
            // release runs on exit paths where a throw would hide the run's own outcome.
          }
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new RefusedError(`${file}: cannot create the fix lock (${code ?? (err as Error).message})`);
    }
    const lock = readLock(file);
    if (!lock) continue;
    const pid = Number(lock.text.trim());
    const starting = lock.text.trim() === '' && Date.now() - lock.mtimeMs < STARTING_MS;
    if (pidAlive(pid) || starting) {
      const holder = starting ? 'a run that is starting' : `pid ${pid}`;
      throw new RefusedError(`another shipshape fix is running on this tree: ${file} is held by ${holder}; wait for it to finish (or delete the file if that process is not shipshape)`);
    }
    if (takeOver(file, lock.text)) note(`shipshape: took over ${file}: ${lock.text.trim() ? `pid ${lock.text.trim()}` : 'the run that wrote it'} is not running`);
  }
  throw new RefusedError(`${file}: could not take the fix lock; another run keeps replacing it`);
}

// ---------------------------------------------------------------------------
// Temp files of killed runs

/**
 * Removes the temp files of runs that are no longer running anywhere under
 * root (a killed run leaves at most one per folder it was writing); temp files
 * of live runs (another fix on an overlapping root) are theirs. Returns the
 * removed paths, relative to root.
 */
export function removeStaleTemps(root: string): string[] {
  const found = fg.sync('**/.*.shipshape-*.tmp', { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: false, suppressErrors: true, ignore: ALWAYS_IGNORED });
  const removed: string[] = [];
  for (const rel of found.sort()) {
    const pid = Number(TEMP_NAME.exec(path.posix.basename(rel))?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.rmSync(path.join(root, rel));
      removed.push(rel);
    } catch {
      // Gone already, or not ours to remove: the write that needs the name replaces it.
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------
// Finishing a killed run
//
// One fix can span files (a Dockerfile and the compose file that builds it),
// and each file is atomic, not the set: a run killed between the two leaves a
// pair that disagrees, and a fresh analysis of that half-written tree does
// not plan the same change again. So the plan is written down before the
// first write and deleted after the last; the next run completes it.

export const JOURNAL_NAME = '.shipshape-fix.journal';

interface JournalEntry {
  path: string;
  /** sha256 of the bytes on disk when the plan was written; null for a file it creates. */
  before: string | null;
  after: string;
}

interface Journal {
  version: 1;
  pid: number;
  files: JournalEntry[];
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

function bytesOf(abs: string): Buffer | null {
  try {
    return fs.readFileSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Records the writes about to happen; the caller deletes it with dropJournal after the last one. */
export function writeJournal(root: string, changes: { path: string; after: string }[]): void {
  const files = changes.map((c) => {
    const now = bytesOf(path.join(root, c.path));
    return { path: c.path, before: now === null ? null : sha256(now), after: c.after };
  });
  writeAtomic(root, JOURNAL_NAME, JSON.stringify({ version: 1, pid: process.pid, files } satisfies Journal));
}

export function dropJournal(root: string): void {
  fs.rmSync(path.join(root, JOURNAL_NAME), { force: true });
}

export interface Finished {
  written: string[];
  /** Changed by someone since the killed run planned it: left alone. */
  skipped: string[];
}

/**
 * Completes the writes of a run that was killed mid-write: each planned file
 * that still has its old bytes gets its new text; one already written, or
 * changed since, is left as it is. Null when no run was interrupted. Only
 * called while holding the fix lock, so the run that wrote the plan is gone.
 */
export function finishInterrupted(root: string): Finished | null {
  const file = path.join(root, JOURNAL_NAME);
  const raw = bytesOf(file);
  if (raw === null) return null;
  const done: Finished = { written: [], skipped: [] };
  let journal: Journal | null = null;
  try {
    journal = JSON.parse(raw.toString('utf8')) as Journal;
  } catch {
    // Written atomically, so only a hand edit gets here: nothing to trust in it.
  }
  for (const entry of journal?.version === 1 && Array.isArray(journal.files) ? journal.files : []) {
    try {
      const now = bytesOf(path.join(root, entry.path));
      if (now !== null && now.equals(Buffer.from(entry.after))) continue;
      if ((now === null ? null : sha256(now)) !== entry.before) {
        done.skipped.push(entry.path);
        continue;
      }
      writeAtomic(root, entry.path, entry.after);
      done.written.push(entry.path);
    } catch {
      done.skipped.push(entry.path);
    }
  }
  dropJournal(root);
  return done;
}
