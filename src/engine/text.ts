// Byte-level facts about a file that must survive a rewrite: BOM and line
// endings. Transforms always see LF text without BOM; the writer restores both.

export interface TextShape {
  bom: boolean;
  eol: '\n' | '\r\n';
}

export function normalize(raw: string): { text: string; shape: TextShape } {
  const bom = raw.charCodeAt(0) === 0xfeff;
  const body = bom ? raw.slice(1) : raw;
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  return { text: eol === '\r\n' ? body.replace(/\r\n/g, '\n') : body, shape: { bom, eol } };
}

export function restore(text: string, shape: TextShape): string {
  const body = shape.eol === '\r\n' ? text.replace(/\r?\n/g, '\r\n') : text;
  return shape.bom ? `\ufeff${body}` : body;
}

/** Applies non-overlapping edits; returns the text and the edits it had to defer. */
export function applyEdits<E extends { start: number; end: number; text: string }>(
  text: string,
  edits: E[],
): { text: string; applied: E[]; deferred: E[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const applied: E[] = [];
  const deferred: E[] = [];
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    // An insertion at the very point where the previous edit ended is fine;
    // anything reaching back into it waits for the next pass (ESLint's rule).
    if (edit.start < cursor || (applied.length > 0 && edit.start === cursor && edit.start === edit.end && applied[applied.length - 1]!.start === edit.start)) {
      deferred.push(edit);
      continue;
    }
    out += text.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
    applied.push(edit);
  }
  return { text: out + text.slice(cursor), applied, deferred };
}

/** 1-based line of a string offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** True for content that is not text: NUL bytes or invalid UTF-8. */
export function looksBinary(buf: Buffer): boolean {
  if (buf.includes(0)) return true;
  return !isUtf8(buf);
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
