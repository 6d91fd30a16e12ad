// `shipshape fix`: rewrite files, or with --dry-run show what would change.
import fs from 'node:fs';
import { loadTransforms, registry } from '../../transforms/registry.js';
import { patchOf, fileDiff } from '../engine/patch.js';
import { runFix, UsageError, type FixResult, type Selection } from '../engine/pipeline.js';
import { writeAtomic } from '../engine/write.js';
import { table } from '../report/table.js';
import { defaultJobs } from '../engine/pool.js';
import type { AnyTransform } from '../engine/types.js';
import { progressFor } from './progress.js';

export interface FixOptions extends Selection {
  /** Commander's name for the repeatable --service flag. */
  service?: string[];
  dryRun: boolean;
  patch?: string;
  only?: string[];
  skip?: string[];
  format: string;
  quiet?: boolean;
}

export function selectFixers(transforms: AnyTransform[], only?: string[], skip?: string[]): AnyTransform[] {
  const fixable = new Set(transforms.filter((t) => t.fix).map((t) => t.id));
  for (const id of [...(only ?? []), ...(skip ?? [])])
    if (!fixable.has(id)) throw new UsageError(`unknown transform "${id}" (fixers: ${[...fixable].join(', ')})`);
  return transforms.filter((t) => t.fix && (!only?.length || only.includes(t.id)) && !skip?.includes(t.id));
}

export function summaryTable(result: FixResult): string {
  const counts = new Map<string, number>();
  for (const c of result.changes) for (const id of c.applied) counts.set(id, (counts.get(id) ?? 0) + 1);
  const rows = registry.filter((e) => counts.has(e.id)).map((e) => [e.id, counts.get(e.id)!]);
  let out = table(['transform', 'files changed'], rows);
  out += `\n${result.changes.length} files changed, ${result.unchanged} unchanged, ${result.failures.length} failed\n`;
  for (const f of result.failures) out += `  failed: ${f.path}:${f.line}: ${f.message}\n`;
  return out;
}

export async function fixCommand(root: string, opts: FixOptions): Promise<number> {
  if (!['text', 'json'].includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected text or json`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root}: not a directory`);
  const transforms = await loadTransforms();
  const fixers = selectFixers(transforms, opts.only, opts.skip);
  const bar = progressFor(opts);
  const result = await runFix(root, transforms, fixers, {
    services: opts.service,
    ...(opts.shard ? { shard: opts.shard } : {}),
    jobs: opts.jobs ?? defaultJobs(),
    ...(bar.progress ? { progress: bar.progress } : {}),
  }).finally(() => bar.end());
  if (opts.patch) fs.writeFileSync(opts.patch, patchOf(result.changes));
  const written: string[] = [];
  if (!opts.dryRun) {
    for (const c of result.changes) {
      try {
        writeAtomic(result.analysis.ws.root, c.path, c.after);
        written.push(c.path);
      } catch (err) {
        result.failures.push({ path: c.path, line: 1, message: (err as Error).message });
      }
    }
  }
  if (opts.format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          version: 1,
          dryRun: opts.dryRun,
          changes: result.changes.map((c) => ({ path: c.path, created: c.before === null, transforms: c.applied, diff: fileDiff(c) })),
          failures: result.failures,
          summary: { changed: result.changes.length, unchanged: result.unchanged, failed: result.failures.length },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (opts.dryRun) for (const c of result.changes) process.stdout.write(fileDiff(c));
    else for (const p of written) process.stdout.write(`fixed ${p}\n`);
    process.stdout.write(`\n${summaryTable(result)}`);
  }
  for (const f of result.failures) process.stderr.write(`${f.path}:${f.line}: ${f.message}\n`);
  return result.failures.length > 0 ? 1 : 0;
}
