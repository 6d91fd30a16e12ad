// `fix --format markdown`: a pull-request description for a fix run. What
// changed per rule with counts, which services, what is left for a human;
// long lists are capped with "and N more" so it fits a PR body. The counts
// come from the same model as `fix --format json` (review-model.ts).
import type { ReviewModel } from './review-model.js';
import { cell, code, plural, tableOf } from './md.js';

/** Rows before "and N more": a PR body, not a report. */
export const MARKDOWN_CAPS = { rules: 40, services: 20, manualRules: 15, where: 3, failures: 10 };

const more = (n: number, what: string) => (n > 0 ? `\n_…and ${n} more ${what}._\n` : '');

export function renderFixMarkdown(model: ReviewModel): string {
  const s = model.summary;
  const out: string[] = [];
  out.push(`## shipshape fix: ${plural(s.files, 'file')} changed, +${s.added} -${s.removed} lines\n`);
  const touched = new Set(model.files.flatMap((f) => f.hunks.flatMap((h) => h.services)));
  const what = `${plural(s.files, 'file')} changed${s.created ? ` (${s.created} created)` : ''} in ${plural(s.hunks, 'hunk')} across ${plural(touched.size, 'service')}`;
  const failed = s.failed ? `; ${plural(s.failed, 'file')} could not be transformed` : '';
  const left = s.manual ? `${plural(s.manual, 'finding')} still need${s.manual === 1 ? 's' : ''} a human` : 'Nothing is left for a human';
  out.push(`${model.dryRun ? 'Dry run of' : 'Applied'} \`shipshape fix\` ${model.tool.version} on \`${model.title}\`: ${what}${failed}. ${left}.\n`);

  const changed = model.rules.filter((r) => r.hunks > 0);
  out.push('### What changed, per rule\n');
  if (changed.length === 0) out.push('Nothing to change.\n');
  else {
    out.push(
      tableOf(
        ['Rule', 'Severity', 'Files', 'Hunks', 'Lines', 'What it fixes'],
        changed.slice(0, MARKDOWN_CAPS.rules).map((r) => [code(r.id), r.severity, String(r.files), String(r.hunks), `+${r.added} -${r.removed}`, r.description]),
      ),
    );
    out.push(more(changed.length - MARKDOWN_CAPS.rules, 'rules'));
    out.push('A hunk that fixes two rules counts under both.\n');
  }

  const manualBy = new Map<string, number>();
  for (const f of model.findings) if (f.status === 'manual' && f.service) manualBy.set(f.service, (manualBy.get(f.service) ?? 0) + 1);
  const rows = model.services
    .map((svc) => {
      const hunks = model.files.flatMap((f) => f.hunks.filter((h) => h.services.includes(svc.name)));
      const files = model.files.filter((f) => f.hunks.some((h) => h.services.includes(svc.name))).length;
      return { svc, files, hunks: hunks.length, rules: new Set(hunks.flatMap((h) => h.rules)).size, manual: manualBy.get(svc.name) ?? 0 };
    })
    .filter((r) => r.files > 0 || r.manual > 0)
    .sort((a, b) => b.files - a.files || b.manual - a.manual || a.svc.name.localeCompare(b.svc.name));
  out.push('### Services\n');
  const repoFiles = model.files.filter((f) => f.hunks.some((h) => h.services.length === 0));
  // Findings of no inventory service (compose-wide, nginx) count with the repository's files.
  const inventory = new Set(model.services.map((svc) => svc.name));
  const repoManual = model.findings.filter((f) => f.status === 'manual' && !(f.service && inventory.has(f.service))).length;
  const tableRows = rows.slice(0, MARKDOWN_CAPS.services).map((r) => [code(r.svc.name), r.svc.type, String(r.files), String(r.hunks), String(r.rules), String(r.manual)]);
  if (repoFiles.length || repoManual) {
    const hunks = repoFiles.flatMap((f) => f.hunks.filter((h) => h.services.length === 0));
    tableRows.push(['repository files', '—', String(repoFiles.length), String(hunks.length), String(new Set(hunks.flatMap((h) => h.rules)).size), String(repoManual)]);
  }
  if (tableRows.length === 0) out.push('No service changed.\n');
  else out.push(tableOf(['Service', 'Type', 'Files changed', 'Hunks', 'Rules', 'Left manual'], tableRows));
  out.push(more(rows.length - MARKDOWN_CAPS.services, 'services'));
  const quiet = model.services.length - rows.length;
  if (quiet > 0) out.push(`${plural(quiet, 'other service')}: no change and nothing left manual.\n`);

  const manual = model.findings.filter((f) => f.status === 'manual');
  out.push(`### Left for a human (${plural(manual.length, 'finding')})\n`);
  if (manual.length === 0) out.push('None: every finding of this run has a fixer.\n');
  else {
    const byRule = new Map<string, typeof manual>();
    for (const f of manual) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
    const sevRank = { blocking: 0, risky: 1, info: 2 } as const;
    const ruleRows = [...byRule.entries()].sort(([a, fa], [b, fb]) => sevRank[fa[0]!.severity] - sevRank[fb[0]!.severity] || fb.length - fa.length || a.localeCompare(b));
    out.push(
      tableOf(
        ['Rule', 'Severity', 'Findings', 'Where'],
        ruleRows.slice(0, MARKDOWN_CAPS.manualRules).map(([rule, fs]) => {
          const where = fs.slice(0, MARKDOWN_CAPS.where).map((f) => code(`${f.file}:${f.line}`));
          if (fs.length > MARKDOWN_CAPS.where) where.push(`and ${fs.length - MARKDOWN_CAPS.where} more`);
          return [code(rule), fs[0]!.severity, String(fs.length), where.join(', ')];
        }),
      ),
    );
    out.push(more(ruleRows.length - MARKDOWN_CAPS.manualRules, 'rules'));
    out.push('Details: `shipshape scan --format markdown`, or the review page (`shipshape fix --dry-run --html review.html`).\n');
  }
  if (s.open > 0) out.push(`${plural(s.open, 'fixable finding')} ${s.open === 1 ? 'was' : 'were'} not fixed by this run (\`--only\`/\`--skip\`, or a fix waiting on a file outside the run).\n`);

  if (model.failures.length) {
    out.push(`### Could not transform (${plural(model.failures.length, 'file')})\n`);
    out.push(model.failures.slice(0, MARKDOWN_CAPS.failures).map((f) => `- ${code(`${f.path}:${f.line}`)}: ${cell(f.message)}`).join('\n') + '\n');
    out.push(more(model.failures.length - MARKDOWN_CAPS.failures, 'files'));
  }
  return out.filter((p) => p !== '').join('\n');
}
