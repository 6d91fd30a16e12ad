// The markdown report reads like the code-backed audits it replaces
// (/work/shared/audits): inventory, what holds with evidence, blocking, risky
// and info findings with file:line, a crash-on-startup table, and a one-line
// verdict. Deterministic: the same tree gives the same bytes (no timestamp
// unless the caller passes one), so the demo report can be committed and diffed.
import type { ScanResult, Selection } from '../engine/pipeline.js';
import type { CatalogEntry } from '../engine/catalog.js';
import type { FileKind, Service, Severity } from '../engine/types.js';
import type { Report, ReportFinding } from './baseline.js';
import { code, plural, tableOf } from './md.js';

/**
 * Rules whose finding means the container stops at or right after start: it
 * exits, throws while loading, cannot find its command, or is killed by the
 * platform as unhealthy before it ever serves.
 */
export const CRASH_RULES = new Set([
  'exit-on-dependency-failure',
  'listen-before-connect',
  'port-helper-throws-at-load',
  'package-manager-at-runtime',
  'cmd-path-mismatch',
  'healthcheck-binary-missing',
]);

/** The files one service (or the repository itself) had checked, for "what holds". */
export interface CoverageUnit {
  /** Service or library name; null for repo-level files (compose, workflows). */
  name: string | null;
  library: boolean;
  files: { path: string; kind: FileKind }[];
  /** Rules named in `shipshape-ignore` comments of these files. */
  suppressedRules: string[];
}

export interface Coverage {
  units: CoverageUnit[];
  /** Rules turned off by config: never checked. */
  rulesOff: string[];
}

export interface MarkdownOptions {
  /** Heading name, e.g. the root folder's name. */
  title: string;
  /** Printed only when given (keeps the report reproducible by default). */
  date?: string;
  /** null when the run cannot tell which files were read (--shard). */
  coverage: Coverage | null;
  /** The service graph as mermaid source (src/graph/render.ts), drawn after the inventory when given. */
  serviceGraph?: string;
}

/** Which files each service had checked, from the scan's own analysis. */
export function coverageOf(result: ScanResult, sel: Selection = {}): Coverage | null {
  if (sel.shard) return null;
  const { analysis } = result;
  const ignored = new Set(analysis.ws.config.ignoreServices);
  const wanted = sel.services?.length ? new Set(sel.services) : null;
  const inventory = new Map(result.services.map((s, i) => [s.name, i]));
  const units = new Map<string, CoverageUnit>();
  for (const f of analysis.files) {
    if (f.problem) continue;
    const pkg = f.pkg ? analysis.packages.get(f.pkg) : undefined;
    const name = pkg?.name ?? null;
    if (name && ignored.has(name)) continue;
    if (wanted && (!name || !wanted.has(name))) continue;
    const key = name ?? '';
    const unit = units.get(key) ?? { name, library: !!pkg && !inventory.has(pkg.name), files: [], suppressedRules: [] };
    unit.files.push({ path: f.path, kind: f.kind });
    for (const r of f.suppressedRules) if (!unit.suppressedRules.includes(r)) unit.suppressedRules.push(r);
    units.set(key, unit);
  }
  const order = (u: CoverageUnit) => (u.name === null ? [2, 0, ''] : u.library ? [1, 0, u.name] : [0, inventory.get(u.name) ?? 0, '']) as [number, number, string];
  const sorted = [...units.values()].sort((a, b) => {
    const [x1, x2, x3] = order(a);
    const [y1, y2, y3] = order(b);
    return x1 - y1 || x2 - y2 || x3.localeCompare(y3);
  });
  const rulesOff = Object.entries(analysis.ws.config.rules)
    .filter(([, sev]) => sev === 'off')
    .map(([id]) => id)
    .sort();
  return { units: sorted, rulesOff };
}

// ---- markdown helpers -------------------------------------------------------


const TYPE_LABEL: Record<string, string> = { api: 'API', worker: 'Worker', ui: 'UI', lib: 'Library' };
const KIND_LABEL: Record<FileKind, [string, string]> = {
  code: ['code file', 'code files'],
  dockerfile: ['Dockerfile', 'Dockerfiles'],
  compose: ['compose file', 'compose files'],
  shell: ['shell script', 'shell scripts'],
  workflow: ['workflow', 'workflows'],
  ecs: ['ECS task definition', 'ECS task definitions'],
  k8s: ['Kubernetes manifest', 'Kubernetes manifests'],
};

// ---- sections ---------------------------------------------------------------

function inventory(services: Omit<Service, 'manifest'>[]): string {
  if (services.length === 0) return 'No service found.\n';
  return tableOf(
    ['Service', 'Type', 'Dockerfile', 'Entrypoint/CMD', 'Port', 'Health endpoint', 'Prisma', 'Required env', 'Healthcheck'],
    services.map((s) => [
      s.name,
      TYPE_LABEL[s.type] ?? s.type,
      s.dockerfile ? code(s.dockerfile) : '—',
      s.entrypoint ? code(s.entrypoint) : '—',
      s.port === null ? '—' : String(s.port),
      [s.health ? code(s.health) : '—', s.ready ? `ready ${code(s.ready)}` : ''].filter(Boolean).join(', '),
      s.prisma ? 'yes' : 'no',
      s.requiredEnv.length ? s.requiredEnv.join(', ') : '—',
      s.healthcheck ? 'yes' : 'no',
    ]),
  );
}

/** "Read `a/Dockerfile`, `a/entrypoint.sh` and 4 code files": the evidence of one unit. */
function evidence(unit: CoverageUnit): string {
  const parts: string[] = [];
  for (const kind of ['dockerfile', 'shell', 'compose', 'workflow', 'code'] as FileKind[]) {
    const files = unit.files.filter((f) => f.kind === kind).map((f) => f.path).sort();
    if (files.length === 0) continue;
    if (files.length <= 2) parts.push(files.map(code).join(', '));
    else parts.push(`${files.length} ${KIND_LABEL[kind][1]} (${code(files[0]!)}, …)`);
  }
  return parts.join('; ');
}

function whatHolds(report: Report, catalog: CatalogEntry[], coverage: Coverage | null): string {
  if (!coverage) return 'Not listed for a `--shard` run: a shard reads only part of the files.\n';
  if (coverage.units.length === 0) return 'No file was checked.\n';
  const off = new Set(coverage.rulesOff);
  let out = 'Rules that ran on each service’s files and found nothing; the files read are the evidence.\n\n';
  for (const unit of coverage.units) {
    const kinds = new Set(unit.files.map((f) => f.kind));
    const files = new Set(unit.files.map((f) => f.path));
    const checked = catalog.filter((e) => !off.has(e.id) && e.kinds.some((k) => kinds.has(k as FileKind)));
    const found = new Set(report.findings.filter((f) => files.has(f.file)).map((f) => f.rule));
    const silenced = checked.filter((e) => unit.suppressedRules.includes(e.id) && !found.has(e.id)).map((e) => e.id);
    const holds = checked.filter((e) => !found.has(e.id) && !silenced.includes(e.id)).map((e) => e.id);
    const label = unit.name === null ? '**repository files**' : `**${unit.name}**${unit.library ? ' (library)' : ''}`;
    out += `- ${label} — read ${evidence(unit)}.\n`;
    out += holds.length
      ? `  ${holds.length} of ${plural(checked.length, 'rule')} ${holds.length === 1 ? 'holds' : 'hold'}: ${holds.map(code).join(', ')}.\n`
      : `  None of the ${plural(checked.length, 'rule')} checked holds.\n`;
    if (silenced.length) out += `  Silenced by \`shipshape-ignore\`: ${silenced.map(code).join(', ')}.\n`;
  }
  if (coverage.rulesOff.length) out += `\nTurned off by config, not checked: ${coverage.rulesOff.map(code).join(', ')}.\n`;
  return out;
}

function fixCell(f: ReportFinding, catalog: Map<string, CatalogEntry>): string {
  if (f.fix) return code(f.fix);
  if (f.message.startsWith('manual:')) return 'manual';
  return (catalog.get(f.rule)?.fixers.length ?? 0) > 0 ? 'manual' : 'report only';
}

/** Regressions are copies of findings (after a JSON round trip too): matched by their fields. */
const findingKey = (f: ReportFinding) => `${f.rule}\0${f.file}\0${f.line}\0${f.message}`;

function baselineCell(f: ReportFinding, regressions: Set<string>): string {
  if (regressions.has(findingKey(f))) return '**regression**';
  return f.baseline ?? '';
}

function findingsSection(report: Report, sev: Severity, prefix: string, catalog: Map<string, CatalogEntry>): string {
  const mine = report.findings.filter((f) => f.severity === sev);
  if (mine.length === 0) return 'None.\n';
  const withBaseline = report.summary.baseline !== undefined;
  const regressions = new Set((report.regressions ?? []).map(findingKey));
  const headers = ['#', 'Rule', 'Service', 'Location', 'Finding', 'Fix', ...(withBaseline ? ['Baseline'] : [])];
  return tableOf(
    headers,
    mine.map((f, i) => [
      `${prefix}${i + 1}`,
      code(f.rule),
      f.service ?? '—',
      code(`${f.file}:${f.line}`),
      f.message,
      fixCell(f, catalog),
      ...(withBaseline ? [baselineCell(f, regressions)] : []),
    ]),
  );
}

function crashTable(report: Report): string {
  const crashes = report.findings.filter((f) => CRASH_RULES.has(f.rule));
  if (crashes.length === 0) return 'No finding makes a container exit or get killed at startup.\n';
  return (
    'Findings that stop a container at or right after start: it exits, throws while loading, cannot find its command, or is killed as unhealthy.\n\n' +
    tableOf(
      ['#', 'Service', 'File', 'Line', 'Failing condition'],
      crashes.map((f, i) => [String(i + 1), f.service ?? '—', code(f.file), String(f.line), `${f.message} (${code(f.rule)})`]),
    )
  );
}

function baselineSection(report: Report): string {
  const b = report.summary.baseline;
  if (!b) return '';
  let out = `## Compared with the baseline\n\n${b.new} new, ${b.stillPresent} still present, ${b.fixed} fixed, ${plural(b.regressions, 'regression')}.\n\n`;
  const regressions = report.regressions ?? [];
  if (regressions.length) {
    out += `### Regressions\n\nFound again after an earlier report listed them as fixed.\n\n`;
    out += tableOf(['Rule', 'Service', 'Location', 'Finding'], regressions.map((f) => [code(f.rule), f.service ?? '—', code(`${f.file}:${f.line}`), f.message]));
    out += '\n';
  }
  const fixed = (report.fixed ?? []).filter((f) => f.baseline === 'fixed');
  if (fixed.length) {
    out += `### Fixed since the baseline\n\n`;
    out += tableOf(['Rule', 'Service', 'Was at', 'Finding'], fixed.map((f) => [code(f.rule), f.service ?? '—', code(`${f.file}:${f.line}`), f.message]));
    out += '\n';
  }
  const still = (report.fixed ?? []).length - fixed.length;
  if (still > 0) out += `${plural(still, 'finding')} fixed in earlier runs stay fixed.\n\n`;
  return out;
}

function verdict(report: Report): string {
  const { blocking, risky } = report.summary;
  const regressions = report.regressions?.length ?? 0;
  if (blocking > 0 || regressions > 0) {
    const services = [...new Set(report.findings.filter((f) => f.severity === 'blocking').map((f) => f.service ?? 'repository files'))];
    const why = [
      blocking > 0 ? `${plural(blocking, 'blocking finding')} in ${services.join(', ')}` : '',
      regressions > 0 ? `${plural(regressions, 'regression')} since the baseline` : '',
    ].filter(Boolean);
    const fixable = report.findings.filter((f) => f.severity === 'blocking' && f.fix).length;
    const fixNote = blocking > 0 ? `; \`shipshape fix\` handles ${fixable} of ${blocking} blocking` : '';
    return `**Not safe to deploy** — ${why.join(' and ')}${fixNote}.\n`;
  }
  if (risky > 0) return `**Safe to deploy, with ${plural(risky, 'risky finding')} to schedule** — no blocking finding.\n`;
  return '**Safe to deploy** — no blocking or risky finding.\n';
}

export function renderMarkdown(report: Report, catalog: CatalogEntry[], opts: MarkdownOptions): string {
  const byId = new Map(catalog.map((e) => [e.id, e]));
  const s = report.summary;
  let out = `# shipshape scan: ${opts.title}\n\n`;
  if (opts.date) out += `**Date:** ${opts.date}  \n`;
  out += `**Services:** ${s.services} · **Blocking:** ${s.blocking} · **Risky:** ${s.risky} · **Info:** ${s.info} · **Fixable:** ${s.fixable} · **Suppressed:** ${s.suppressed}\n\n`;
  out += `## Inventory\n\n${inventory(report.services)}\n`;
  if (opts.serviceGraph)
    out += `## Service graph\n\nServices, nginx routes, service URLs, \`depends_on\` and Kafka topics (\`shipshape graph\`); a red edge carries a finding.\n\n\`\`\`mermaid\n${opts.serviceGraph}\`\`\`\n\n`;
  out += `## What holds\n\n${whatHolds(report, catalog, opts.coverage)}\n`;
  out += `## Blocking (${s.blocking})\n\n${findingsSection(report, 'blocking', 'B', byId)}\n`;
  out += `## Risky (${s.risky})\n\n${findingsSection(report, 'risky', 'R', byId)}\n`;
  out += `## Info (${s.info})\n\n${findingsSection(report, 'info', 'I', byId)}\n`;
  out += `## Crash on startup\n\n${crashTable(report)}\n`;
  out += baselineSection(report);
  if (s.suppressed > 0) out += `${plural(s.suppressed, 'finding')} silenced by \`shipshape-ignore\` comments ${s.suppressed === 1 ? 'is' : 'are'} not listed.\n\n`;
  out += `## Verdict\n\n${verdict(report)}`;
  return out;
}
