// `shipshape-ignore RULE_ID[, RULE_ID]` on the line before silences those rules
// on that line, for reports and fixes alike. The engine owns this: rules never
// look at comments themselves. Suppressions that silence nothing are reported.

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  rules: string[];
}

// Recognises the directive inside //, /* */ and # comments alike; it reads
// comments, it never rewrites anything.
const DIRECTIVE = /(?:\/\/|\/\*|#)\s*shipshape-ignore\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/;

export function findSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  const lines = text.split('\n');
  lines.forEach((content, i) => {
    const m = DIRECTIVE.exec(content);
    if (m?.[1]) out.push({ line: i + 1, rules: m[1].split(',').map((r) => r.trim()) });
  });
  return out;
}

export class SuppressionIndex {
  private readonly byTarget = new Map<number, Suppression>();
  private readonly used = new Set<string>();

  constructor(readonly suppressions: Suppression[]) {
    for (const s of suppressions) this.byTarget.set(s.line + 1, s);
  }

  /** True when `rule` is silenced on `line`; marks the directive as used. */
  check(rule: string, line: number): boolean {
    const s = this.byTarget.get(line);
    if (!s?.rules.includes(rule)) return false;
    this.used.add(`${s.line}:${rule}`);
    return true;
  }

  unused(): { line: number; rule: string }[] {
    const out: { line: number; rule: string }[] = [];
    for (const s of this.suppressions) for (const rule of s.rules) if (!this.used.has(`${s.line}:${rule}`)) out.push({ line: s.line, rule });
    return out;
  }
}
