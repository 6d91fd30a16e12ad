// Text-range plumbing for the build fixers (lockfile, pin-pnpm, runtime-node).
// The shell of a RUN is parsed from the instruction's *folded* arguments (line
// continuations removed), so a command's offsets must be mapped back to the
// file before it can be edited. Edits stay line-scoped: whole lines inserted,
// one instruction's arguments or one shell command replaced; every other byte
// of the file stays as it was.
import type { DockerInstruction } from '../../../src/engine/dockerfile.js';
import type { TextEdit } from '../../../src/engine/types.js';

interface Segment {
  /** Offset in the folded arguments string. */
  argStart: number;
  /** Offset in the file text. */
  fileStart: number;
  length: number;
}

interface Position {
  line: number;
  character: number;
}

interface RangedNode {
  getArgumentsRanges(): { start: Position; end: Position }[];
  getArguments(): { getValue(): string; getRange(): { start: Position; end: Position } }[];
}

// Asked for every argument of every instruction: computed once per text.
let lastText: string | null = null;
let lastStarts: number[] = [];

function lineStarts(text: string): number[] {
  if (text === lastText) return lastStarts;
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  lastText = text;
  lastStarts = starts;
  return starts;
}

function offsetOf(text: string, p: Position): number {
  return (lineStarts(text)[p.line] ?? text.length) + p.character;
}

// dockerfile-ast scans the instruction's text again on every ranges call, and
// each command of each RUN asks twice: once per parsed instruction instead.
const segmentsOf = new WeakMap<DockerInstruction, Segment[]>();

/** The pieces of the file that make up `instr.args`, in order. */
function segments(text: string, instr: DockerInstruction): Segment[] {
  let out = segmentsOf.get(instr);
  if (!out) segmentsOf.set(instr, (out = computeSegments(text, instr)));
  return out;
}

function computeSegments(text: string, instr: DockerInstruction): Segment[] {
  const out: Segment[] = [];
  let argStart = 0;
  for (const r of (instr.node as unknown as RangedNode).getArgumentsRanges()) {
    const fileStart = offsetOf(text, r.start);
    const length = offsetOf(text, r.end) - fileStart;
    out.push({ argStart, fileStart, length });
    argStart += length;
  }
  return out;
}

/**
 * File offset of an offset into `instr.args`. A boundary between two folded
 * lines maps to the end of the earlier line for `end` and the start of the
 * later one for `start`, so a replaced range never swallows a `\` continuation.
 */
export function fileOffset(text: string, instr: DockerInstruction, argOffset: number, side: 'start' | 'end'): number {
  const segs = segments(text, instr);
  for (const s of segs) {
    const within = side === 'start' ? argOffset < s.argStart + s.length : argOffset <= s.argStart + s.length;
    if (within) return s.fileStart + Math.max(0, argOffset - s.argStart);
  }
  const last = segs[segs.length - 1];
  return last ? last.fileStart + last.length : instr.end;
}

/** Offset where the instruction's arguments begin (after keyword and flags). */
export function argsStart(text: string, instr: DockerInstruction): number {
  return segments(text, instr)[0]?.fileStart ?? instr.end;
}

export interface ArgWord {
  value: string;
  start: number;
  end: number;
}

/** Whitespace-separated arguments of a non-JSON instruction (COPY, FROM, WORKDIR), with file offsets. */
export function argWords(text: string, instr: DockerInstruction): ArgWord[] {
  return (instr.node as unknown as RangedNode).getArguments().map((a) => {
    const r = a.getRange();
    return { value: a.getValue(), start: offsetOf(text, r.start), end: offsetOf(text, r.end) };
  });
}

/** Replaces the arguments of an instruction, keeping its keyword and flags as written. */
export function replaceArgs(text: string, instr: DockerInstruction, args: string): TextEdit {
  return { start: argsStart(text, instr), end: instr.end, text: args };
}

/** Inserts whole lines before the line where `instr` starts. */
export function insertLinesBefore(instr: DockerInstruction, lines: string[]): TextEdit {
  return { start: instr.lineStart, end: instr.lineStart, text: lines.map((l) => `${l}\n`).join('') };
}

/** Inserts whole lines after the last line of `instr`. */
export function insertLinesAfter(text: string, instr: DockerInstruction, lines: string[]): TextEdit {
  const glue = instr.lineEnd > 0 && text[instr.lineEnd - 1] !== '\n' ? '\n' : '';
  return { start: instr.lineEnd, end: instr.lineEnd, text: glue + lines.map((l) => `${l}\n`).join('') };
}

/** Removes the lines of an instruction (its own lines only; comments above stay). */
export function deleteLines(instr: DockerInstruction): TextEdit {
  return { start: instr.lineStart, end: instr.lineEnd, text: '' };
}

/** The exec (JSON array) form Docker documents: `["dumb-init", "node", "dist/index.js"]`. */
export function execForm(argv: string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(', ')}]`;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./~^-]+$/;

/** A word as shell source: bare when it needs no quoting, else single-quoted. */
export function shellWord(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The edits of one fix as a single edit (ESLint's mergeFixes): the engine
 * applies it whole or defers it whole, so a fix that touches two places (the
 * CMD and the line installing dumb-init, the install and the COPY of the
 * lockfile) never lands half-way. Insertions at the same offset keep their
 * order; bytes between the edits are copied unchanged.
 */
export function mergeEdits(text: string, edits: TextEdit[]): TextEdit[] {
  if (edits.length < 2) return edits;
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i);
  const start = sorted[0]!.e.start;
  let cursor = start;
  let out = '';
  for (const { e } of sorted) {
    if (e.start < cursor) throw new Error(`overlapping edits at offset ${e.start} within one fix`);
    out += text.slice(cursor, e.start) + e.text;
    cursor = e.end;
  }
  return [{ start, end: cursor, text: out }];
}

/** Identical edits requested by two findings are applied once. */
export function dedupeEdits(edits: TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.start}:${e.end}:${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
