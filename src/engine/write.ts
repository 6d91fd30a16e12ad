// The only code that writes into a user's repository. A file is either its
// old or its new content: write a temp file beside it, then rename over it.
// A killed run can leave that temp file behind; the next run removes it
// (removeStaleTemps in guard.ts, which finds them by tempName's pattern).
import fs from 'node:fs';
import path from 'node:path';
import { isInside } from './paths.js';

export class WriteError extends Error {}

/** The temp file beside `name` while the run with `pid` writes it. */
export const tempName = (name: string, pid: number) => `.${name}.shipshape-${pid}.tmp`;
/** Matches tempName's names; group 1 is the pid. */
export const TEMP_NAME = /^\..+\.shipshape-(\d+)\.tmp$/;

/** The nearest folder of abs that exists, resolved through symlinks. */
function realFolderOf(abs: string): string {
  let dir = path.dirname(abs);
  for (;;) {
    try {
      return fs.realpathSync(dir);
    } catch (err) {
      const parent = path.dirname(dir);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw err;
      dir = parent;
    }
  }
}

/**
 * Writes `text` to `root/rel` atomically, keeping the file's mode. Refuses
 * paths outside root, also when a folder on the way is a symlink that leads
 * out of it (the path looks inside, the bytes would land outside), and refuses
 * to replace a symlink (renaming over it would turn the link into a copy).
 */
export function writeAtomic(root: string, rel: string, text: string): void {
  const abs = path.resolve(root, rel);
  if (!isInside(path.resolve(root), abs)) throw new WriteError(`${rel}: refusing to write outside ${root}`);
  let realRoot: string;
  let folder: string;
  try {
    realRoot = fs.realpathSync(root);
    folder = realFolderOf(abs);
  } catch (err) {
    throw new WriteError(`${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; file left unchanged`);
  }
  if (!isInside(realRoot, folder)) throw new WriteError(`${rel}: refusing to write outside ${root} (a folder on the way is a symlink to ${folder})`);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    throw new WriteError(`${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; file left unchanged`);
  }
  if (st?.isSymbolicLink()) throw new WriteError(`${rel}: is a symbolic link; not rewritten (fix the file it points to instead)`);
  const mode = st ? st.mode & 0o777 : null;
  const tmp = path.join(path.dirname(abs), tempName(path.basename(abs), process.pid));
  try {
    if (!st) fs.mkdirSync(path.dirname(abs), { recursive: true });
    // Exclusive create: a leftover or planted file (or symlink) at the temp name is never written through.
    fs.rmSync(tmp, { force: true });
    fs.writeFileSync(tmp, text, { mode: mode ?? 0o644, flag: 'wx' });
    // The creation mode passes through the umask; an existing file's mode must not.
    if (mode !== null) fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new WriteError(`${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; file left unchanged`);
  }
}
