// `fix --dry-run --group-by service|rule`: the annotated diff under group
// headings. Membership (README, fix):
//   - service: a file of a package belongs to that package; a repo-level
//     file's hunk (compose, workflows) to the services of the findings it
//     fixes, else to "repository". A file is printed under each group it has
//     hunks in, with only those hunks.
//   - rule: a hunk belongs to each of its rules (review-model.ts,
//     hunkAttribution), so a hunk that fixes two rules is printed twice.
// Hunk headers carry their transform ids after the `@@ … @@`, as annotatedDiff.
import type { ReviewFile, ReviewHunk, ReviewModel } from './review-model.js';

export const GROUP_BY = ['service', 'rule'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

interface Group {
  heading: string;
  files: { file: ReviewFile; hunks: ReviewHunk[] }[];
}

const REPOSITORY = 'repository (files outside any service)';

function annotated(file: ReviewFile, hunks: ReviewHunk[]): string {
  return `${[...file.head, ...hunks.flatMap((h) => [`${h.header} ${h.transforms.join(', ')}`, ...h.lines])].join('\n')}\n`;
}

function stats(files: Group['files']): string {
  const hunks = files.flatMap((f) => f.hunks);
  const add = hunks.reduce((n, h) => n + h.added, 0);
  const del = hunks.reduce((n, h) => n + h.removed, 0);
  return `${files.length} file${files.length === 1 ? '' : 's'}, ${hunks.length} hunk${hunks.length === 1 ? '' : 's'}, +${add} -${del}`;
}

export function groups(model: ReviewModel, by: GroupBy): Group[] {
  const keyed = new Map<string, Group['files']>();
  const push = (key: string, file: ReviewFile, hunk: ReviewHunk) => {
    const list = keyed.get(key) ?? [];
    const last = list[list.length - 1];
    if (last?.file === file) last.hunks.push(hunk);
    else list.push({ file, hunks: [hunk] });
    keyed.set(key, list);
  };
  for (const file of model.files)
    for (const hunk of file.hunks) {
      const keys = by === 'service' ? (hunk.services.length ? hunk.services : ['']) : hunk.rules.length ? hunk.rules : [''];
      for (const k of keys) push(k, file, hunk);
    }
  if (by === 'rule') {
    const out: Group[] = model.rules.filter((r) => keyed.has(r.id)).map((r) => ({ heading: `# rule ${r.id} [${r.severity}]: ${stats(keyed.get(r.id)!)}`, files: keyed.get(r.id)! }));
    if (keyed.has('')) out.push({ heading: `# no rule: ${stats(keyed.get('')!)}`, files: keyed.get('')! });
    return out;
  }
  // Inventory order, then libraries by name, then repo-level files.
  const inventory = model.services.map((s) => s.name);
  const rest = [...keyed.keys()].filter((k) => k && !inventory.includes(k)).sort();
  const dirOf = new Map(model.services.map((s) => [s.name, s.dir]));
  const out: Group[] = [...inventory, ...rest]
    .filter((k) => keyed.has(k))
    .map((k) => ({ heading: `# service ${k}${dirOf.has(k) ? ` (${dirOf.get(k)})` : ''}: ${stats(keyed.get(k)!)}`, files: keyed.get(k)! }));
  if (keyed.has('')) out.push({ heading: `# ${REPOSITORY}: ${stats(keyed.get('')!)}`, files: keyed.get('')! });
  return out;
}

export function renderGroupedDiff(model: ReviewModel, by: GroupBy): string {
  return groups(model, by)
    .map((g) => `${g.heading}\n\n${g.files.map((f) => annotated(f.file, f.hunks)).join('')}`)
    .join('\n');
}

/** Without --dry-run: the written files under the same headings. */
export function renderGroupedWritten(model: ReviewModel, by: GroupBy, written: string[]): string {
  const ok = new Set(written);
  return groups(model, by)
    .map((g) => `${g.heading}\n${g.files.filter((f) => ok.has(f.file.path)).map((f) => `fixed ${f.file.path}\n`).join('')}`)
    .join('\n');
}
