// Unified diffs for review and patches for `git apply`. One format serves
// both: `diff --git a/<path> b/<path>` headers, paths relative to the root.
import { structuredPatch } from 'diff';
import type { FileChange } from './pipeline.js';

function hunkLines(before: string, after: string, context: number): string[] {
  const patch = structuredPatch('a', 'b', before, after, '', '', { context });
  const out: string[] = [];
  for (const h of patch.hunks) {
    const oldRange = h.oldLines === 1 ? `${h.oldStart}` : `${h.oldStart},${h.oldLines}`;
    const newRange = h.newLines === 1 ? `${h.newStart}` : `${h.newStart},${h.newLines}`;
    out.push(`@@ -${oldRange} +${newRange} @@`);
    out.push(...h.lines);
  }
  return out;
}

/** The diff of one change, ending with a newline. */
export function fileDiff(change: FileChange, context = 3): string {
  const p = change.path;
  const head =
    change.before === null
      ? [`diff --git a/${p} b/${p}`, 'new file mode 100644', '--- /dev/null', `+++ b/${p}`]
      : [`diff --git a/${p} b/${p}`, `--- a/${p}`, `+++ b/${p}`];
  // structuredPatch treats a missing old file as empty text.
  return [...head, ...hunkLines(change.before ?? '', change.after, context)].join('\n') + '\n';
}

export function patchOf(changes: FileChange[]): string {
  return changes.map((c) => fileDiff(c)).join('');
}
