// The reviewer's view of a fix (or scan) run, as data: every changed file
// split into hunks, each hunk with the transforms that wrote it (engine,
// patch.ts) and the rules it fixes, the findings it fixes, and per-rule
// counts. `fix --format json|markdown`, the grouped dry-run text and the HTML
// review page all render this one model, so their counts cannot disagree.
import path from 'node:path';
import { changeHunks, type Hunk } from '../engine/patch.js';
import type { FileChange } from '../engine/pipeline.js';
import { ownerPackage } from '../graph/stage.js';
import type { AnyTransform, Finding, Service, Severity } from '../engine/types.js';
import { catalog } from '../engine/catalog.js';
import { DOC_SECTIONS, readRuleDoc } from './rule-docs.js';

/** What a finding means to the reviewer of this run. */
export type FindingStatus =
  /** Report-only rule (`fix: null`): a human has to act. */
  | 'manual'
  /** Its fixer changed its file (or a file created for it) in this run. */
  | 'fixed'
  /** Fixable, but this run did not change it (--only/--skip, or the fixer waited on another file). */
  | 'open'
  /** A scan: fixable by `shipshape fix`. */
  | 'fixable';

export interface ReviewFinding extends Finding {
  status: FindingStatus;
}

export interface ReviewHunk {
  /** `@@ -a,b +c,d @@`, plain (no transform ids). */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Transform ids that wrote it, in fix order. */
  transforms: string[];
  /** Rule ids it fixes (see hunkAttribution). */
  rules: string[];
  /** The services it belongs to: the file's package, or for repo-level files the services of the findings it fixes. */
  services: string[];
  /** Indexes into ReviewModel.findings of the findings this hunk fixes. */
  fixes: number[];
  added: number;
  removed: number;
  /** The hunk's lines with their ' ', '-', '+' prefixes. */
  lines: string[];
}

export interface ReviewFile {
  path: string;
  created: boolean;
  /** Package name owning the file; null for repo-level files (compose, workflows). */
  service: string | null;
  /** highlight.js language when the extension does not say it (Dockerfile). */
  lang: string | null;
  transforms: string[];
  /** Union of its hunks' rules, in hunk order. */
  rules: string[];
  added: number;
  removed: number;
  /** The `diff --git` / `---` / `+++` lines. */
  head: string[];
  hunks: ReviewHunk[];
}

export interface RuleSummary {
  id: string;
  severity: Severity;
  description: string;
  /** One paragraph: "Why it matters in a container" from docs/rules/<id>.md. */
  why: string;
  fixers: string[];
  /** Distinct files with at least one hunk of the rule. */
  files: number;
  hunks: number;
  /** Lines added and removed by its hunks (a hunk fixing two rules counts for both). */
  added: number;
  removed: number;
  findings: number;
  manual: number;
  open: number;
}

export interface InventoryRow extends Omit<Service, 'manifest' | 'wiring'> {
  /** Files this run changed in the service's folder. */
  changed: number;
}

export interface ReviewModel {
  mode: 'fix' | 'scan';
  dryRun: boolean;
  title: string;
  tool: { name: 'shipshape'; version: string };
  services: InventoryRow[];
  files: ReviewFile[];
  findings: ReviewFinding[];
  /** Every rule with a hunk or a finding, fix order first, then report-only rules by id. */
  rules: RuleSummary[];
  failures: { path: string; line: number; message: string }[];
  summary: {
    files: number;
    created: number;
    hunks: number;
    added: number;
    removed: number;
    unchanged: number;
    failed: number;
    findings: number;
    manual: number;
    open: number;
    services: number;
  };
}

export interface ReviewInput {
  mode: 'fix' | 'scan';
  dryRun: boolean;
  title: string;
  version: string;
  /** The inventory (services only, as scan lists them). */
  services: Service[];
  /** Every package by dir (libraries too): the owner of a changed file. */
  packages: Map<string, Service>;
  findings: Finding[];
  changes: FileChange[];
  failures: { path: string; line: number; message: string }[];
  unchanged: number;
  transforms: AnyTransform[];
}

// ---- rule docs ---------------------------------------------------------------

const whyCache = new Map<string, string | null>();

/**
 * The first paragraph of a rule page's "Why it matters in a container"
 * section, lines joined; null when the page or the section is missing.
 * Headings inside fenced examples are not sections.
 */
export function ruleWhy(id: string): string | null {
  if (whyCache.has(id)) return whyCache.get(id)!;
  const page = readRuleDoc(id);
  let why: string | null = null;
  if (page) {
    const paragraph: string[] = [];
    let inSection = false;
    let fenced = false;
    for (const raw of page.split(/\r?\n/)) {
      const line = raw.trimEnd();
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (!fenced && line.startsWith('## ')) {
        if (inSection) break;
        inSection = line.slice(3).trim() === DOC_SECTIONS[1];
        continue;
      }
      if (!inSection) continue;
      if (line.trim() === '') {
        if (paragraph.length) break;
        continue;
      }
      paragraph.push(line.trim());
    }
    if (paragraph.length) why = paragraph.join(' ');
  }
  whyCache.set(id, why);
  return why;
}

// ---- hunk -> rules -------------------------------------------------------------

/** The last line a hunk's old side covers (a pure insertion covers the line it follows). */
function covers(h: Pick<Hunk, 'oldStart' | 'oldLines'>, line: number): boolean {
  return line >= h.oldStart && line <= h.oldStart + Math.max(h.oldLines, 1) - 1;
}

/**
 * The findings a change answers for: its own file's, or for a file the fixer
 * created next to another (`Dockerfile.dockerignore`), the findings of the
 * file in the same folder whose name is the longest prefix of it, else of every
 * file in that folder.
 */
export function findingsOfChange(change: Pick<FileChange, 'path' | 'before' | 'applied'>, byFile: Map<string, number[]>, findings: Finding[]): number[] {
  if (change.before !== null) return byFile.get(change.path) ?? [];
  const dir = path.posix.dirname(change.path);
  const base = path.posix.basename(change.path);
  const siblings = [...byFile.entries()].filter(([file, idx]) => path.posix.dirname(file) === dir && idx.some((i) => change.applied.includes(findings[i]!.fix ?? '')));
  const prefixed = siblings.filter(([file]) => base.startsWith(`${path.posix.basename(file)}.`));
  const best = prefixed.length ? prefixed.filter(([file]) => file.length === Math.max(...prefixed.map(([f]) => f.length))) : siblings;
  return best.flatMap(([, idx]) => idx).sort((a, b) => a - b);
}

export interface HunkAttribution {
  rules: string[];
  /** Indexes into `findings`. */
  fixes: number[];
}

/**
 * The one mapping from a change's hunks to rules, used by every output.
 *
 * Each finding of the change whose `fix` is one of a hunk's transforms is
 * placed on that transform's hunks whose old lines hold the finding's line,
 * else on all that transform's hunks (a `USER` added before `CMD` fixes the
 * `runs-as-root` reported on `FROM`). A created file's hunk takes its owner's
 * findings by transform alone. A hunk's rules are its findings' rules; a
 * transform of the hunk that no finding was placed on lends the rules of its
 * other findings in the change, else the rules it declares `fixedBy` itself.
 */
export function hunkAttribution(
  change: Pick<FileChange, 'path' | 'before' | 'applied'>,
  hunks: Pick<Hunk, 'oldStart' | 'oldLines' | 'transforms'>[],
  findingIdx: number[],
  findings: Finding[],
  declared: Map<string, string[]>,
): HunkAttribution[] {
  const created = change.before === null;
  const placed = hunks.map(() => new Map<string, Set<number>>());
  for (const i of findingIdx) {
    const f = findings[i]!;
    if (!f.fix) continue;
    const mine = hunks.map((h, k) => k).filter((k) => hunks[k]!.transforms.includes(f.fix!));
    const here = created ? [] : mine.filter((k) => covers(hunks[k]!, f.line));
    for (const k of here.length ? here : mine) {
      const byT = placed[k]!;
      byT.set(f.fix, (byT.get(f.fix) ?? new Set()).add(i));
    }
  }
  return hunks.map((h, k) => {
    const rules: string[] = [];
    const fixes = new Set<number>();
    const add = (r: string) => !rules.includes(r) && rules.push(r);
    for (const t of h.transforms) {
      const own = placed[k]!.get(t);
      if (own) {
        for (const i of [...own].sort((a, b) => a - b)) {
          fixes.add(i);
          add(findings[i]!.rule);
        }
        continue;
      }
      const others = findingIdx.filter((i) => findings[i]!.fix === t).map((i) => findings[i]!.rule);
      for (const r of others.length ? [...new Set(others)].sort() : (declared.get(t) ?? [])) add(r);
    }
    return { rules, fixes: [...fixes].sort((a, b) => a - b) };
  });
}

/** Transform id -> the rules it declares it fixes, from every transform's rule metadata. */
export function declaredRules(transforms: AnyTransform[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of transforms)
    for (const meta of Object.values(t.rules)) {
      if (!meta.fixedBy || meta.fixedBy !== t.id) continue;
      const list = out.get(t.id) ?? [];
      if (!list.includes(meta.id)) list.push(meta.id);
      out.set(t.id, list);
    }
  for (const list of out.values()) list.sort();
  return out;
}

// ---- the model ------------------------------------------------------------------

export function diffHead(p: string, created: boolean): string[] {
  return created ? [`diff --git a/${p} b/${p}`, 'new file mode 100644', '--- /dev/null', `+++ b/${p}`] : [`diff --git a/${p} b/${p}`, `--- a/${p}`, `+++ b/${p}`];
}

/** Dockerfiles carry no extension diff2html could map to a language. */
function languageOf(p: string): string | null {
  const base = path.posix.basename(p);
  return /^Dockerfile(\.|$)/i.test(base) || /\.dockerfile$/i.test(base) ? 'dockerfile' : null;
}

const count = (lines: string[], sign: string) => lines.filter((l) => l.startsWith(sign)).length;

export function buildReviewModel(input: ReviewInput): ReviewModel {
  const findings = input.findings;
  const byFile = new Map<string, number[]>();
  findings.forEach((f, i) => byFile.set(f.file, [...(byFile.get(f.file) ?? []), i]));
  const declared = declaredRules(input.transforms);
  const dirs = [...input.packages.keys()];
  const nameOf = (p: string) => {
    const dir = ownerPackage(p, dirs);
    return dir === null ? null : (input.packages.get(dir)?.name ?? null);
  };

  const fixedIdx = new Set<number>();
  const files: ReviewFile[] = input.changes.map((change) => {
    const created = change.before === null;
    const hunks = changeHunks(change);
    const mine = findingsOfChange(change, byFile, findings);
    const attribution = hunkAttribution(change, hunks, mine, findings, declared);
    const service = nameOf(change.path);
    const reviewHunks: ReviewHunk[] = hunks.map((h, k) => {
      const { rules, fixes } = attribution[k]!;
      fixes.forEach((i) => fixedIdx.add(i));
      const services = service !== null ? [service] : [...new Set(fixes.map((i) => findings[i]!.service).filter((s): s is string => !!s))].sort();
      return { header: h.header, oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, transforms: h.transforms, rules, services, fixes, added: count(h.lines, '+'), removed: count(h.lines, '-'), lines: h.lines };
    });
    // A finding whose fixer changed its file is fixed even when no hunk holds its line.
    for (const i of mine) if (findings[i]!.fix && reviewHunks.some((h) => h.transforms.includes(findings[i]!.fix!))) fixedIdx.add(i);
    const rules: string[] = [];
    for (const h of reviewHunks) for (const r of h.rules) if (!rules.includes(r)) rules.push(r);
    return {
      path: change.path,
      created,
      service,
      lang: languageOf(change.path),
      transforms: change.applied,
      rules,
      added: reviewHunks.reduce((n, h) => n + h.added, 0),
      removed: reviewHunks.reduce((n, h) => n + h.removed, 0),
      head: diffHead(change.path, created),
      hunks: reviewHunks,
    };
  });

  const reviewFindings: ReviewFinding[] = findings.map((f, i) => ({
    ...f,
    status: f.fix === null ? 'manual' : input.mode === 'scan' ? 'fixable' : fixedIdx.has(i) ? 'fixed' : 'open',
  }));

  const entries = new Map(catalog(input.transforms).map((e) => [e.id, e]));
  const order = new Map(input.transforms.map((t, i) => [t.id, i]));
  const ruleIds = new Set<string>([...files.flatMap((f) => f.rules), ...findings.map((f) => f.rule)]);
  const rank = (id: string) => Math.min(...(entries.get(id)?.fixers ?? []).map((t) => order.get(t) ?? Infinity), Infinity);
  const rules: RuleSummary[] = [...ruleIds]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((id) => {
      const e = entries.get(id);
      const mine = reviewFindings.filter((f) => f.rule === id);
      const hunks = files.flatMap((f) => f.hunks.filter((h) => h.rules.includes(id)));
      return {
        id,
        // The run's severity (config may override the catalog's).
        severity: mine[0]?.severity ?? e?.severity ?? 'info',
        description: e?.description ?? '',
        why: ruleWhy(id) ?? e?.rationale ?? e?.description ?? '',
        fixers: e?.fixers ?? [],
        files: files.filter((f) => f.rules.includes(id)).length,
        hunks: hunks.length,
        added: hunks.reduce((n, h) => n + h.added, 0),
        removed: hunks.reduce((n, h) => n + h.removed, 0),
        findings: mine.length,
        manual: mine.filter((f) => f.status === 'manual').length,
        open: mine.filter((f) => f.status === 'open').length,
      };
    });

  const changedBy = new Map<string, number>();
  for (const f of files) if (f.service) changedBy.set(f.service, (changedBy.get(f.service) ?? 0) + 1);
  return {
    mode: input.mode,
    dryRun: input.dryRun,
    title: input.title,
    tool: { name: 'shipshape', version: input.version },
    services: input.services.map(({ manifest: _m, wiring: _w, ...rest }) => ({ ...rest, changed: changedBy.get(rest.name) ?? 0 })),
    files,
    findings: reviewFindings,
    rules,
    failures: input.failures,
    summary: {
      files: files.length,
      created: files.filter((f) => f.created).length,
      hunks: files.reduce((n, f) => n + f.hunks.length, 0),
      added: files.reduce((n, f) => n + f.added, 0),
      removed: files.reduce((n, f) => n + f.removed, 0),
      unchanged: input.unchanged,
      failed: input.failures.length,
      findings: reviewFindings.length,
      manual: reviewFindings.filter((f) => f.status === 'manual').length,
      open: reviewFindings.filter((f) => f.status === 'open').length,
      services: input.services.length,
    },
  };
}

/** A hunk as diff text: its plain header and lines, newline-terminated. */
export function hunkText(h: Pick<ReviewHunk, 'header' | 'lines'>): string {
  return `${[h.header, ...h.lines].join('\n')}\n`;
}

/** The plain diff of a file (as `fileDiff`), rebuilt from the model. */
export function fileText(f: ReviewFile): string {
  return `${[...f.head, ...f.hunks.flatMap((h) => [h.header, ...h.lines])].join('\n')}\n`;
}

// ---- fix --format json --------------------------------------------------------------

/**
 * `fix --format json`, version 1: the original fields (path, created,
 * transforms, diff per change; failures; summary.changed/unchanged/failed)
 * plus the hunks with their transforms and rules, per-rule counts and the
 * findings left for a human.
 */
export function fixJson(model: ReviewModel) {
  return {
    version: 1 as const,
    dryRun: model.dryRun,
    changes: model.files.map((f) => ({
      path: f.path,
      created: f.created,
      transforms: f.transforms,
      diff: fileText(f),
      service: f.service,
      rules: f.rules,
      linesAdded: f.added,
      linesRemoved: f.removed,
      hunks: f.hunks.map((h) => ({
        header: h.header,
        oldStart: h.oldStart,
        oldLines: h.oldLines,
        newStart: h.newStart,
        newLines: h.newLines,
        transforms: h.transforms,
        rules: h.rules,
        diff: hunkText(h),
      })),
    })),
    failures: model.failures,
    rules: model.rules
      .filter((r) => r.hunks > 0)
      .map((r) => ({ id: r.id, severity: r.severity, files: r.files, hunks: r.hunks, linesAdded: r.added, linesRemoved: r.removed })),
    manual: model.findings.filter((f) => f.status === 'manual').map(({ status: _s, ...f }) => f),
    summary: {
      changed: model.summary.files,
      unchanged: model.summary.unchanged,
      failed: model.summary.failed,
      hunks: model.summary.hunks,
      linesAdded: model.summary.added,
      linesRemoved: model.summary.removed,
      manual: model.summary.manual,
      open: model.summary.open,
    },
  };
}
