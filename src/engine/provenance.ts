// Which transform wrote which line. Fixers change one file in steps (one
// fixer after another, text edits pass by pass, a round more, prettier last);
// following the lines through each step tells, for every line of the result,
// the transforms that wrote it, and for every line of the original, the
// transforms that removed it. A reviewer then reads each hunk with its rule.
import { diffArrays } from 'diff';

/** One step of a fix: the text after it and who made it (null: formatting, which only reshapes what others wrote). */
export interface FixStep {
  text: string;
  by: string | null;
}

export interface Provenance {
  /** Per 0-based line of the final text: the transforms that wrote it (empty: untouched). */
  added: string[][];
  /** Per 0-based line of the original text: the transforms that removed or rewrote it. */
  removed: string[][];
}

interface Line {
  /** Index in the original text; null for a line a step wrote. */
  orig: number | null;
  by: Set<string>;
}

export function provenanceOf(original: string, steps: FixStep[]): Provenance {
  let text = original;
  let lines: Line[] = original.split('\n').map((_, i) => ({ orig: i, by: new Set<string>() }));
  const removed = lines.map(() => new Set<string>());
  for (const step of steps) {
    if (step.text === text) continue;
    const parts = diffArrays(text.split('\n'), step.text.split('\n'));
    const next: Line[] = [];
    let i = 0;
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (!part.added && !part.removed) {
        for (let n = 0; n < part.count!; n++) next.push(lines[i++]!);
        continue;
      }
      // One change block: the removed and added parts between two kept runs.
      const gone: Line[] = [];
      let added = 0;
      for (; k < parts.length && (parts[k]!.added || parts[k]!.removed); k++) {
        const p = parts[k]!;
        if (p.removed) for (let n = 0; n < p.count!; n++) gone.push(lines[i++]!);
        else added += p.count!;
      }
      k--;
      // A line rewritten by B that A wrote is both's; formatting adds no author of its own.
      const inherited = new Set(gone.flatMap((l) => [...l.by]));
      if (step.by === null && inherited.size === 0) next[next.length - 1]?.by.forEach((t) => inherited.add(t));
      const authors = step.by === null ? inherited : new Set([...inherited, step.by]);
      for (const l of gone) if (l.orig !== null) (step.by === null ? inherited : [step.by]).forEach((t) => removed[l.orig!]!.add(t));
      for (let n = 0; n < added; n++) next.push({ orig: null, by: new Set(authors) });
    }
    lines = next;
    text = step.text;
  }
  return { added: lines.map((l) => [...l.by]), removed: removed.map((s) => [...s]) };
}
