// The fixture harness: every case of every transform, discovered from folders.
// Asserts byte-exact output, idempotency, re-parse, comment survival and that
// detect and fix agree. TypeScript outputs are type-checked in typecheck.test.ts.
import { describe, expect, it } from 'vitest';
import { parse as babelParse } from '@babel/parser';
import { registry } from '../transforms/registry.js';
import { parse } from '../src/engine/parsers.js';
import { normalize, restore } from '../src/engine/text.js';
import type { AnyTransform, Finding } from '../src/engine/types.js';
import { caseKind, casePath, companionOwnerFindings, listFixtureTransformIds, loadCases, runCase, type FixtureCase } from './helpers/fixtures.js';

const transforms = new Map<string, AnyTransform>();
for (const e of registry) transforms.set(e.id, await e.load());

function fix(c: FixtureCase, t: AnyTransform, raw: string, extra?: Record<string, string>) {
  const { text, shape } = normalize(raw);
  const out = runCase(c, t, text, 'fix', extra);
  return { ...out, text: out.output === undefined ? raw : restore(out.output, shape) };
}

function findingsOf(c: FixtureCase, t: AnyTransform, raw: string, extra?: Record<string, string>): Finding[] {
  return runCase(c, t, normalize(raw).text, 'detect', extra).findings.filter((f) => f.rule in t.rules);
}

function commentsOf(c: FixtureCase, t: AnyTransform, text: string): string[] {
  if (t.kind === 'code') {
    const ext = c.inputFile.split('.').pop()!;
    const plugins: ('typescript' | 'jsx')[] = ext === 'ts' || ext === 'mts' || ext === 'cts' ? ['typescript'] : ext === 'tsx' ? ['typescript', 'jsx'] : ['jsx'];
    const ast = babelParse(text, { sourceType: 'unambiguous', plugins, errorRecovery: true, allowReturnOutsideFunction: true });
    return (ast.comments ?? []).map((cm) => cm.value.trim()).filter(Boolean);
  }
  // Dockerfile, shell, YAML: whole-line comments.
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('#') && !l.startsWith('#!'))
    .map((l) => l.replace(/^#+\s*/, ''))
    .filter(Boolean);
}

describe('fixture folders', () => {
  it('name only registered transforms, and every fixer has fixtures', () => {
    const ids = listFixtureTransformIds();
    const registered = registry.map((e) => e.id);
    for (const id of ids) expect(registered, `fixtures/${id} is not a registered transform`).toContain(id);
    for (const [id, t] of transforms) if (t.fix) expect(ids, `transform ${id} has a fixer but no fixtures/${id}`).toContain(id);
  });
});

for (const id of listFixtureTransformIds()) {
  const t = transforms.get(id);
  if (!t) continue;
  const cases = loadCases(id);
  describe(`${id}`, () => {
    it('has a case that changes the file and a case that must not', () => {
      if (!t.fix) return;
      expect(cases.some((c) => c.output !== null && (c.output !== c.input || Object.keys(c.created).length > 0)), 'no changing case').toBe(true);
      expect(cases.some((c) => c.output === c.input && Object.keys(c.created).length === 0), 'no must-not-change case').toBe(true);
    });

    it('has no duplicate cases', () => {
      const inputs = cases.map((c) => c.input);
      expect(new Set(inputs).size).toBe(inputs.length);
    });

    for (const c of cases) {
      describe(c.name, () => {
        it('has an expected output', () => {
          expect(c.output, `${c.dir}: missing ${c.outputFile}`).not.toBeNull();
        });

        it('fixes the input into the expected output, byte for byte', () => {
          if (c.output === null) return;
          const out = fix(c, t, c.input);
          expect(out.error).toBeUndefined();
          expect(out.text).toBe(c.output);
          const created = Object.fromEntries(out.created.map((f) => [f.path, f.text]));
          expect(created).toEqual(c.created);
        });

        it('changes nothing on a second run (idempotent)', () => {
          if (c.output === null) return;
          const again = fix(c, t, c.output, c.created);
          expect(again.error).toBeUndefined();
          expect(again.text).toBe(c.output);
          expect(again.created).toEqual([]);
        });

        it('produces output that parses', () => {
          if (c.output === null) return;
          expect(() => parse(caseKind(c, t), casePath(c, caseKind(c, t)), normalize(c.output!).text)).not.toThrow();
        });

        it('keeps every comment of the input', () => {
          if (c.output === null) return;
          const kept = commentsOf(c, t, c.output);
          for (const comment of commentsOf(c, t, c.input)) {
            if (c.config.droppedComments?.includes(comment)) continue;
            expect(kept, `comment lost: ${comment}`).toContain(comment);
          }
        });

        it('detects what it fixes, and nothing after the fix', () => {
          if (caseKind(c, t) !== t.kind) {
            // A companion reports nothing itself: its change belongs to a fixable finding on the file it accompanies.
            const owner = companionOwnerFindings(c, t, normalize(c.input).text).findings.filter((f) => f.rule in t.rules);
            const changed = c.output !== null && c.output !== c.input;
            expect(owner.some((f) => f.fix !== null), `${c.config.companionOf} ${changed ? 'has no' : 'has a'} fixable finding`).toBe(changed);
            return;
          }
          const before = findingsOf(c, t, c.input);
          if (c.config.expect) {
            const key = (x: { rule: string; line: number; manual: boolean }) => `${x.line}:${x.rule}:${x.manual ? 'manual' : 'fix'}`;
            const got = before.map((f) => key({ rule: f.rule, line: f.line, manual: f.fix === null })).sort();
            const want = c.config.expect.map((e) => key({ rule: e.rule, line: e.line, manual: !!e.manual })).sort();
            expect(got).toEqual(want);
          }
          for (const f of before) if (f.fix === null) expect(f.message, 'a finding without a fix must say manual:').toMatch(/^manual: /);
          if (!t.fix || c.output === null) return;
          if (c.output !== c.input || Object.keys(c.created).length > 0) expect(before.filter((f) => f.fix !== null).length, 'changed case reports nothing fixable').toBeGreaterThan(0);
          else expect(before.filter((f) => f.fix !== null), 'unchanged case reports a fixable finding').toEqual([]);
          expect(findingsOf(c, t, c.output, c.created).filter((f) => f.fix !== null), 'fixed output still reports').toEqual([]);
        });
      });
    }
  });
}

describe('rule coverage', () => {
  it('every rule a transform declares has a fixture that triggers it and a near-miss that must not', () => {
    const triggers = new Map<string, number>();
    const nearMisses = new Map<string, number>();
    for (const id of listFixtureTransformIds()) {
      const t = transforms.get(id);
      if (!t) continue;
      for (const c of loadCases(id)) {
        const found = new Set(findingsOf(c, t, c.input).map((f) => f.rule));
        for (const rule of Object.keys(t.rules)) {
          const bucket = found.has(rule) ? triggers : nearMisses;
          bucket.set(rule, (bucket.get(rule) ?? 0) + 1);
        }
      }
    }
    const declared = [...new Set([...transforms.values()].flatMap((t) => Object.keys(t.rules)))].sort();
    expect(declared.filter((r) => !triggers.get(r)), 'rules no fixture triggers').toEqual([]);
    expect(declared.filter((r) => !nearMisses.get(r)), 'rules with no near-miss fixture').toEqual([]);
  });
});
