// The only code that writes into a user's repository. A file is either its
// old or its new content: write a temp file beside it, then rename over it.
import fs from 'node:fs';
import path from 'node:path';

export class WriteError extends Error {}

/** Writes `text` to `root/rel` atomically, keeping the file's mode; refuses paths outside root. */
export function writeAtomic(root: string, rel: string, text: string): void {
  const abs = path.resolve(root, rel);
  const within = path.relative(path.resolve(root), abs);
  if (within.startsWith('..') || path.isAbsolute(within)) throw new WriteError(`${rel}: refusing to write outside ${root}`);
  let mode = 0o644;
  try {
    mode = fs.statSync(abs).mode & 0o777;
  } catch {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.shipshape-${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, abs);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new WriteError(`${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; file left unchanged`);
  }
}
