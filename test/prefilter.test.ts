// The engine's shortcuts must be invisible: a transform's needles may only
// skip files it has nothing to say about, and the node index must answer
// every `find` exactly as a real traversal does. Both are checked on every
// code fixture (inputs and outputs), the richest set of shapes we have.
import { describe, expect, it } from 'vitest';
import jscodeshift, { type ASTPath, type Collection } from 'jscodeshift';
import { loadTransforms } from '../transforms/registry.js';
import { NodeIndex } from '../src/engine/node-index.js';
import { codeParserFor } from '../src/engine/parsers.js';
import { hasNeedle } from '../src/engine/prefilter.js';
import { caseKind, listFixtureTransformIds, loadCases, runCase } from './helpers/fixtures.js';
import type { AnyTransform } from '../src/engine/types.js';

const transforms = await loadTransforms();
const byId = new Map(transforms.map((t) => [t.id, t]));
const codeCases = listFixtureTransformIds()
  .flatMap((id) => loadCases(id).map((c) => ({ c, t: byId.get(id)! })))
  .filter(({ c, t }) => t && caseKind(c, t) === 'code');

const strip = (t: AnyTransform): AnyTransform => ({ ...t, needles: undefined }) as AnyTransform;
const essence = (o: ReturnType<typeof runCase>) => ({ findings: o.findings, output: o.output, error: o.error });

describe('prefilter', () => {
  it('has code cases to check', () => {
    expect(codeCases.length).toBeGreaterThan(90);
  });

  it.each(codeCases.map(({ c, t }) => [`${t.id}/${c.name}`, c, t] as const))('%s: needles change no finding and no fix', (_, c, t) => {
    for (const text of [c.input, c.output ?? c.input]) {
      for (const mode of ['detect', 'fix'] as const) {
        expect(essence(runCase(c, t, text, mode))).toEqual(essence(runCase(c, strip(t), text, mode)));
      }
    }
  });

  it('every code transform declares needles, and a file without them is never parsed', () => {
    const code = transforms.filter((t) => t.kind === 'code');
    for (const t of code) expect(t.needles?.length, t.id).toBeGreaterThan(0);
    const plain = 'export function total(items: { price: number }[]) {\n  return items.reduce((s, i) => s + i.price, 0);\n}\n';
    expect(code.filter((t) => hasNeedle(t.needles, plain)).map((t) => t.id)).toEqual([]);
  });
});

// Every node type the fixtures contain, plus the abstract ones transforms ask for.
const ABSTRACT = ['Node', 'Function', 'Expression', 'Statement', 'Declaration', 'Pattern'];

function typesIn(root: Collection): string[] {
  const seen = new Set<string>(ABSTRACT);
  root.find(jscodeshift.Node).forEach((p) => void seen.add((p.value as { type: string }).type));
  return [...seen].filter((t) => (jscodeshift as unknown as Record<string, unknown>)[t]);
}

describe('node index', () => {
  const files = codeCases.flatMap(({ c }) => [
    { name: c.inputFile, text: c.input },
    ...(c.output ? [{ name: c.outputFile, text: c.output }] : []),
  ]);

  it.each(files.map((f) => [f.name.split('/fixtures/')[1]!, f] as const))('%s: find from the index equals a traversal', (_, f) => {
    const parser = codeParserFor(f.name)!;
    const j = jscodeshift.withParser(parser);
    const root = j(f.text);
    const index = new NodeIndex(root);
    const types = typesIn(root);
    for (const type of types) {
      const namedType = (j as unknown as Record<string, { toString(): string }>)[type]!;
      const real = root.find(namedType as never).paths();
      expect(index.find(root, namedType, undefined)!.paths(), type).toEqual(real);
      // Below a path: the first function's body, a subtree query.
      const fn = root.find(j.Function).paths()[0] as ASTPath | undefined;
      if (fn) {
        const sub = j(fn);
        expect(index.find(sub, namedType, undefined)!.paths(), `${type} under a function`).toEqual(sub.find(namedType as never).paths());
      }
    }
    // Filters go through jscodeshift's own matchNode.
    expect(index.find(root, j.Identifier, { name: 'process' })!.paths()).toEqual(root.find(j.Identifier, { name: 'process' }).paths());
    // Another tree's paths are not in this index: the caller falls back to a traversal.
    expect(index.find(j('const a = 1;'), j.Identifier, undefined)).toBeNull();
  });
});
