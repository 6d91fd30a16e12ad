// scan and fix over a whole workspace. Discovery, config and the repo-level
// files (compose, workflows) are read once here; then each package is one
// task (run-package.ts) run on `jobs` workers, which builds that package's
// inventory entry and detects/fixes its files on the same trees; last, with
// the whole inventory known, the repo-level files are detected and fixed
// here. Results are merged in discovery order, so the output is the same for
// any `--jobs`, and no tree outlives its package.
import { loadConfig } from '../workspace/config.js';
import { packageName } from '../workspace/inventory.js';
import { discover, type DiscoveredFile } from '../workspace/discover.js';
import { graphStage, ownerPackage, withoutUsedSuppressions, type GraphStageResult } from '../graph/stage.js';
import type { ServiceGraph } from '../graph/types.js';
import { allRuleIds } from './catalog.js';
import { composeEntriesOf, loadFile, packageManagerOf, servicesOf, workspaceView } from './analyze.js';
import { runPackages } from './pool.js';
import { parseErrorFinding } from './run-file.js';
import { runLoadedFile, type FileChange, type FileResult, type PackageTask, type RunSetup } from './run-package.js';
import type { AnyTransform, FileKind, Finding, Service, WorkspaceView } from './types.js';

/** Files whose fixers read the services' probes and timers: ECS task definitions, Kubernetes manifests. */
const DEPLOY_KINDS: FileKind[] = ['ecs', 'k8s'];

export type { FileChange } from './run-package.js';

export interface Selection {
  /** Only files of these services (by name); repo-level files are skipped when set. */
  services?: string[];
  /** Shard K of N (1-based): a stable hash of the package (of the path, for repo-level files) picks the shard. */
  shard?: { index: number; total: number };
  /** Worker threads; 1 runs everything in this thread. Default 1 (the CLI defaults to the cores). */
  jobs?: number;
  /** Called as files finish: (files done, files in the run). */
  progress?: (done: number, total: number) => void;
}

/** One file of the run, as the reports need it (no text, no tree). */
export interface FileRecord {
  path: string;
  kind: FileKind;
  pkg: string | null;
  problem?: { line: number; message: string };
  suppressedRules: string[];
}

export interface Analysis {
  ws: WorkspaceView;
  /** Every package, including libraries, by dir. */
  packages: Map<string, Service>;
  /** The files this run detected, in path order. */
  files: FileRecord[];
}

export interface ScanResult {
  analysis: Analysis;
  services: Service[];
  findings: Finding[];
  /** The whole repo's service graph (src/graph), whatever the selection. */
  graph: ServiceGraph;
  suppressed: number;
  files: number;
}

export interface FixResult {
  analysis: Analysis;
  graph: ServiceGraph;
  changes: FileChange[];
  failures: { path: string; line: number; message: string }[];
  unchanged: number;
  findings: Finding[];
}

export class UsageError extends Error {}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.rule.localeCompare(b.rule)));
}

/** FNV-1a: a shard must not move when another package is added, so no index or order goes in. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard (1-based) a file belongs to: its package's, or its own path's for repo-level files. */
export function shardOf(file: Pick<DiscoveredFile, 'path' | 'pkg'>, total: number): number {
  return (stableHash(file.pkg ?? file.path) % total) + 1;
}

interface Run {
  analysis: Analysis;
  services: Service[];
  results: FileResult[];
  problems: { file: string; line: number; message: string }[];
  graph: GraphStageResult;
}

async function runWorkspace(rootArg: string, transforms: AnyTransform[], fixers: AnyTransform[], sel: Selection, mode: 'scan' | 'fix'): Promise<Run> {
  const discovery = discover(rootArg);
  const root = discovery.root;
  const config = await loadConfig(root, discovery.rootManifest, allRuleIds(transforms));
  const names = new Map(discovery.packages.map((p) => [p.dir, packageName(p)]));
  if (sel.services?.length) {
    const known = new Set(names.values());
    for (const s of sel.services) if (!known.has(s)) throw new UsageError(`--service ${s}: no such service (known: ${[...known].sort().join(', ')})`);
  }
  const ignored = (pkg: string | null) => pkg !== null && config.ignoreServices.includes(names.get(pkg)!);
  const byService = (f: DiscoveredFile) => !sel.services?.length || (f.pkg !== null && sel.services.includes(names.get(f.pkg)!));
  const byShard = (f: DiscoveredFile) => !sel.shard || shardOf(f, sel.shard.total) === sel.shard.index;
  const selected = discovery.files.filter((f) => !ignored(f.pkg) && byService(f) && byShard(f));

  // Repo-level files first: compose entries feed every package's inventory.
  const repoFiles = discovery.files.filter((f) => f.pkg === null).map((f) => loadFile(root, f));
  const composeEntries = composeEntriesOf(repoFiles);
  // What a fix may change together. A scan writes nothing, so a shard of it
  // still sees the whole run: its findings must add up to the unsharded ones.
  const runFiles = mode === 'fix' ? selected : discovery.files.filter((f) => !ignored(f.pkg) && byService(f));
  const repoProblems = new Set(repoFiles.filter((f) => f.problem).map((f) => f.path));
  const setup: RunSetup = {
    mode,
    root,
    config,
    packageManager: packageManagerOf(discovery.rootManifest, root, config.defaults.pnpmVersion),
    packages: discovery.packages,
    files: discovery.files,
    composeEntries,
    inRun: runFiles.map((f) => f.path).filter((p) => !repoProblems.has(p)),
    fixers: fixers.map((t) => t.id),
    refreshFacts: mode === 'fix' && selected.some((f) => DEPLOY_KINDS.includes(f.kind)),
  };

  const selectedSet = new Set(selected.map((f) => f.path));
  // One pass over the files, not one per package (500 packages × 4,000 files).
  const selectedByPkg = new Map<string, string[]>();
  for (const f of selected) if (f.pkg !== null) selectedByPkg.set(f.pkg, [...(selectedByPkg.get(f.pkg) ?? []), f.path]);
  const tasks: PackageTask[] = discovery.packages.map((p) => ({ dir: p.dir, selected: selectedByPkg.get(p.dir) ?? [] }));
  // Largest packages first keeps both threads busy to the end; results are reordered below.
  const order = tasks.map((t, i) => i).sort((a, b) => tasks[b]!.selected.length - tasks[a]!.selected.length || a - b);
  let done = 0;
  const total = selected.length;
  sel.progress?.(0, total);
  const ran = await runPackages(
    setup,
    order.map((i) => tasks[i]!),
    transforms,
    sel.jobs ?? 1,
    (t) => sel.progress?.((done += t.selected.length), total),
  );
  const packages = new Map<string, Service>();
  const byDir = new Map(ran.map((r) => [r.dir, r]));
  for (const p of discovery.packages) packages.set(p.dir, byDir.get(p.dir)!.service);

  // The whole inventory is known: the repo-level files run here.
  const failed = new Set([...repoProblems, ...ran.flatMap((r) => r.files.filter((f) => f.problem).map((f) => f.path))]);
  const inRun = new Set(setup.inRun);
  const services = servicesOf(packages.values(), config);
  const ws = workspaceView({
    root,
    packageManager: setup.packageManager,
    config,
    services,
    packages: [...packages.values()],
    files: discovery.files,
    inRun: (rel) => inRun.has(rel) && !failed.has(rel),
    known: repoFiles.filter((f) => !f.unreadable).map((f) => [f.path, f.text] as [string, string]),
    stable: true,
  });
  // Deployment manifests are fitted to the services as this fix leaves them.
  const fixedPackages = ran.some((r) => r.fixed) ? discovery.packages.map((p) => byDir.get(p.dir)!.fixed ?? packages.get(p.dir)!) : null;
  const deployWs = fixedPackages ? { ...ws, services: servicesOf(fixedPackages, config), packages: fixedPackages } : ws;
  const byPath = new Map<string, FileResult>();
  for (const r of ran) for (const f of r.files) byPath.set(f.path, f);
  for (const f of repoFiles) {
    if (!selectedSet.has(f.path)) continue;
    byPath.set(f.path, await runLoadedFile(f, null, DEPLOY_KINDS.includes(f.kind) ? deployWs : ws, setup, transforms, fixers));
    sel.progress?.(++done, total);
  }
  const results = selected.map((f) => byPath.get(f.path)!);
  const files: FileRecord[] = results.map((r) => ({ path: r.path, kind: r.kind, pkg: r.pkg, ...(r.problem ? { problem: r.problem } : {}), suppressedRules: r.suppressedRules }));
  const shown = sel.services?.length ? services.filter((s) => sel.services!.includes(s.name)) : services;

  // The service graph reads the whole repo; its findings are reported by the run that owns their file.
  const dirs = discovery.packages.map((p) => p.dir);
  const graph = graphStage({
    root,
    packages: [...packages.values()],
    compose: repoFiles.flatMap((f) => (f.parsed?.kind === 'compose' ? [{ path: f.path, text: f.text, doc: f.parsed.doc }] : [])),
    config,
    read: (rel) => ws.read(rel),
    emits: (file) => {
      const f: DiscoveredFile = { kind: 'code', path: file, pkg: ownerPackage(file, dirs) };
      return !ignored(f.pkg) && byService(f) && byShard(f);
    },
  });
  return { analysis: { ws, packages, files }, services: shown, results, problems: discovery.problems, graph };
}

export async function runScan(root: string, transforms: AnyTransform[], sel: Selection = {}): Promise<ScanResult> {
  const run = await runWorkspace(root, transforms, [], sel, 'scan');
  const findings: Finding[] = [];
  for (const p of run.problems) {
    const finding = parseErrorFinding(run.analysis.ws, null, p.file, p.line, p.message);
    if (finding) findings.push(finding);
  }
  let suppressed = run.graph.suppressed;
  for (const r of run.results) {
    findings.push(...r.findings);
    suppressed += r.suppressed;
  }
  findings.push(...run.graph.findings);
  const kept = withoutUsedSuppressions(findings, run.graph.used);
  return { analysis: run.analysis, services: run.services, findings: sortFindings(kept), suppressed, files: run.results.length, graph: run.graph.graph };
}

export async function runFix(root: string, transforms: AnyTransform[], fixers: AnyTransform[], sel: Selection = {}): Promise<FixResult> {
  const run = await runWorkspace(root, transforms, fixers, sel, 'fix');
  const changes: FileChange[] = [];
  const failures: FixResult['failures'] = run.problems.map((p) => ({ path: p.file, line: p.line, message: p.message }));
  const findings: Finding[] = [];
  let unchanged = 0;
  const created = new Set<string>();
  for (const r of run.results) {
    findings.push(...r.findings);
    if (r.failure) failures.push({ path: r.path, line: r.failure.line, message: r.failure.message });
    if (r.problem) continue;
    if (r.change) changes.push(r.change);
    else unchanged++;
    for (const nf of r.created) {
      if (created.has(nf.path) || run.analysis.ws.exists(nf.path)) continue;
      created.add(nf.path);
      changes.push({ path: nf.path, before: null, after: nf.text, applied: [nf.by] });
    }
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : 1));
  // Discovery's problems (a symlink, a bad manifest) and the files' own, in one path order.
  failures.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  findings.push(...run.graph.findings);
  return { analysis: run.analysis, changes, failures, unchanged, findings: sortFindings(withoutUsedSuppressions(findings, run.graph.used)), graph: run.graph.graph };
}
