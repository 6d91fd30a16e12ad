// Seeded fuzzing of the engine over mutated fixture inputs (issue 13): every
// transform's fixture inputs, truncated, missing a token, with a line doubled
// or random characters inserted, through the engine in-process the way the
// fixture harness runs it (scanFile and fixFile via runCase; the CLI would
// spend its time starting up). For every mutant: nothing throws, a fixed
// output parses, no fixer breaks the file (the engine would drop its change),
// and fixing that output again changes nothing. Mutants are the same on every
// machine, and a case's mutants do not move when other cases come and go; a
// failure names the mutant (`transform/case#n`) and saves it under FUZZ_DIR,
// ready to become a fixture case.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../transforms/registry.js';
import { parses } from '../src/engine/parsers.js';
import { normalize } from '../src/engine/text.js';
import type { AnyTransform, FileKind } from '../src/engine/types.js';
import { caseKind, casePath, listFixtureTransformIds, loadCases, runCase, type FixtureCase } from './helpers/fixtures.js';

/**
 * Mutants in all, about, spread evenly over the fixture inputs (see
 * MUTANTS_PER_CASE). Measured on the 2-core machine: 2,154 mutants take 7 s of
 * test time, 10 s with vitest's start (25 s with the cores busy elsewhere).
 */
const CASES = 2_000;
const BATCH = 100;
const SEED = 0x5eed_13;
const FUZZ_DIR = path.join(os.tmpdir(), 'shipshape-fuzz');

/** mulberry32: tiny, fast and the same everywhere; Math.random cannot be seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What can reach the engine: readFile rejects NUL and invalid UTF-8, so no NUL and no lone surrogate.
const NOISE = [...'{}()[]<>"\'`$\\;:,.#-|&*!@%=+?/~^ \t\r\n\x01\x1b\x7f\u00a0\u2028\ufeff\ufffdé€', '😀', '${', '*/', '/*', '<<EOF', '{{', '\\\n'];

type Mutation = (text: string, rnd: () => number) => string;
const pick = <T>(items: readonly T[], rnd: () => number): T => items[Math.floor(rnd() * items.length)]!;

const MUTATIONS: Record<string, Mutation> = {
  // At a line end half the time: a Dockerfile, script or YAML file cut there still parses, and the fixers run.
  truncate: (text, rnd) => {
    const at = Math.floor(rnd() * text.length);
    if (rnd() < 0.5) return text.slice(0, at);
    const eol = text.indexOf('\n', at);
    return eol === -1 ? text : text.slice(0, eol + 1);
  },
  deleteToken: (text, rnd) => {
    const tokens = [...text.matchAll(/[A-Za-z_$][\w$]*|\d+|\S/g)];
    if (tokens.length === 0) return text;
    const t = pick(tokens, rnd);
    return text.slice(0, t.index) + text.slice(t.index + t[0].length);
  },
  duplicateLine: (text, rnd) => {
    const lines = text.split('\n');
    const i = Math.floor(rnd() * lines.length);
    lines.splice(i, 0, lines[i]!);
    return lines.join('\n');
  },
  insertBytes: (text, rnd) => {
    const at = Math.floor(rnd() * (text.length + 1));
    let noise = '';
    for (let n = 1 + Math.floor(rnd() * 6); n > 0; n--) noise += pick(NOISE, rnd);
    return text.slice(0, at) + noise + text.slice(at);
  },
};

interface Mutant {
  /** `transform/case#n`: the n-th mutant of that fixture input. */
  id: string;
  seed: number;
  c: FixtureCase;
  t: AnyTransform;
  kind: FileKind;
  ops: string[];
  text: string;
}

const transforms = new Map<string, AnyTransform>();
for (const e of registry) transforms.set(e.id, await e.load());
const cases = listFixtureTransformIds()
  .filter((id) => transforms.has(id))
  .flatMap((id) => loadCases(id).map((c) => ({ c, t: transforms.get(id)! })));
const MUTANTS_PER_CASE = Math.max(1, Math.round(CASES / cases.length));

/** FNV-1a of the case's name: its mutants stay the same when other fixture cases come and go. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The n-th mutant of one fixture input: one to three mutations, all drawn from its seed. */
function mutant(c: FixtureCase, t: AnyTransform, n: number): Mutant {
  const id = `${t.id}/${c.name}#${n}`;
  const seed = (hash(`${t.id}/${c.name}`) ^ Math.imul(SEED + n, 0x9e3779b1)) >>> 0;
  const rnd = prng(seed);
  const ops: string[] = [];
  // The engine reads CRLF files as LF (text.ts): mutate what it sees.
  let text = normalize(c.input).text;
  for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
    const op = pick(Object.keys(MUTATIONS), rnd);
    ops.push(op);
    text = MUTATIONS[op]!(text, rnd);
  }
  return { id, seed, c, t, kind: caseKind(c, t), ops, text };
}

const mutants = cases.flatMap(({ c, t }) => Array.from({ length: MUTANTS_PER_CASE }, (_, n) => ({ c, t, n })));

/** Saves what it takes to replay a failure: the mutant as a fixture input, and the output when there is one. */
function save(m: Mutant, problem: string, output?: string): string {
  const dir = path.join(FUZZ_DIR, m.t.id, `${m.c.name}-${m.id.split('#')[1]}`);
  fs.mkdirSync(dir, { recursive: true });
  const ext = path.extname(m.c.inputFile);
  fs.writeFileSync(path.join(dir, `input${ext}`), m.text);
  if (output !== undefined) fs.writeFileSync(path.join(dir, `output${ext}`), output);
  fs.writeFileSync(path.join(dir, 'problem.txt'), `${problem}\n${m.id} (seed ${m.seed}): ${m.ops.join(', ')} of fixtures/${m.t.id}/${m.c.name}\n`);
  return dir;
}

/** The problem a mutant shows, or null. */
function check(m: Mutant): string | null {
  const file = casePath(m.c, m.kind);
  const step = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new Error(`${what} threw: ${(err as Error).stack ?? String(err)}`);
    }
  };
  try {
    step('scan', () => runCase(m.c, m.t, m.text, 'detect'));
    const fixed = step('fix', () => runCase(m.c, m.t, m.text, 'fix'));
    // The engine caught a fixer breaking the file and dropped its change: safe for the user, still a fixer bug.
    if (fixed.error && /produced (code|a file) that does not parse/.test(fixed.error.message)) return `${fixed.error.message} (${save(m, fixed.error.message)})`;
    if (fixed.output === undefined) return null;
    if (!parses(m.kind, file, fixed.output)) return `fix wrote output that does not parse (${save(m, 'unparsable output', fixed.output)})`;
    const again = step('second fix', () => runCase(m.c, m.t, fixed.output!, 'fix'));
    if (again.output !== undefined)
      return `fix is not idempotent: a second run changed its own output (${save(m, `second run output:\n${again.output}`, fixed.output)})`;
    return null;
  } catch (err) {
    return `${(err as Error).message.split('\n').slice(0, 6).join('\n')}\n  (${save(m, (err as Error).message)})`;
  }
}

describe(`fuzz: ${mutants.length} mutants, ${MUTANTS_PER_CASE} of each of ${cases.length} fixture inputs (seed ${SEED})`, () => {
  it('has fixture inputs to mutate', () => {
    expect(cases.length).toBeGreaterThan(300);
  });

  for (let start = 0; start < mutants.length; start += BATCH) {
    const batch = mutants.slice(start, start + BATCH);
    it(`mutants ${start}..${start + batch.length - 1}: never throw, fix output parses and is idempotent`, () => {
      const problems: string[] = [];
      for (const { c, t, n } of batch) {
        const m = mutant(c, t, n);
        const problem = check(m);
        if (problem) problems.push(`${m.id} (${m.ops.join(', ')}): ${problem}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
