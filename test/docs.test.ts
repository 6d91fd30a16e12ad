// Docs stay in step with the code (STYLE.md 14): every rule of the catalog
// has docs/rules/<id>.md with the id as title, its severity line and the
// sections of docs/writing-transforms.md in order; no page for a rule that
// does not exist; the README rules table equals what the catalog generates;
// `shipshape rules --explain ID` prints the page.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTransforms } from '../transforms/registry.js';
import { replaceRulesTable, rulesMarkdownTable, RULES_TABLE_END, RULES_TABLE_START } from '../src/commands/rules.js';
import { catalog } from '../src/engine/catalog.js';
import { DOC_SECTIONS, docPath } from '../src/report/rule-docs.js';
import { REPO } from './helpers/fixtures.js';
import { run } from './report-support.js';

const entries = catalog(await loadTransforms());
const DOCS = path.join(REPO, 'docs', 'rules');

/** Markdown lines outside fenced code blocks (a `## x` inside ```md is an example, not a section). */
function proseLines(md: string): string[] {
  let fenced = false;
  return md.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** What is wrong with one rule page; empty when it follows docs/writing-transforms.md. */
function pageProblems(id: string, severity: string, md: string): string[] {
  const problems: string[] = [];
  const lines = proseLines(md);
  if (lines[0] !== `# ${id}`) problems.push(`the first line must be "# ${id}"`);
  const meta = lines.find((l) => l.startsWith('**Severity:**'));
  if (!meta || !/^\*\*Severity:\*\* \S+ · \*\*File kind:\*\* .+ · \*\*Fixed by:\*\* .+/.test(meta)) problems.push('needs the line "**Severity:** … · **File kind:** … · **Fixed by:** …"');
  else if (meta.split(' · ')[0] !== `**Severity:** ${severity}`) problems.push(`the catalog says severity ${severity}`);
  const sections = lines.filter((l) => l.startsWith('## ')).map((l) => l.slice(3).trim());
  const head = sections.slice(0, DOC_SECTIONS.length);
  if (head.join('\n') !== DOC_SECTIONS.join('\n')) problems.push(`sections must start with ${DOC_SECTIONS.join(' / ')}, in that order (found: ${sections.join(' / ') || 'none'})`);
  return problems;
}

describe('docs/rules', () => {
  it.each(entries.map((e) => [e.id, e] as const))('%s has a page with the id as title, its severity line and the sections in order', (id, entry) => {
    const file = docPath(id);
    expect(fs.existsSync(file), `docs/rules/${id}.md is missing: every rule of the catalog needs a page (sections: docs/writing-transforms.md)`).toBe(true);
    expect(pageProblems(id, entry.severity, fs.readFileSync(file, 'utf8')), `docs/rules/${id}.md`).toEqual([]);
  });

  it('the page check catches a wrong title, severity and section order, and ignores headings in code blocks', () => {
    const good = ['# x', '', '**Severity:** risky · **File kind:** code · **Fixed by:** `y`', '', ...DOC_SECTIONS.map((s) => `## ${s}\n\ntext\n`), '## Options', ''].join('\n');
    expect(pageProblems('x', 'risky', good)).toEqual([]);
    expect(pageProblems('x', 'risky', good.replace('# x', '# z'))).toHaveLength(1);
    expect(pageProblems('x', 'blocking', good)).toEqual(['the catalog says severity blocking']);
    expect(pageProblems('x', 'risky', good.replace('## Before', '## Tmp').replace('## After', '## Before').replace('## Tmp', '## After'))[0]).toMatch(/in that order/);
    expect(pageProblems('x', 'risky', good.replace('## Before\n', '```md\n## Before\n```\n'))[0]).toMatch(/in that order/);
  });

  it('has no page for a rule id the catalog does not know', () => {
    const ids = new Set(entries.map((e) => e.id));
    const orphans = fs.existsSync(DOCS) ? fs.readdirSync(DOCS).filter((f) => f.endsWith('.md') && !ids.has(f.slice(0, -3))) : [];
    expect(orphans, 'pages for unknown rule ids (renamed or retired rules?)').toEqual([]);
  });
});

describe('README rules table', () => {
  it(`is the generated table between ${RULES_TABLE_START} and ${RULES_TABLE_END}`, () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    let expected: string;
    try {
      expected = replaceRulesTable(readme, rulesMarkdownTable(entries));
    } catch (err) {
      throw new Error(`${(err as Error).message}; then run: npm run docs:rules`);
    }
    expect(readme, 'README.md rules table is out of date; regenerate with: npm run docs:rules').toBe(expected);
  });

  it('replaceRulesTable fails clearly without markers and keeps everything outside them', () => {
    expect(() => replaceRulesTable('# x\n', 'T\n')).toThrow(`README.md: no ${RULES_TABLE_START} marker`);
    expect(() => replaceRulesTable(`${RULES_TABLE_START}\n`, 'T\n')).toThrow(`no ${RULES_TABLE_END} marker`);
    expect(() => replaceRulesTable(`${RULES_TABLE_END}\n${RULES_TABLE_START}\n`, 'T\n')).toThrow(/comes before/);
    expect(replaceRulesTable(`a\n${RULES_TABLE_START}\nold\n${RULES_TABLE_END}\nb\n`, 'T\n')).toBe(`a\n${RULES_TABLE_START}\nT\n${RULES_TABLE_END}\nb\n`);
    const table = rulesMarkdownTable([{ id: 'x-y', severity: 'risky', description: 'a | b', kinds: ['code'], fixers: [] }]);
    expect(table).toBe('| id | severity | file kind | fixer | description |\n|---|---|---|---|---|\n| [`x-y`](docs/rules/x-y.md) | risky | code | report only | a \\| b |\n');
  });
});

describe('shipshape rules --explain', () => {
  it('prints the page of a rule, and exits 2 with the list of ids on an unknown one', async () => {
    const [known, unknown] = await Promise.all([run(['rules', '--explain', 'parse-error']), run(['rules', '--explain', 'no-such-rule'])]);
    expect(known.code).toBe(0);
    expect(known.stdout).toBe(fs.readFileSync(docPath('parse-error'), 'utf8'));
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/--explain no-such-rule: unknown rule id/);
    for (const e of entries) expect(unknown.stderr).toContain(`\n  ${e.id}`);
  });
});
