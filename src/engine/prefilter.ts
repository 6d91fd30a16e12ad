// The prefilter: a file whose text holds none of a transform's needles cannot
// give that transform anything to report or fix, so the transform never sees
// it, and a file that no selected transform (and no inventory fact) wants is
// read but never parsed. Most files of a real service are business logic
// that no rule touches; for them this is the whole cost of a run.
import type { AnyTransform } from './types.js';

export type Needles = readonly (string | RegExp)[];

export function hasNeedle(needles: Needles | undefined, text: string): boolean {
  if (!needles) return true;
  for (const n of needles) if (typeof n === 'string' ? text.includes(n) : n.test(text)) return true;
  return false;
}

/** The transforms of `list` that may match `text` (transforms without needles always may). */
export function wanting<T extends Pick<AnyTransform, 'needles'>>(list: T[], text: string): T[] {
  return list.filter((t) => hasNeedle(t.needles, text));
}
