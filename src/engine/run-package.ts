// The unit of work of scan and fix: one package. Its files are read and parsed
// once, its inventory entry is built from those trees, then (when the package
// is in the run) every file is detected and fixed on the same trees, and the
// trees are dropped before the next package. Everything in and out is plain
// data, so the same function runs in the main thread (`--jobs 1`) or in a
// worker (worker.ts), with byte-identical results.
import type { PackageDir, DiscoveredFile } from '../workspace/discover.js';
import type { ComposeServiceFacts } from '../workspace/compose.js';
import { packageName } from '../workspace/inventory.js';
import { inventoryOf, loadFile, workspaceView, type LoadedFile } from './analyze.js';
import { formatChanged, type ConfigLookup } from './format.js';
import { hasNeedle } from './prefilter.js';
import { provenanceOf } from './provenance.js';
import { fixFile, parseErrorFinding, scanFile, type CreatedFile } from './run-file.js';
import { findSuppressions } from './suppress.js';
import { normalize, restore } from './text.js';
import { parse } from './parsers.js';
import type { AnyTransform, FileKind, Finding, PackageManagerInfo, ResolvedConfig, Service, WorkspaceView } from './types.js';

/** What every package task shares: sent to each worker once. */
export interface RunSetup {
  mode: 'scan' | 'fix';
  root: string;
  config: ResolvedConfig;
  packageManager: PackageManagerInfo;
  packages: PackageDir[];
  files: DiscoveredFile[];
  composeEntries: ComposeServiceFacts[];
  /** Files this run may read for fixing (see WorkspaceView.inRun), before per-file parse failures. */
  inRun: string[];
  /** Ids of the selected fixers, in registry order (fix mode). */
  fixers: string[];
  /**
   * Fix mode, when the run fixes deployment manifests: a package whose files
   * changed also reports its inventory as the fix leaves it (`fixed`), so the
   * ECS and Kubernetes fixers, which run after every package, fit probes and
   * timers to the code as written by this very run (a force-exit timer the
   * fix adds needs the grace period a second fix would otherwise raise).
   */
  refreshFacts?: boolean;
}

export interface PackageTask {
  dir: string;
  /** The package's files to detect (and fix); empty for a package outside the run, which only feeds the inventory. */
  selected: string[];
}

export interface FileChange {
  path: string;
  /** Raw text before (with BOM and original line endings); null for a new file. */
  before: string | null;
  /** Raw text after, line endings and BOM restored. */
  after: string;
  /** Transform ids that produced the change. */
  applied: string[];
  /**
   * Which transforms wrote each line of `after` (`added`, by 0-based line) and
   * removed each line of `before` (`removed`); empty for lines nobody touched.
   * Absent for a new file (its `applied` wrote it all).
   */
  provenance?: { added: string[][]; removed: string[][] };
}

/** One selected file's outcome. */
export interface FileResult {
  path: string;
  kind: FileKind;
  pkg: string | null;
  /** The file could not be read or parsed. */
  problem?: { line: number; message: string };
  /** Rules named by its `shipshape-ignore` comments (the markdown report's coverage). */
  suppressedRules: string[];
  findings: Finding[];
  suppressed: number;
  change?: FileChange;
  created: CreatedFile[];
  /** Why a fix of this file failed (fix mode). */
  failure?: { line: number; message: string };
}

export interface PackageResult {
  dir: string;
  service: Service;
  files: FileResult[];
  /** The inventory entry from the fixed files (see RunSetup.refreshFacts); absent when nothing changed. */
  fixed?: Service;
}

/** The service a file's findings belong to: none for repo-level files and ignored services. */
function ownerOf(service: Service | null, config: ResolvedConfig): Service | null {
  return service && !config.ignoreServices.includes(service.name) ? service : null;
}

const lookups = new WeakMap<WorkspaceView, ConfigLookup>();
/** One prettier-config lookup per run's view: files do not change while it runs. */
function configLookup(ws: WorkspaceView): ConfigLookup {
  let lookup = lookups.get(ws);
  if (!lookup) lookups.set(ws, (lookup = new Map()));
  return lookup;
}

/** Detects (and in fix mode fixes) one loaded file. */
export async function runLoadedFile(
  f: LoadedFile,
  service: Service | null,
  ws: WorkspaceView,
  setup: Pick<RunSetup, 'mode'>,
  transforms: AnyTransform[],
  fixers: AnyTransform[],
): Promise<FileResult> {
  const owner = ownerOf(service, ws.config);
  const rules = new Set<string>();
  for (const s of findSuppressions(f.text)) for (const r of s.rules) rules.add(r);
  const result: FileResult = { path: f.path, kind: f.kind, pkg: f.pkg, suppressedRules: [...rules], findings: [], suppressed: 0, created: [] };
  if (f.problem) {
    result.problem = f.problem;
    if (setup.mode === 'fix') result.failure = f.problem;
    else {
      const finding = parseErrorFinding(ws, owner?.name ?? null, f.path, f.problem.line, f.problem.message);
      if (finding) result.findings.push(finding);
    }
    return result;
  }
  const input = { kind: f.kind, path: f.path, text: f.text, service: owner, ...(f.parsed ? { parsed: f.parsed } : {}) };
  if (setup.mode === 'scan') {
    const out = scanFile(input, transforms, ws);
    result.findings = out.findings;
    result.suppressed = out.suppressed;
    return result;
  }
  const out = fixFile(input, transforms, fixers, ws);
  result.findings = out.findings;
  result.suppressed = out.suppressed;
  result.created = out.created;
  if (out.error) result.failure = out.error;
  if (out.output !== undefined) {
    const formatted = f.kind === 'code' ? await formatChanged(ws.root, f.path, f.text, out.output, configLookup(ws)) : out.output;
    const steps = [...(out.steps ?? []), { text: formatted, by: null }];
    result.change = { path: f.path, before: restore(f.text, f.shape), after: restore(formatted, f.shape), applied: out.applied, provenance: provenanceOf(f.text, steps) };
  }
  return result;
}

/**
 * A loaded file as the fix leaves it, for the inventory: its fixed text when
 * it changed, parsed afresh (fixers edit the loaded trees in place, so even an
 * unchanged file's tree may no longer be the file's).
 */
function asFixed(f: LoadedFile, after: string | undefined): LoadedFile {
  if (!f.parsed || (f.kind !== 'code' && f.kind !== 'dockerfile')) return f;
  const text = after === undefined ? f.text : normalize(after).text;
  try {
    return { ...f, text, parsed: parse(f.kind, f.path, text) };
  } catch {
    // Fixed output is checked to parse before it is kept; a file that still fails gives no facts.
    return { ...f, text, parsed: undefined };
  }
}

/** The worker-side state built once from the setup: transforms, file lists, a workspace view. */
export interface PackageRunner {
  run(task: PackageTask): Promise<PackageResult>;
}

/** `pause`: awaited after loading and after each file (a thread that also dispatches to workers). */
export function packageRunner(setup: RunSetup, transforms: AnyTransform[], pause?: () => Promise<void>): PackageRunner {
  const fixers = setup.fixers.map((id) => transforms.find((t) => t.id === id)!);
  const byPkg = new Map<string, DiscoveredFile[]>();
  for (const f of setup.files) if (f.pkg) byPkg.set(f.pkg, [...(byPkg.get(f.pkg) ?? []), f]);
  const pkgs = new Map(setup.packages.map((p) => [p.dir, p]));
  const code = transforms.filter((t) => t.kind === 'code');
  const wanted = (text: string) => code.some((t) => hasNeedle(t.needles, text));
  const inRun = new Set(setup.inRun);
  const failed = new Set<string>();
  // Other packages are known by manifest only: a worker sees one package's
  // inventory at a time, and no code or Dockerfile rule reads another's.
  const packages = setup.packages.map((p) => ({ name: packageName(p), dir: p.dir, manifest: p.manifest }));
  const ws = workspaceView({
    root: setup.root,
    packageManager: setup.packageManager,
    config: setup.config,
    services: [],
    packages,
    files: setup.files,
    inRun: (rel) => inRun.has(rel) && !failed.has(rel),
    // Compose and workflow texts are asked for by every Dockerfile; package sources once each.
    cacheLimit: 256,
    stable: true,
  });
  return {
    async run(task) {
      const pkg = pkgs.get(task.dir);
      if (!pkg) throw new Error(`no package at ${task.dir}`);
      const selected = new Set(task.selected);
      const loaded = (byPkg.get(task.dir) ?? []).map((f) => loadFile(setup.root, f, selected.has(f.path) ? wanted : undefined));
      for (const f of loaded) if (f.problem) failed.add(f.path);
      const service = inventoryOf(setup.root, pkg, loaded, setup.composeEntries, setup.config);
      await pause?.();
      const files: FileResult[] = [];
      for (const f of loaded) {
        if (!selected.has(f.path)) continue;
        files.push(await runLoadedFile(f, service, ws, setup, transforms, fixers));
        await pause?.();
      }
      const changed = new Map(files.flatMap((r) => (r.change ? [[r.path, r.change.after] as const] : [])));
      if (!setup.refreshFacts || changed.size === 0) return { dir: task.dir, service, files };
      return { dir: task.dir, service, files, fixed: inventoryOf(setup.root, pkg, loaded.map((f) => asFixed(f, changed.get(f.path))), setup.composeEntries, setup.config) };
    },
  };
}
