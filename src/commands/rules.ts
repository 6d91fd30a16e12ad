// `shipshape rules`: the catalog, read from the transforms themselves.
// `--explain ID` prints the rule's docs page (docs/rules/ID.md). The README's
// rules table is rendered here too (scripts/gen-rules-table.mjs), so the
// table, the CLI and the docs check all read one catalog.
import { loadTransforms } from '../../transforms/registry.js';
import { catalog, type CatalogEntry } from '../engine/catalog.js';
import { UsageError } from '../engine/pipeline.js';
import { readRuleDoc } from '../report/rule-docs.js';
import { table } from '../report/table.js';

export const RULES_TABLE_START = '<!-- rules:start -->';
export const RULES_TABLE_END = '<!-- rules:end -->';

const fixerText = (e: CatalogEntry) => e.fixers.join(' / ') || '(report only)';

/** The README table: id (linked to its page), severity, file kind, fixer, description. */
export function rulesMarkdownTable(entries: CatalogEntry[]): string {
  const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const rows = entries.map((e) =>
    [`[\`${e.id}\`](docs/rules/${e.id}.md)`, e.severity, e.kinds.join(', '), e.fixers.length ? e.fixers.map((f) => `\`${f}\``).join(' / ') : 'report only', e.description].map(cell),
  );
  return ['| id | severity | file kind | fixer | description |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

/**
 * `text` with the table between the README markers replaced by `table`.
 * Throws when a marker is missing or out of order, naming it.
 */
export function replaceRulesTable(text: string, tableText: string, file = 'README.md'): string {
  const start = text.indexOf(RULES_TABLE_START);
  const end = text.indexOf(RULES_TABLE_END);
  if (start < 0) throw new Error(`${file}: no ${RULES_TABLE_START} marker; add it (and ${RULES_TABLE_END}) where the rules table belongs`);
  if (end < 0) throw new Error(`${file}: no ${RULES_TABLE_END} marker after ${RULES_TABLE_START}`);
  if (end < start) throw new Error(`${file}: ${RULES_TABLE_END} comes before ${RULES_TABLE_START}`);
  if (text.indexOf(RULES_TABLE_START, start + 1) >= 0 || text.indexOf(RULES_TABLE_END, end + 1) >= 0) throw new Error(`${file}: the rules markers appear more than once`);
  return `${text.slice(0, start + RULES_TABLE_START.length)}\n${tableText}${text.slice(end)}`;
}

/** The page of a rule, or a short stand-in built from its metadata when the page is not written yet. */
export function explain(entries: CatalogEntry[], id: string): string {
  const entry = entries.find((e) => e.id === id);
  if (!entry) throw new UsageError(`--explain ${id}: unknown rule id. Known ids:\n  ${entries.map((e) => e.id).join('\n  ')}`);
  const page = readRuleDoc(id);
  if (page !== null) return page.endsWith('\n') ? page : `${page}\n`;
  return (
    `# ${entry.id}\n\n**Severity:** ${entry.severity} · **File kind:** ${entry.kinds.join(', ')} · **Fixed by:** ${fixerText(entry)}\n\n` +
    `${entry.description}\n${entry.rationale ? `\n${entry.rationale}\n` : ''}\n(docs/rules/${entry.id}.md is not written yet)\n`
  );
}

export async function rulesCommand(opts: { format: string; explain?: string }): Promise<number> {
  const entries = catalog(await loadTransforms());
  if (opts.explain !== undefined) {
    process.stdout.write(explain(entries, opts.explain));
    return 0;
  }
  if (opts.format === 'json') process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  else if (opts.format === 'text')
    process.stdout.write(table(['id', 'severity', 'file kind', 'fixer', 'description'], entries.map((e) => [e.id, e.severity, e.kinds.join(','), fixerText(e), e.description])));
  else throw new UsageError(`--format ${opts.format}: expected text or json`);
  return 0;
}
