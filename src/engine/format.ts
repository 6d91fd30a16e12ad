// Prettier runs only where the target repository asked for it (a prettier
// config inside the root) and only over the span a transform changed, so a
// reviewer's diff never shows reformatting of code nobody touched.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { isInside } from './paths.js';

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
 * Each folder's prettier config file (null: none), for one run. Prettier finds
 * it by probing about twenty names in every folder up to the filesystem root,
 * per call and without a cache; over a monorepo that was seconds of stat
 * calls. Only a config inside the root counts, so the walk stops there, and a
 * folder is asked about once.
 */
export type ConfigLookup = Map<string, Promise<string | null>>;

/**
 * Whether a folder can hold a prettier config, by the names prettier documents
 * (https://prettier.io/docs/configuration): `.prettierrc*`, `prettier.config.*`,
 * package.json with a "prettier" key, package.yaml. Where one may be, prettier
 * itself decides; this only skips folders that plainly hold none.
 */
async function mayHoldConfig(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return false;
  }
  if (names.some((n) => n.startsWith('.prettierrc') || n.startsWith('prettier.config.') || n === 'package.yaml')) return true;
  if (!names.includes('package.json')) return false;
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as unknown;
    return typeof manifest === 'object' && manifest !== null && 'prettier' in manifest;
  } catch {
    // Prettier reports a broken package.json better than a guess here.
    return true;
  }
}

/** The prettier config file that applies to files of `dir`, when it lies inside `root`. */
function configOf(root: string, dir: string, lookup: ConfigLookup): Promise<string | null> {
  let found = lookup.get(dir);
  if (found) return found;
  if (!isInside(root, dir)) found = Promise.resolve(null);
  else
    found = mayHoldConfig(dir).then((may) => {
      if (may) return prettier.resolveConfigFile(path.join(dir, 'file.js'));
      return dir === root ? null : configOf(root, path.dirname(dir), lookup);
    });
  lookup.set(dir, found);
  return found;
}

/** Formats the changed span of a code file when the repo has a prettier config; otherwise returns `after`. */
export async function formatChanged(root: string, rel: string, before: string, after: string, lookup: ConfigLookup = new Map()): Promise<string> {
  const abs = path.join(root, rel);
  const configFile = await configOf(path.resolve(root), path.dirname(path.resolve(abs)), lookup);
  if (!configFile) return after;
  if (!isInside(root, configFile)) return after;
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
