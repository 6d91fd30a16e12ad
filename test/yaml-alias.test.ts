// resolveAlias must answer exactly what yaml's Alias#resolve answers, for
// every alias of every compose file the fixtures hold and for redefined anchors.
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import { Alias, isAlias, parseDocument, visit, type Document } from 'yaml';
import { resolveAlias } from '../src/workspace/yaml-alias.js';

function aliasesOf(doc: Document): Alias[] {
  const out: Alias[] = [];
  visit(doc, { Alias: (_k, node) => void out.push(node) });
  return out;
}

describe('resolveAlias', () => {
  it('finds the last anchor of the name before the alias, as yaml does, when an anchor is redefined', () => {
    const doc = parseDocument('a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: [*x, &x 3, *x]\n');
    const resolved = aliasesOf(doc).map((a) => String((resolveAlias(doc, a) as { value?: unknown } | undefined)?.value));
    expect(resolved).toEqual(['1', '2', '2', '3']);
    for (const a of aliasesOf(doc)) expect(resolveAlias(doc, a)).toBe(a.resolve(doc));
  });

  it('agrees with yaml on every alias of the compose files under fixtures/', () => {
    const files = fg.sync('fixtures/**/*compose*.{yml,yaml}', { cwd: process.cwd(), ignore: ['**/node_modules/**'] });
    let count = 0;
    for (const f of files) {
      const doc = parseDocument(fs.readFileSync(path.join(process.cwd(), f), 'utf8'));
      for (const a of aliasesOf(doc)) {
        expect(resolveAlias(doc, a), `${f}: *${a.source}`).toBe(a.resolve(doc));
        count++;
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('hands an alias made after the document was first asked about to yaml', () => {
    const doc = parseDocument('base: &b {x: 1}\nuse: *b\n');
    const [first] = aliasesOf(doc);
    expect(resolveAlias(doc, first!)).toBe(doc.get('base', true));
    const later = doc.createAlias(doc.get('base', true) as never);
    doc.set('other', later);
    expect(isAlias(later)).toBe(true);
    expect(resolveAlias(doc, later)).toBe(doc.get('base', true));
  });
});
