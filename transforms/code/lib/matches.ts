// The shape detect and fix share in a code transform: one list of matches,
// each either fixable (with `apply`) or declined with the reason (`manual`).
import type { CodeContext, Report } from '../../../src/engine/types.js';

export interface Match<R extends string = string> {
  rule: R;
  line: number;
  message: string;
  /** Why the fixer declines; the finding is then reported as `manual:`. */
  manual?: string;
  apply?(): void;
}

export function toReport(m: Match): Report {
  return m.manual ? { rule: m.rule, line: m.line, message: `manual: ${m.manual}`, fixable: false } : { rule: m.rule, line: m.line, message: m.message };
}

/** Applies every fixable, unsuppressed match; true when any changed the tree. */
export function applyMatches(ctx: Pick<CodeContext, 'suppressed'>, matches: Match[]): boolean {
  let changed = false;
  for (const m of matches) {
    if (m.manual || !m.apply || ctx.suppressed(m.rule, m.line)) continue;
    m.apply();
    changed = true;
  }
  return changed;
}
