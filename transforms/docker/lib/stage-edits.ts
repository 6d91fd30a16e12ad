// Line-scoped text edits for Dockerfile fixers. Fixers of one pass must not
// overlap, so every edit here inserts whole lines, replaces one whole
// instruction or removes whole lines; the bytes around them stay identical.
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { TextEdit } from '../../../src/engine/types.js';

/** Offset of the first line of the comment block directly above `instr` (or of its own line). */
function attachedStart(text: string, instr: DockerInstruction): number {
  let start = instr.lineStart;
  while (start > 0) {
    const prevStart = text.lastIndexOf('\n', start - 2) + 1;
    if (!text.slice(prevStart, start - 1).trimStart().startsWith('#')) break;
    start = prevStart;
  }
  return start;
}

/**
 * Inserts whole `lines` above `instr` and the comments that introduce it; when
 * there are such comments the new lines become their own paragraph, so the
 * comment keeps sitting on the instruction it describes.
 */
export function insertBefore(tree: DockerfileTree, instr: DockerInstruction, lines: string[]): TextEdit {
  const at = attachedStart(tree.text, instr);
  const gap = at < instr.lineStart ? '\n' : '';
  return { start: at, end: at, text: lines.map((l) => `${l}\n`).join('') + gap };
}

/** Inserts whole `lines` after the last line of `instr`. */
export function insertAfter(tree: DockerfileTree, instr: DockerInstruction, lines: string[]): TextEdit {
  const at = instr.lineEnd;
  const newline = at === tree.text.length && !tree.text.endsWith('\n') ? '\n' : '';
  return { start: at, end: at, text: newline + lines.map((l) => `${l}\n`).join('') };
}

/** Replaces the instruction (keyword to last argument); its line break and neighbours stay. */
export function replaceInstruction(instr: DockerInstruction, text: string): TextEdit {
  return { start: instr.start, end: instr.end, text };
}

function isBlankLine(text: string, start: number): boolean {
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).trim() === '';
}

/**
 * Removes the lines of `instr`. When it sat alone between two blank lines (or a
 * blank line and the end), one blank line goes too so no double gap is left.
 */
export function removeInstruction(tree: DockerfileTree, instr: DockerInstruction): TextEdit {
  const { text } = tree;
  let end = instr.lineEnd;
  const blankBefore = instr.lineStart === 0 || isBlankLine(text, text.lastIndexOf('\n', instr.lineStart - 2) + 1);
  if (blankBefore && end < text.length && isBlankLine(text, end)) {
    const next = text.indexOf('\n', end);
    end = next === -1 ? text.length : next + 1;
  }
  return { start: instr.lineStart, end, text: '' };
}

/** Adds `flag` (e.g. `--chown=1000:1000`) after the existing flags of a COPY/ADD. */
export function addFlag(tree: DockerfileTree, instr: DockerInstruction, flag: string): TextEdit {
  const node = instr.node as unknown as { getFlags(): { getRange(): { end: { line: number; character: number } } }[]; getInstructionRange(): { end: { line: number; character: number } } };
  const flags = node.getFlags();
  const last = flags[flags.length - 1];
  const pos = last ? last.getRange().end : node.getInstructionRange().end;
  const lineStart = offsetOfLine(tree.text, pos.line);
  const at = lineStart + pos.character;
  return { start: at, end: at, text: ` ${flag}` };
}

function offsetOfLine(text: string, line0: number): number {
  let offset = 0;
  for (let l = 0; l < line0; l++) offset = text.indexOf('\n', offset) + 1;
  return offset;
}

/** Where lines appended to the final stage go: after its last instruction. */
export function endOfFinalStage(tree: DockerfileTree): DockerInstruction | undefined {
  const instrs = tree.final?.instructions ?? [];
  return instrs[instrs.length - 1];
}
