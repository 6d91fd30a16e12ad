// scan and fix over a whole workspace. The unit of work is one file; files are
// independent once analyze() has built the inventory, which is what a future
// worker pool and `--shard K/N` split on.
import { analyze, serviceOf, type Analysis, type LoadedFile } from './analyze.js';
import { fixFile, parseErrorFinding, scanFile, type FileInput, type FileOutcome } from './run-file.js';
import { formatChanged } from './format.js';
import { restore } from './text.js';
import type { AnyTransform, Finding, Service } from './types.js';

export interface Selection {
  /** Only files of these services (by name); repo-level files are skipped when set. */
  services?: string[];
  /** Shard K of N (1-based): files are dealt round-robin in path order. */
  shard?: { index: number; total: number };
}

export interface ScanResult {
  analysis: Analysis;
  services: Service[];
  findings: Finding[];
  suppressed: number;
  files: number;
}

export class UsageError extends Error {}

function selectFiles(analysis: Analysis, sel: Selection): LoadedFile[] {
  let files = analysis.files.filter((f) => {
    const svc = f.pkg ? analysis.packages.get(f.pkg) : null;
    return !(svc && analysis.ws.config.ignoreServices.includes(svc.name));
  });
  if (sel.services?.length) {
    const known = new Set([...analysis.packages.values()].map((s) => s.name));
    for (const s of sel.services) if (!known.has(s)) throw new UsageError(`--service ${s}: no such service (known: ${[...known].sort().join(', ')})`);
    files = files.filter((f) => f.pkg && sel.services!.includes(analysis.packages.get(f.pkg)!.name));
  }
  if (sel.shard) {
    const { index, total } = sel.shard;
    files = files.filter((_, i) => i % total === index - 1);
  }
  analysis.limitRun(files);
  return files;
}

function inputOf(analysis: Analysis, f: LoadedFile): FileInput {
  return { kind: f.kind, path: f.path, text: f.text, service: serviceOf(analysis, f), ...(f.parsed ? { parsed: f.parsed } : {}) };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.rule.localeCompare(b.rule)));
}

export async function runScan(root: string, transforms: AnyTransform[], sel: Selection = {}): Promise<ScanResult> {
  const analysis = await analyze(root, transforms);
  const files = selectFiles(analysis, sel);
  const findings: Finding[] = [];
  const problem = (service: string | null, file: string, line: number, message: string) => {
    const finding = parseErrorFinding(analysis.ws, service, file, line, message);
    if (finding) findings.push(finding);
  };
  for (const p of analysis.discovery.problems) problem(null, p.file, p.line, p.message);
  let suppressed = 0;
  for (const f of files) {
    if (f.problem) {
      problem(serviceOf(analysis, f)?.name ?? null, f.path, f.problem.line, f.problem.message);
      continue;
    }
    const out = scanFile(inputOf(analysis, f), transforms, analysis.ws);
    findings.push(...out.findings);
    suppressed += out.suppressed;
  }
  const services = sel.services?.length ? analysis.ws.services.filter((s) => sel.services!.includes(s.name)) : analysis.ws.services;
  return { analysis, services, findings: sortFindings(findings), suppressed, files: files.length };
}

export interface FileChange {
  path: string;
  /** Raw text before (with BOM and original line endings); null for a new file. */
  before: string | null;
  /** Raw text after, line endings and BOM restored. */
  after: string;
  /** Transform ids that produced the change. */
  applied: string[];
}

export interface FixResult {
  analysis: Analysis;
  changes: FileChange[];
  failures: { path: string; line: number; message: string }[];
  unchanged: number;
  findings: Finding[];
}

export async function runFix(root: string, transforms: AnyTransform[], fixers: AnyTransform[], sel: Selection = {}): Promise<FixResult> {
  const analysis = await analyze(root, transforms);
  const files = selectFiles(analysis, sel);
  const changes: FileChange[] = [];
  const failures: FixResult['failures'] = analysis.discovery.problems.map((p) => ({ path: p.file, line: p.line, message: p.message }));
  const findings: Finding[] = [];
  let unchanged = 0;
  const created = new Set<string>();
  for (const f of files) {
    if (f.problem) {
      failures.push({ path: f.path, line: f.problem.line, message: f.problem.message });
      continue;
    }
    const out: FileOutcome = fixFile(inputOf(analysis, f), transforms, fixers, analysis.ws);
    findings.push(...out.findings);
    if (out.error) failures.push({ path: f.path, line: out.error.line, message: out.error.message });
    if (out.output !== undefined) {
      const before = restore(f.text, f.shape);
      const formatted = f.kind === 'code' ? await formatChanged(analysis.ws.root, f.path, f.text, out.output) : out.output;
      changes.push({ path: f.path, before, after: restore(formatted, f.shape), applied: out.applied });
    } else unchanged++;
    for (const nf of out.created) {
      if (created.has(nf.path) || analysis.ws.exists(nf.path)) continue;
      created.add(nf.path);
      changes.push({ path: nf.path, before: null, after: nf.text, applied: [nf.by] });
    }
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { analysis, changes, failures, unchanged, findings: sortFindings(findings) };
}
