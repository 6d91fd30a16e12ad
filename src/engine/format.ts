// Prettier runs only where the target repository asked for it (a prettier
// config inside the root) and only over the span a transform changed, so a
// reviewer's diff never shows reformatting of code nobody touched.
import path from 'node:path';
import * as prettier from 'prettier';

/** The changed span of `after` relative to `before`, widened to whole lines. */
export function changedSpan(before: string, after: string): { start: number; end: number } | null {
  if (before === after) return null;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let tail = 0;
  while (tail < before.length - start && tail < after.length - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const lineStart = after.lastIndexOf('\n', start - 1) + 1;
  const endIdx = after.indexOf('\n', after.length - tail);
  return { start: lineStart, end: endIdx === -1 ? after.length : endIdx };
}

/**
 * Where each folder's prettier config is, for one run: prettier looks it up
 * by walking to the filesystem root, and every changed file of a folder asks.
 */
export type ConfigLookup = Map<string, Promise<string | null>>;

/** Formats the changed span of a code file when the repo has a prettier config; otherwise returns `after`. */
export async function formatChanged(root: string, rel: string, before: string, after: string, lookup: ConfigLookup = new Map()): Promise<string> {
  const abs = path.join(root, rel);
  const dir = path.dirname(abs);
  let found = lookup.get(dir);
  if (!found) lookup.set(dir, (found = prettier.resolveConfigFile(abs)));
  const configFile = await found;
  if (!configFile) return after;
  const within = path.relative(root, configFile);
  if (within.startsWith('..') || path.isAbsolute(within)) return after;
  const span = changedSpan(before, after);
  if (!span) return after;
  const options = (await prettier.resolveConfig(abs, { config: configFile })) ?? {};
  try {
    return await prettier.format(after, { ...options, filepath: abs, rangeStart: span.start, rangeEnd: span.end });
  } catch {
    // Formatting is cosmetic: an unformattable span keeps the transform's own printing.
    return after;
  }
}
