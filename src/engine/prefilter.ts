// The prefilter: a file whose text holds none of a transform's needles cannot
// give that transform anything to report or fix, so the transform never sees
// it, and a file that no selected transform (and no inventory fact) wants is
// read but never parsed. Most files of a real service are business logic
// that no rule touches; for them this is the whole cost of a run.
import type { AnyTransform } from './types.js';

export type Needle = string | RegExp;
/** Any one entry must occur; an entry that is a list needs all of its needles. */
export type Needles = readonly (Needle | readonly Needle[])[];

const occurs = (n: Needle, text: string) => (typeof n === 'string' ? text.includes(n) : n.test(text));

export function hasNeedle(needles: Needles | undefined, text: string): boolean {
  if (!needles) return true;
  for (const n of needles) if (Array.isArray(n) ? n.every((m: Needle) => occurs(m, text)) : occurs(n as Needle, text)) return true;
  return false;
}

/** `process.env` as the env matchers read it (a member expression, spaces allowed). */
export const ENV_READ = /process\s*\.\s*env\b/;

/**
 * A statement at the start of a line that calls a function by name:
 * `main();`, `main().catch(…)`, `await main()`, `void start()`: the
 * module-level startup calls the startup rules follow.
 */
export const TOP_LEVEL_CALL = /^(?:await\s+|void\s+)?[A-Za-z_$][\w$]*\s*\(/m;

/** The transforms of `list` that may match `text` (transforms without needles always may). */
export function wanting<T extends Pick<AnyTransform, 'needles'>>(list: T[], text: string): T[] {
  return list.filter((t) => hasNeedle(t.needles, text));
}
