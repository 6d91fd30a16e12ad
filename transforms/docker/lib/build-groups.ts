// Findings that one set of edits fixes together (ESLint's mergeFixes): a group
// is reported finding by finding but applied whole or not at all, so a fix
// that touches several places can never half-apply.
import type { DockerfileContext, Report, TextEdit } from '../../../src/engine/types.js';
import { dedupeEdits, mergeEdits } from './build-text.js';

export interface GroupFinding<R extends string = string> {
  rule: R;
  line: number;
  message: string;
  fixable: boolean;
}

export interface Group<R extends string = string> {
  findings: GroupFinding<R>[];
  edits: TextEdit[];
}

export function groupReports(groups: Group[]): Report[] {
  return groups.flatMap((g) => g.findings.map((f) => ({ rule: f.rule, line: f.line, message: f.message, ...(f.fixable ? {} : { fixable: false }) })));
}

/** The edits of every group none of whose findings is suppressed, each group merged into one edit. */
export function groupEdits(ctx: Pick<DockerfileContext, 'text' | 'suppressed'>, groups: Group[]): TextEdit[] {
  const active = groups.filter((g) => g.edits.length > 0 && !g.findings.some((f) => ctx.suppressed(f.rule, f.line)));
  return dedupeEdits(active.flatMap((g) => mergeEdits(ctx.text, dedupeEdits(g.edits))));
}
