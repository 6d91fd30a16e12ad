// Unified diffs for review and patches for `git apply`. One format serves
// both: `diff --git a/<path> b/<path>` headers, paths relative to the root.
// Each hunk knows the transforms that produced it (from the change's line
// provenance, see provenance.ts), so a reviewer reads every hunk with its why.
import { structuredPatch } from 'diff';
import type { FileChange } from './pipeline.js';

/** One hunk of a change, attributed to the transforms whose lines it holds. */
export interface Hunk {
  /** `@@ -a,b +c,d @@` */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The hunk's lines with their ' ', '-', '+' prefixes. */
  lines: string[];
  /** Transform ids, in the change's fix order. */
  transforms: string[];
}

function header(h: { oldStart: number; oldLines: number; newStart: number; newLines: number }): string {
  const oldRange = h.oldLines === 1 ? `${h.oldStart}` : `${h.oldStart},${h.oldLines}`;
  const newRange = h.newLines === 1 ? `${h.newStart}` : `${h.newStart},${h.newLines}`;
  return `@@ -${oldRange} +${newRange} @@`;
}

/**
 * The hunks of one change. A hunk's transforms are those that wrote one of
 * its added lines or removed one of its removed lines; a hunk the provenance
 * cannot place (the final diff aligned lines differently than the steps did)
 * gets every transform of the change, never none.
 */
export function changeHunks(change: FileChange, context = 3): Hunk[] {
  const patch = structuredPatch('a', 'b', change.before ?? '', change.after, '', '', { context });
  const order = change.applied;
  return patch.hunks.map((h) => {
    const owners = new Set<string>();
    const prov = change.provenance;
    if (prov) {
      let oldLine = h.oldStart - 1;
      let newLine = h.newStart - 1;
      // A new file's hunk starts at old line 0.
      if (h.oldLines === 0) oldLine = h.oldStart;
      if (h.newLines === 0) newLine = h.newStart;
      for (const line of h.lines) {
        if (line.startsWith('-')) prov.removed[oldLine++]?.forEach((t) => owners.add(t));
        else if (line.startsWith('+')) prov.added[newLine++]?.forEach((t) => owners.add(t));
        else if (!line.startsWith('\\')) {
          oldLine++;
          newLine++;
        }
      }
    }
    const transforms = owners.size > 0 ? order.filter((t) => owners.has(t)) : [...order];
    return { header: header(h), oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines, transforms };
  });
}

function diffHead(change: FileChange): string[] {
  const p = change.path;
  return change.before === null
    ? [`diff --git a/${p} b/${p}`, 'new file mode 100644', '--- /dev/null', `+++ b/${p}`]
    : [`diff --git a/${p} b/${p}`, `--- a/${p}`, `+++ b/${p}`];
}

/** The diff of one change, ending with a newline. */
export function fileDiff(change: FileChange, context = 3): string {
  // structuredPatch treats a missing old file as empty text.
  const hunks = changeHunks(change, context);
  return [...diffHead(change), ...hunks.flatMap((h) => [h.header, ...h.lines])].join('\n') + '\n';
}

/**
 * The diff of one change with each hunk's transforms named after its range,
 * for reading (`fix --dry-run`): `@@ -1,4 +1,5 @@ dockerfile-non-root`. Still
 * a patch: git reads text after the second `@@` as the section heading.
 */
export function annotatedDiff(change: FileChange, context = 3): string {
  const hunks = changeHunks(change, context);
  return [...diffHead(change), ...hunks.flatMap((h) => [`${h.header} ${h.transforms.join(', ')}`, ...h.lines])].join('\n') + '\n';
}

export function patchOf(changes: FileChange[]): string {
  return changes.map((c) => fileDiff(c)).join('');
}
