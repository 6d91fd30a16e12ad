// `shipshape report merge`: shard reports (`scan --shard K/N --format json`)
// back into the report an unsharded `scan --format json` prints. Pure: reports
// in, report out; reading and writing files is src/commands/report.ts.
//
// Nothing here knows how `--shard` splits the work. A shard report lists the
// whole service inventory and the findings of its own files, so the merge is:
//   - every input must be a plain v1 report (no baseline fields: scan refuses
//     --baseline with --shard) of the same root and the same services;
//   - findings are concatenated and put in scan's order (`sortFindings`); the
//     sort is stable, and one file's findings all come from one shard, so
//     findings that tie on file/line/rule keep the order scan gave them;
//   - summary counts are recomputed by `toJsonReport`, the function scan uses,
//     and `suppressed` is the sum of the shards' (suppressions are per file).
// A finding (same rule, file, line and message) in two inputs means the
// shards overlap, with one exception: workspace-level problems (a
// `parse-error` on a repo-level manifest, service null) are reported by
// every shard, so one that every input lists is kept once.
import { isDeepStrictEqual } from 'node:util';
import { sortFindings, UsageError } from '../engine/pipeline.js';
import type { Finding } from '../engine/types.js';
import type { Report } from './baseline.js';
import { toJsonReport, type JsonReport } from './json.js';

export interface MergeInput {
  /** How errors name the input (its path as given). */
  name: string;
  /** The parsed JSON, not yet validated. */
  report: unknown;
}

const TOP_LEVEL = ['version', 'root', 'services', 'findings', 'summary'];
const BASELINE_FIELDS = ['fixed', 'regressions'];
const SEVERITIES = ['blocking', 'risky', 'info'];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Merges shard reports into the unsharded report. Throws UsageError naming the input at fault. */
export function mergeReports(inputs: MergeInput[]): JsonReport {
  if (inputs.length === 0) throw new UsageError('report merge: no reports given');
  const reports = inputs.map(({ name, report }) => validate(name, report));
  const first = reports[0]!;
  const firstName = inputs[0]!.name;
  for (const [i, r] of reports.entries()) {
    if (i === 0) continue;
    const name = inputs[i]!.name;
    if (r.root !== first.root) throw new UsageError(`${name}: root ${JSON.stringify(r.root)} differs from ${firstName}'s ${JSON.stringify(first.root)}: not shards of one scan`);
    const diff = servicesDiff(first.services, r.services);
    if (diff) throw new UsageError(`${name}: services differ from ${firstName}'s (${diff}): not shards of one scan`);
  }

  // Which input each finding identity occurs in, and how often.
  const occurrences = new Map<string, number[]>(); // identity -> count per input
  reports.forEach((r, i) => {
    for (const f of r.findings) {
      const key = identity(f);
      const counts = occurrences.get(key) ?? occurrences.set(key, new Array<number>(reports.length).fill(0)).get(key)!;
      counts[i]!++;
    }
  });
  const shared = new Set<string>();
  for (const [key, counts] of occurrences) {
    const inputsWith = counts.flatMap((c, i) => (c > 0 ? [i] : []));
    if (inputsWith.length < 2) continue;
    const f = JSON.parse(key) as Pick<Finding, 'rule' | 'service' | 'file' | 'line'>;
    if (f.rule === 'parse-error' && f.service === null && inputsWith.length === reports.length && counts.every((c) => c === counts[0])) {
      shared.add(key);
      continue;
    }
    const [a, b] = inputsWith as [number, number];
    throw new UsageError(
      `${inputs[b]!.name}: finding ${f.rule} at ${f.file}:${f.line} is also in ${inputs[a]!.name}: the shards overlap (the same shard given twice, or reports of different scans)`,
    );
  }

  // Workspace-level findings first (scan reports them before any file's), then each shard's.
  const findings: Finding[] = [
    ...first.findings.filter((f) => shared.has(identity(f))),
    ...reports.flatMap((r) => r.findings.filter((f) => !shared.has(identity(f)))),
  ];
  const suppressed = reports.reduce((n, r) => n + r.summary.suppressed, 0);
  const merged = toJsonReport(
    first.services.map((s) => ({ ...s, manifest: {} })), // toJsonReport drops `manifest`; a report has none
    sortFindings(findings),
    suppressed,
  );
  return { ...merged, root: first.root };
}

function identity(f: Finding): string {
  // service is part of the key only so the shared-problem test can read it back; it follows from the file.
  return JSON.stringify({ rule: f.rule, service: f.service, file: f.file, line: f.line, message: f.message });
}

/** Checks one input is a plain v1 scan report, consistent with itself. */
function validate(name: string, value: unknown): JsonReport {
  const bad = (what: string) => new UsageError(`${name}: ${what}`);
  if (!isObject(value)) throw bad('not a shipshape JSON report (expected an object, as `scan --format json` writes)');
  if (!('version' in value)) throw bad('no "version": not a shipshape JSON report (`scan --format json`)');
  if (value.version !== 1) throw bad(`report version ${JSON.stringify(value.version)}; only version 1 can be merged`);
  const r = value as Partial<Report> & Obj;
  const baseline = BASELINE_FIELDS.find((k) => k in r) ?? (isObject(r.summary) && 'baseline' in r.summary ? 'summary.baseline' : undefined);
  if (baseline) throw bad(`has baseline field "${baseline}" (written by scan --baseline); merge the shards' plain reports, then compare the merged one`);
  const unknown = Object.keys(r).find((k) => !TOP_LEVEL.includes(k));
  if (unknown) throw bad(`unknown field "${unknown}" (written by another shipshape version?)`);
  if (typeof r.root !== 'string') throw bad('"root" is missing or not a string');
  if (!Array.isArray(r.services)) throw bad('"services" is missing or not an array');
  r.services.forEach((s, i) => {
    if (!isObject(s) || typeof s.name !== 'string' || typeof s.dir !== 'string') throw bad(`services[${i}] is not a service (needs "name" and "dir")`);
  });
  if (!Array.isArray(r.findings)) throw bad('"findings" is missing or not an array');
  r.findings.forEach((f, i) => {
    const problem = findingProblem(f);
    if (problem) throw bad(`findings[${i}] ${problem}`);
  });
  if (!isObject(r.summary)) throw bad('"summary" is missing or not an object');
  if (!isCount(r.summary.suppressed)) throw bad('"summary.suppressed" is missing or not a count');
  // The shard's own summary must agree with its lists: a truncated or hand-edited report would merge into a wrong one.
  const expected: Obj = toJsonReport(r.services.map((s) => ({ ...s, manifest: {} })), r.findings, r.summary.suppressed).summary;
  const summary: Obj = r.summary;
  for (const key of new Set([...Object.keys(expected), ...Object.keys(summary)])) {
    if (!(key in expected)) throw bad(`unknown field "summary.${key}" (written by another shipshape version?)`);
    if (summary[key] !== expected[key]) throw bad(`"summary.${key}" is ${JSON.stringify(summary[key])} but the report's ${key === 'services' ? 'services' : 'findings'} give ${JSON.stringify(expected[key])}`);
  }
  return r as JsonReport;
}

function findingProblem(f: unknown): string | null {
  if (!isObject(f)) return 'is not an object';
  if (typeof f.rule !== 'string' || f.rule === '') return 'has no "rule"';
  if (typeof f.severity !== 'string' || !SEVERITIES.includes(f.severity)) return `has severity ${JSON.stringify(f.severity)} (expected ${SEVERITIES.join(', ')})`;
  if (f.service !== null && typeof f.service !== 'string') return 'has no "service" (a name or null)';
  if (typeof f.file !== 'string' || f.file === '') return 'has no "file"';
  if (!Number.isInteger(f.line) || (f.line as number) < 1) return 'has no 1-based "line"';
  if (typeof f.message !== 'string') return 'has no "message"';
  if (f.fix !== null && typeof f.fix !== 'string') return 'has no "fix" (a transform id or null)';
  if ('baseline' in f) return 'has a "baseline" state (written by scan --baseline); merge the shards\' plain reports';
  return null;
}

/** Null when both inventories are the same, else what differs, for the error line. */
function servicesDiff(a: JsonReport['services'], b: JsonReport['services']): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  const names = (l: JsonReport['services']) => l.map((s) => s.name);
  const only = (x: JsonReport['services'], y: JsonReport['services']) => names(x).filter((n) => !names(y).includes(n));
  const missing = only(a, b);
  const added = only(b, a);
  if (missing.length || added.length) {
    return [added.length ? `lists ${added.join(', ')}` : '', missing.length ? `lacks ${missing.join(', ')}` : ''].filter(Boolean).join(' and ');
  }
  const i = a.findIndex((s, k) => !isDeepStrictEqual(s, b[k]));
  const sa = a[i]!;
  const sb = b[i]!;
  if (sa.name !== sb.name) return `service order differs at ${sb.name}`;
  const field = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].find((k) => !isDeepStrictEqual((sa as Obj)[k], (sb as Obj)[k]));
  return `${sb.name}.${field}: ${JSON.stringify((sb as Obj)[field!])} vs ${JSON.stringify((sa as Obj)[field!])}`;
}
