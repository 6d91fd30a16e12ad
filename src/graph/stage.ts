// The pipeline's graph stage: once every package's inventory (with its
// wiring facts) is known, build the service graph and turn what it found into
// findings the way the engine does for a file: config severities and `off`,
// `shipshape-ignore RULE` on the line before, ignored services. Which
// findings this run reports is the caller's `emits(file)`: a shard reports
// only those on its own files, so merged shards list each once, while every
// shard draws the same graph (a scan shard sees the whole run).
import type { Document } from 'yaml';
import { findSuppressions, SuppressionIndex } from '../engine/suppress.js';
import type { Finding, ResolvedConfig, Service, Severity } from '../engine/types.js';
import { buildGraph } from './build.js';
import { findNginxConfigs } from './nginx.js';
import { GRAPH_RULES } from './rules.js';
import type { ServiceGraph } from './types.js';

export interface GraphStageInput {
  root: string;
  packages: Service[];
  compose: { path: string; text: string; doc: Document }[];
  config: ResolvedConfig;
  /** A file's text (relative path), for its suppressions. */
  read(file: string): string | undefined;
  /** True when this run reports findings on that file (--service, --shard, ignored services). */
  emits(file: string): boolean;
}

export interface GraphStageResult {
  graph: ServiceGraph;
  findings: Finding[];
  suppressed: number;
  /** `file\0line\0rule` of each `shipshape-ignore` a graph finding used: not unused after all. */
  used: Set<string>;
}

const DEFAULTS = new Map<string, Severity>([...GRAPH_RULES.map((r) => [r.id, r.severity] as const), ['parse-error', 'risky']]);

export function graphStage(input: GraphStageInput): GraphStageResult {
  const built = buildGraph({ root: input.root, packages: input.packages, compose: input.compose, nginx: findNginxConfigs(input.root), ignoreServices: input.config.ignoreServices });
  const severity = (rule: string): Severity | null => {
    const override = input.config.rules[rule];
    return override === 'off' ? null : (override ?? DEFAULTS.get(rule)!);
  };
  const indexes = new Map<string, SuppressionIndex>();
  const suppressions = (file: string) => {
    let idx = indexes.get(file);
    if (!idx) indexes.set(file, (idx = new SuppressionIndex(findSuppressions(input.read(file) ?? ''))));
    return idx;
  };
  const ignored = new Set(input.config.ignoreServices);
  const findings: Finding[] = [];
  const used = new Set<string>();
  let suppressed = 0;
  for (const f of built.findings) {
    const sev = severity(f.rule);
    if (!sev || (f.service !== null && ignored.has(f.service))) continue;
    if (suppressions(f.file).check(f.rule, f.line)) {
      used.add(`${f.file}\0${f.line - 1}\0${f.rule}`);
      if (input.emits(f.file)) suppressed++;
      continue;
    }
    for (const e of f.edges) if (!built.graph.edges[e]!.findings.includes(f.rule)) built.graph.edges[e]!.findings.push(f.rule);
    if (input.emits(f.file)) findings.push({ rule: f.rule, severity: sev, service: f.service, file: f.file, line: f.line, message: f.message, fix: null });
  }
  const parseError = severity('parse-error');
  for (const p of built.problems)
    if (parseError && input.emits(p.file)) findings.push({ rule: 'parse-error', severity: parseError, service: null, file: p.file, line: p.line, message: `${p.file}:${p.line}: ${p.message}; shipshape skipped this file`, fix: null });
  return { graph: built.graph, findings, suppressed, used };
}

/** The findings without the `unused-suppression` ones a graph finding used. */
export function withoutUsedSuppressions(findings: Finding[], used: Set<string>): Finding[] {
  if (used.size === 0) return findings;
  return findings.filter((f) => {
    if (f.rule !== 'unused-suppression') return true;
    const rule = /^shipshape-ignore (\S+) /.exec(f.message)?.[1];
    return !rule || !used.has(`${f.file}\0${f.line}\0${rule}`);
  });
}

/** The package (dir) that owns a path: the deepest package folder holding it; null for repo-level files. */
export function ownerPackage(file: string, dirs: string[]): string | null {
  let best: string | null = null;
  for (const d of dirs) if ((d === '.' || file.startsWith(`${d}/`)) && (best === null || d.length > best.length || best === '.')) best = d;
  return best;
}
