// `shipshape scan`: findings for a workspace in the requested format.
// Exit codes (SPEC): 0 no blocking finding, 1 blocking findings or a
// regression against --baseline, 2 usage or internal error (thrown, mapped in cli.ts).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadTransforms } from '../../transforms/registry.js';
import { catalog } from '../engine/catalog.js';
import { runScan, UsageError, type ScanResult, type Selection } from '../engine/pipeline.js';
import { defaultJobs } from '../engine/pool.js';
import type { AnyTransform } from '../engine/types.js';
import { progressFor, type Progress } from './progress.js';
import { applyBaseline, loadBaseline, renderBaselineText, type Report } from '../report/baseline.js';
import { renderJson, toJsonReport } from '../report/json.js';
import { coverageOf, renderMarkdown } from '../report/markdown.js';
import { readRuleDoc, toolVersion } from '../report/rule-docs.js';
import { renderSarif } from '../report/sarif.js';
import { renderText, useColor } from '../report/text.js';
import { pageGraph, renderReviewHtml } from '../report/review-html.js';
import { buildReviewModel } from '../report/review-model.js';
import { toMermaid } from '../graph/render.js';

export interface ScanOptions extends Selection {
  format: string;
  output?: string;
  baseline?: string;
  /** `--service NAME` as commander names it (repeatable); same as `services`. */
  service?: string[];
  quiet?: boolean;
}

export const SCAN_FORMATS = ['text', 'markdown', 'json', 'sarif', 'html'];

export interface ScanOutput {
  text: string;
  exitCode: number;
  report: Report;
}

/** The scan as data plus its rendering; the CLI only writes it out. */
export async function scanToString(root: string, opts: ScanOptions, env: { color?: boolean; transforms?: AnyTransform[]; progress?: Progress } = {}): Promise<ScanOutput> {
  if (!SCAN_FORMATS.includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${SCAN_FORMATS.join(', ')}`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root}: not a directory`);
  const sel: Selection = {
    services: opts.services ?? opts.service,
    ...(opts.shard ? { shard: opts.shard } : {}),
    // Workers load the registry's transforms: a caller's own set runs in this thread.
    jobs: env.transforms ? 1 : (opts.jobs ?? defaultJobs()),
    ...(env.progress ? { progress: env.progress } : {}),
  };
  if (opts.baseline && sel.shard) throw new UsageError('--baseline cannot be combined with --shard: a shard sees only part of the files, so every other finding would read as fixed');
  // Read the baseline before scanning so a bad file fails fast.
  const old = opts.baseline ? loadBaseline(opts.baseline) : null;
  const transforms = env.transforms ?? (await loadTransforms());
  const result = await runScan(root, transforms, sel);
  let report: Report = toJsonReport(result.services, result.findings, result.suppressed);
  if (old) report = applyBaseline(report, old, { services: sel.services, ...(sel.services?.length ? { dirs: result.services.map((s) => s.dir) } : {}) });
  const text = opts.format === 'html' ? await scanHtml(report, result, transforms) : render(opts.format, report, result, transforms, sel, env.color ?? false);
  const blocking = report.findings.some((f) => f.severity === 'blocking');
  return { text, exitCode: blocking || (report.regressions?.length ?? 0) > 0 ? 1 : 0, report };
}

function render(format: string, report: Report, result: ScanResult, transforms: AnyTransform[], sel: Selection, color: boolean): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report, catalog(transforms), {
        title: path.basename(result.analysis.ws.root),
        coverage: coverageOf(result, sel),
        ...(result.graph.edges.length ? { serviceGraph: toMermaid(result.graph) } : {}),
      });
    case 'sarif':
      return renderSarif(report, catalog(transforms), {
        version: toolVersion(),
        rootUri: pathToFileURL(result.analysis.ws.root).href.replace(/\/?$/, '/'),
        docs: readRuleDoc,
      });
    default:
      return renderText(result.services, report.findings, result.suppressed, { color }) + renderBaselineText(report);
  }
}

/** The review page without diffs: inventory, findings per service, per-rule counts, the service graph. */
async function scanHtml(report: Report, result: ScanResult, transforms: AnyTransform[]): Promise<string> {
  const model = buildReviewModel({
    mode: 'scan',
    dryRun: true,
    title: path.basename(result.analysis.ws.root),
    version: toolVersion(),
    services: result.services,
    packages: result.analysis.packages,
    findings: report.findings,
    changes: [],
    failures: [],
    unchanged: 0,
    transforms,
  });
  return renderReviewHtml(model, await pageGraph(result.graph));
}

export async function scanCommand(root: string, opts: ScanOptions): Promise<number> {
  const color = !opts.output && opts.format === 'text' && useColor(process.stdout);
  const bar = progressFor(opts);
  const { text, exitCode } = await scanToString(root, opts, { color, ...(bar.progress ? { progress: bar.progress } : {}) }).finally(() => bar.end());
  if (opts.output) {
    try {
      fs.writeFileSync(opts.output, text);
    } catch (err) {
      throw new UsageError(`--output ${opts.output}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else process.stdout.write(text);
  return exitCode;
}
