// Whether a path lies inside a folder: the writer refuses to write outside
// the root, and the formatter takes no prettier config from outside it.
import path from 'node:path';

/** True when `abs` is `root` or below it (both absolute, or both relative to one folder). */
export function isInside(root: string, abs: string): boolean {
  const within = path.relative(root, abs);
  return !within.startsWith('..') && !path.isAbsolute(within);
}
