// The engine prints every document of a fixed manifest with the yaml
// library's defaults: lists indented under their key, two-space indent. Many
// manifests are written the other way, as `kubectl get -o yaml` prints them
// (`containers:` with `- name:` at the key's column), and a reprint in the
// default style would rewrite every list of the file, documents the fix never
// touched included. So each document is printed the way it was written: the
// yaml Document API's per-document print defaults (`toStringDefaults`, kept
// on the document's schema) get the list indentation and indent width its
// source uses most. What no print option covers (the spacing before a
// trailing `# comment`) is normalised to one space.
import { isMap, isSeq, visit, type Document, type Node } from 'yaml';

function columnAt(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function majority(counts: Map<number, number>): number | null {
  let best: number | null = null;
  for (const [value, n] of counts) if (best === null || n > counts.get(best)! || (n === counts.get(best)! && value < best)) best = value;
  return best;
}

export function keepSourceStyle(doc: Document, text: string): void {
  const seqIndent = new Map<number, number>();
  const mapIndent = new Map<number, number>();
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (!key?.range || !value?.range) return;
      // Only a value that starts on a later line says how deep a nested block goes.
      if (!text.slice(key.range[1], value.range[0]).includes('\n')) return;
      const depth = columnAt(text, value.range[0]) - columnAt(text, key.range[0]);
      if (isSeq(value) && !value.flow) seqIndent.set(depth, (seqIndent.get(depth) ?? 0) + 1);
      else if (isMap(value) && !value.flow) mapIndent.set(depth, (mapIndent.get(depth) ?? 0) + 1);
    },
  });
  const indent = majority(mapIndent);
  const seq = majority(seqIndent);
  const style = { ...(doc.schema.toStringOptions ?? {}) };
  if (indent !== null && indent >= 2 && indent <= 8) style.indent = indent;
  // A list at the key's own column is kubectl's style; any deeper one is the library's default.
  if (seq !== null) style.indentSeq = seq > 0;
  doc.schema.toStringOptions = style;
}
