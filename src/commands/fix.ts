// `shipshape fix`: rewrite files, or with --dry-run show what would change.
import fs from 'node:fs';
import path from 'node:path';
import { loadTransforms, registry } from '../../transforms/registry.js';
import { annotatedDiff, patchOf } from '../engine/patch.js';
import { runFix, UsageError, type FixResult, type Selection } from '../engine/pipeline.js';
import { writeAtomic } from '../engine/write.js';
import { acquireFixLock, dirtyMessage, dropJournal, finishInterrupted, JOURNAL_NAME, RefusedError, removeStaleTemps, uncommittedChanges, writeJournal, type FixLock } from '../engine/guard.js';
import { table } from '../report/table.js';
import { renderFixMarkdown } from '../report/fix-markdown.js';
import { GROUP_BY, renderGroupedDiff, renderGroupedWritten, type GroupBy } from '../report/fix-text.js';
import { pageGraph, renderReviewHtml } from '../report/review-html.js';
import { buildReviewModel, fixJson, type ReviewModel } from '../report/review-model.js';
import { toolVersion } from '../report/rule-docs.js';
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
  /** Write even over uncommitted changes. */
  force?: boolean;
  /** Text output grouped under service or rule headings. */
  groupBy?: string;
  /** Also write the HTML review page here. */
  html?: string;
}

export const FIX_FORMATS = ['text', 'json', 'markdown'];

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

const note = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Holds the fix lock until the run ends, however it ends: the caller's
 * `finally`, process exit, or Ctrl-C / SIGTERM (exit 130 / 143, as verify).
 */
function holdFixLock(root: string): () => void {
  // Handlers before the lock exists: a signal in between must not leave it behind.
  let lock: FixLock | null = null;
  const release = () => lock?.release();
  const onSignal = (signal: NodeJS.Signals) => {
    release();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', release);
  const done = () => {
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', release);
  };
  try {
    lock = acquireFixLock(root, note);
  } catch (err) {
    done();
    throw err;
  }
  return done;
}

/** Refuses to overwrite what git could not give back; says so when it cannot tell. */
async function guardUncommitted(root: string, result: FixResult, force: boolean): Promise<void> {
  if (force || result.changes.length === 0) return;
  const check = await uncommittedChanges(root, result.changes.map((c) => c.path));
  if (check.kind === 'unknown') note(`shipshape: cannot check for uncommitted changes (${check.reason}); writing anyway`);
  else if (check.dirty.length > 0) throw new RefusedError(dirtyMessage(check.dirty));
}

export async function fixCommand(root: string, opts: FixOptions): Promise<number> {
  if (!FIX_FORMATS.includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${FIX_FORMATS.join(', ')}`);
  if (opts.groupBy !== undefined) {
    if (!(GROUP_BY as readonly string[]).includes(opts.groupBy)) throw new UsageError(`--group-by ${opts.groupBy}: expected one of ${GROUP_BY.join(', ')}`);
    if (opts.format !== 'text') throw new UsageError(`--group-by groups the text output; --format ${opts.format} has its own layout`);
  }
  if (opts.html !== undefined) {
    const dir = path.dirname(path.resolve(opts.html));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--html ${opts.html}: folder ${dir} does not exist`);
  }
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root}: not a directory`);
  if (opts.dryRun) {
    if (fs.existsSync(path.join(root, JOURNAL_NAME))) note(`shipshape: a fix was interrupted here; the next fix without --dry-run completes it first (${JOURNAL_NAME})`);
    return fixRun(root, opts);
  }
  const unlock = holdFixLock(root);
  try {
    clearInterrupted(root);
    return await fixRun(root, opts);
  } finally {
    unlock();
  }
}

/** What a killed run left: its planned writes are completed, its temp files removed. */
function clearInterrupted(root: string): void {
  const finished = finishInterrupted(root);
  if (finished) {
    const left = finished.skipped.length ? `; changed since, left as they are: ${finished.skipped.join(', ')}` : '';
    note(`shipshape: completed the writes of an interrupted fix: ${finished.written.length} files${left}`);
  }
  const stale = removeStaleTemps(root);
  if (stale.length) note(`shipshape: removed ${stale.length === 1 ? 'a temp file' : `${stale.length} temp files`} left by an interrupted run: ${stale.join(', ')}`);
}

/** Each file is atomic; the journal makes the set complete even if the run is killed between files. */
function writeAll(root: string, result: FixResult): string[] {
  if (result.changes.length === 0) return [];
  try {
    writeJournal(root, result.changes);
  } catch (err) {
    throw new RefusedError(`cannot record the planned writes in ${JOURNAL_NAME}: ${(err as Error).message}`);
  }
  const written: string[] = [];
  for (const c of result.changes) {
    try {
      writeAtomic(root, c.path, c.after);
      written.push(c.path);
    } catch (err) {
      result.failures.push({ path: c.path, line: 1, message: (err as Error).message });
    }
  }
  dropJournal(root);
  return written;
}

async function fixRun(root: string, opts: FixOptions): Promise<number> {
  const transforms = await loadTransforms();
  const fixers = selectFixers(transforms, opts.only, opts.skip);
  const bar = progressFor(opts);
  const result = await runFix(root, transforms, fixers, {
    services: opts.service,
    ...(opts.shard ? { shard: opts.shard } : {}),
    jobs: opts.jobs ?? defaultJobs(),
    ...(bar.progress ? { progress: bar.progress } : {}),
  }).finally(() => bar.end());
  if (!opts.dryRun) await guardUncommitted(result.analysis.ws.root, result, opts.force ?? false);
  if (opts.patch) fs.writeFileSync(opts.patch, patchOf(result.changes));
  const written = opts.dryRun ? [] : writeAll(result.analysis.ws.root, result);
  const groupBy = opts.groupBy as GroupBy | undefined;
  const model = opts.format !== 'text' || groupBy || opts.html ? reviewModel(result, transforms, opts) : null;
  if (opts.format === 'json') process.stdout.write(`${JSON.stringify(fixJson(model!), null, 2)}\n`);
  else if (opts.format === 'markdown') process.stdout.write(renderFixMarkdown(model!));
  else {
    if (groupBy) process.stdout.write(opts.dryRun ? renderGroupedDiff(model!, groupBy) : renderGroupedWritten(model!, groupBy, written));
    else if (opts.dryRun) for (const c of result.changes) process.stdout.write(annotatedDiff(c));
    else for (const p of written) process.stdout.write(`fixed ${p}\n`);
    process.stdout.write(`\n${summaryTable(result)}`);
  }
  if (opts.html) {
    const html = renderReviewHtml(model!, await pageGraph(result.graph));
    try {
      fs.writeFileSync(opts.html, html);
    } catch (err) {
      throw new UsageError(`--html ${opts.html}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  for (const f of result.failures) process.stderr.write(`${f.path}:${f.line}: ${f.message}\n`);
  return result.failures.length > 0 ? 1 : 0;
}

/** The run as the reviewer sees it; JSON, markdown, grouped text and HTML all render it. */
function reviewModel(result: FixResult, transforms: AnyTransform[], opts: FixOptions): ReviewModel {
  const { ws, packages } = result.analysis;
  const wanted = opts.service?.length ? new Set(opts.service) : null;
  return buildReviewModel({
    mode: 'fix',
    dryRun: opts.dryRun,
    title: path.basename(ws.root),
    version: toolVersion(),
    services: wanted ? ws.services.filter((s) => wanted.has(s.name)) : ws.services,
    packages,
    findings: result.findings,
    changes: result.changes,
    failures: result.failures,
    unchanged: result.unchanged,
    transforms,
  });
}
