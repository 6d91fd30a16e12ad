// `scan --baseline OLD.json`: compares this run's findings with an earlier
// JSON report, so CI can say what is new, what is still there, what was fixed
// and what came back.
//
// Identity of a finding across runs: the same rule in the same file. Lines
// move when code is edited and messages may be reworded between versions, so
// neither is part of the identity; they only decide which old finding pairs
// with which new one when a file holds several of one rule. Pairing is greedy,
// best candidates first:
//   1. same line and same message;
//   2. same message, nearest line;
//   3. nearest line, whatever the message.
// So a file with two `port-not-from-env` findings before and two after has
// both "still present" however far they moved; one fewer after means one
// "fixed". Known limits: a renamed or moved file reads as fixed + new, and a
// defect fixed in one place while the same rule fires elsewhere in the same
// file reads as still present.
//
// The JSON additions (all optional, so a plain v1 report is a valid baseline):
//   findings[].baseline  "new" | "still present"
//   fixed[]              findings of the old report that are gone, with
//                        "baseline": "fixed" (gone in this run) or "still fixed"
//                        (carried from the old report's own `fixed` list), so
//                        the history survives a chain of baseline runs;
//   regressions[]        findings of this run the old report did not have
//                        (SPEC): every new finding, including one the old
//                        report listed as fixed that came back. Any
//                        regression makes scan exit 1, so a baseline run is a
//                        "no new findings" gate in CI.
//   summary.baseline     { new, stillPresent, fixed, regressions } counts.
import fs from 'node:fs';
import { UsageError } from '../engine/pipeline.js';
import type { Finding, Severity } from '../engine/types.js';
import type { JsonReport } from './json.js';

export type BaselineState = 'new' | 'still present';
export type FixedState = 'fixed' | 'still fixed';

export interface ReportFinding extends Finding {
  baseline?: BaselineState;
}

export interface FixedFinding extends Finding {
  baseline: FixedState;
}

export interface BaselineSummary {
  new: number;
  stillPresent: number;
  fixed: number;
  regressions: number;
}

/** The JSON report v1 with the optional baseline fields. */
export interface Report extends Omit<JsonReport, 'findings' | 'summary'> {
  findings: ReportFinding[];
  fixed?: FixedFinding[];
  regressions?: ReportFinding[];
  summary: JsonReport['summary'] & { baseline?: BaselineSummary };
}

/** What is read from an old report: only the fields identity needs, plus what is echoed back. */
export interface OldReport {
  findings: Finding[];
  fixed: Finding[];
}

interface Located {
  rule: string;
  file: string;
  line: number;
  message: string;
}

export interface Pairing<A, B> {
  pairs: [A, B][];
  oldOnly: A[];
  newOnly: B[];
}

const keyOf = (f: Located) => `${f.rule}\0${f.file}`;

function groupBy<T extends Located>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

/** Pairs old and new findings of the same rule and file (see the top comment). */
export function pairFindings<A extends Located, B extends Located>(olds: A[], news: B[]): Pairing<A, B> {
  const oldGroups = groupBy(olds);
  const newGroups = groupBy(news);
  const matchedOld = new Set<A>();
  const matchedNew = new Set<B>();
  const pairs: [A, B][] = [];
  for (const [key, group] of newGroups) {
    const candidates = oldGroups.get(key);
    if (!candidates) continue;
    const scored: { o: A; n: B; tier: number; dist: number; oi: number; ni: number }[] = [];
    candidates.forEach((o, oi) =>
      group.forEach((n, ni) => {
        const sameMessage = o.message === n.message;
        const tier = sameMessage && o.line === n.line ? 0 : sameMessage ? 1 : 2;
        scored.push({ o, n, tier, dist: Math.abs(o.line - n.line), oi, ni });
      }),
    );
    scored.sort((a, b) => a.tier - b.tier || a.dist - b.dist || a.oi - b.oi || a.ni - b.ni);
    for (const s of scored) {
      if (matchedOld.has(s.o) || matchedNew.has(s.n)) continue;
      matchedOld.add(s.o);
      matchedNew.add(s.n);
      pairs.push([s.o, s.n]);
    }
  }
  return { pairs, oldOnly: olds.filter((o) => !matchedOld.has(o)), newOnly: news.filter((n) => !matchedNew.has(n)) };
}

const SEVERITIES = new Set<Severity>(['blocking', 'risky', 'info']);

function toFinding(raw: unknown, where: string): Finding {
  const fail = (why: string): never => {
    throw new UsageError(`${where}: ${why}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('must be an object');
  const r = raw as Record<string, unknown>;
  if (typeof r.rule !== 'string') fail('"rule" must be a string');
  if (typeof r.file !== 'string') fail('"file" must be a string');
  if (typeof r.line !== 'number' || !Number.isInteger(r.line) || r.line < 1) fail('"line" must be a 1-based line number');
  return {
    rule: r.rule as string,
    severity: SEVERITIES.has(r.severity as Severity) ? (r.severity as Severity) : 'info',
    service: typeof r.service === 'string' ? r.service : null,
    file: r.file as string,
    line: r.line as number,
    ...(typeof r.column === 'number' ? { column: r.column } : {}),
    message: typeof r.message === 'string' ? r.message : '',
    fix: typeof r.fix === 'string' ? r.fix : null,
  };
}

/** Reads an old JSON report; any shape problem is a usage error naming the file and the entry. */
export function parseBaseline(text: string, file: string): OldReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (err) {
    throw new UsageError(`--baseline ${file}: not JSON (${(err as Error).message}); pass a report written by \`shipshape scan --format json\``);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`--baseline ${file}: not a shipshape JSON report (expected an object)`);
  const r = raw as Record<string, unknown>;
  if (r.version !== 1) throw new UsageError(`--baseline ${file}: "version" is ${JSON.stringify(r.version)}; this shipshape reads version 1 reports`);
  if (!Array.isArray(r.findings)) throw new UsageError(`--baseline ${file}: "findings" must be an array`);
  if (r.fixed !== undefined && !Array.isArray(r.fixed)) throw new UsageError(`--baseline ${file}: "fixed" must be an array`);
  return {
    findings: r.findings.map((f, i) => toFinding(f, `--baseline ${file}: findings[${i}]`)),
    fixed: ((r.fixed as unknown[] | undefined) ?? []).map((f, i) => toFinding(f, `--baseline ${file}: fixed[${i}]`)),
  };
}

export function loadBaseline(file: string): OldReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--baseline ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseBaseline(text, file);
}

/**
 * Which old findings the current run could have seen again: with --service,
 * only those services' findings in their own folders (a compose finding names
 * its service too, but `--service` does not read repo-level files).
 */
export interface BaselineScope {
  services?: string[];
  /** The selected services' folders; without it, the service name alone decides. */
  dirs?: string[];
}

function inScope(f: Finding, scope: BaselineScope): boolean {
  if (!scope.services?.length) return true;
  if (f.service === null || !scope.services.includes(f.service)) return false;
  return !scope.dirs || scope.dirs.some((d) => d === '.' || f.file === d || f.file.startsWith(`${d}/`));
}

const strip = (f: Finding): Finding => {
  const { baseline: _b, ...rest } = f as Finding & { baseline?: unknown };
  return rest;
};

/** The report with every baseline field filled in. Pure: the input report is not changed. */
export function applyBaseline(report: JsonReport | Report, old: OldReport, scope: BaselineScope = {}): Report {
  const olds = old.findings.filter((f) => inScope(f, scope));
  const current = report.findings.map(strip);
  const { pairs, oldOnly, newOnly } = pairFindings(olds, current);
  const present = new Set(pairs.map(([, n]) => n));
  const findings: ReportFinding[] = current.map((f) => ({ ...f, baseline: present.has(f) ? 'still present' : 'new' }));

  // SPEC: any finding the old report did not have is a regression. Pairing
  // the new ones with the old report's fixed list keeps that history honest:
  // what came back is no longer "still fixed".
  const oldFixed = old.fixed.filter((f) => inScope(f, scope));
  const back = pairFindings(oldFixed, newOnly);
  const regressions = findings.filter((f) => f.baseline === 'new');

  const fixed: FixedFinding[] = [
    ...oldOnly.map((f) => ({ ...strip(f), baseline: 'fixed' as const })),
    ...back.oldOnly.map((f) => ({ ...strip(f), baseline: 'still fixed' as const })),
    // History of services this run did not look at is carried over untouched.
    ...old.fixed.filter((f) => !inScope(f, scope)).map((f) => ({ ...strip(f), baseline: 'still fixed' as const })),
  ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.rule.localeCompare(b.rule)));

  return {
    ...report,
    findings,
    fixed,
    regressions,
    summary: {
      ...report.summary,
      baseline: {
        new: findings.filter((f) => f.baseline === 'new').length,
        stillPresent: findings.filter((f) => f.baseline === 'still present').length,
        fixed: fixed.filter((f) => f.baseline === 'fixed').length,
        regressions: regressions.length,
      },
    },
  };
}

/** Text lines for the terminal report: what the comparison found. */
export function renderBaselineText(report: Report): string {
  if (!report.summary.baseline) return '';
  const b = report.summary.baseline;
  let out = `Baseline: ${b.new} new, ${b.stillPresent} still present, ${b.fixed} fixed, ${b.regressions} regression${b.regressions === 1 ? '' : 's'}\n`;
  for (const f of report.regressions ?? []) out += `  REGRESSION  ${f.file}:${f.line}  ${f.rule}  ${f.message}\n`;
  for (const f of (report.fixed ?? []).filter((x) => x.baseline === 'fixed')) out += `  fixed       ${f.file}:${f.line}  ${f.rule}\n`;
  return out;
}
