// SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, Azure DevOps, IDE
// viewers). One run; the driver lists every rule of the catalog with its help
// (description, rationale, and the rule's docs page as markdown); each result
// points at a root-relative URI under the base id SRCROOT. Reads only the
// report and the catalog.
import { createHash } from 'node:crypto';
import type { CatalogEntry } from '../engine/catalog.js';
import type { Severity } from '../engine/types.js';
import type { Report, ReportFinding } from './baseline.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const URI_BASE_ID = 'SRCROOT';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { blocking: 'error', risky: 'warning', info: 'note' };

export interface SarifOptions {
  /** shipshape's version, for tool.driver. */
  version: string;
  /** `file://` URI of the scanned root, ending in '/'; omitted when not given. */
  rootUri?: string;
  /** The docs page of a rule, or null; becomes the rule's help.markdown. */
  docs?: (id: string) => string | null;
}

/** A path relative to root as a relative URI reference: each segment percent-encoded. */
export function relativeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/** "port-not-from-env" -> "PortNotFromEnv": SARIF's recommended rule name shape. */
function ruleName(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function fixedByText(e: CatalogEntry): string {
  return e.fixers.length ? `Fixed by \`shipshape fix --only ${e.fixers.join(',')}\`.` : 'Report only: fix it by hand.';
}

/** Ends a phrase with a full stop unless it has one. */
const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);

function sarifRule(e: CatalogEntry, docs: SarifOptions['docs']) {
  const full = [sentence(e.description), e.rationale ? sentence(e.rationale) : ''].filter(Boolean).join(' ');
  const page = docs?.(e.id) ?? null;
  return {
    id: e.id,
    name: ruleName(e.id),
    shortDescription: { text: sentence(e.description) },
    fullDescription: { text: full },
    help: { text: `${full} ${fixedByText(e)} Docs: docs/rules/${e.id}.md`, markdown: page ?? `**${e.id}** — ${full}\n\n${fixedByText(e)}` },
    defaultConfiguration: { level: LEVEL[e.severity] },
    properties: { severity: e.severity, fileKinds: e.kinds, fixers: e.fixers, tags: ['container', 'reliability', ...e.kinds] },
  };
}

/** Stable across line moves: rule, file, message and the occurrence among identical ones. */
function fingerprint(f: ReportFinding, seen: Map<string, number>): string {
  const base = createHash('sha256').update(`${f.rule}\0${f.file}\0${f.message}`).digest('hex').slice(0, 32);
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  return `${base}:${n + 1}`;
}

function message(f: ReportFinding): string {
  return f.fix ? `${f.message} Fixable: \`shipshape fix --only ${f.fix}\`.` : f.message;
}

export function toSarif(report: Report, catalog: CatalogEntry[], opts: SarifOptions) {
  const rules = [...catalog].sort((a, b) => a.id.localeCompare(b.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const regressions = new Set((report.regressions ?? []).map((r) => `${r.rule}\0${r.file}\0${r.line}\0${r.message}`));
  const seen = new Map<string, number>();
  const results = report.findings.map((f) => {
    const ruleIndex = index.get(f.rule);
    return {
      ruleId: f.rule,
      ...(ruleIndex !== undefined ? { ruleIndex } : {}),
      level: LEVEL[f.severity],
      message: { text: message(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: relativeUri(f.file), uriBaseId: URI_BASE_ID },
            region: { startLine: f.line },
          },
        },
      ],
      partialFingerprints: { 'shipshapeFinding/v1': fingerprint(f, seen) },
      ...(f.baseline ? { baselineState: f.baseline === 'new' ? ('new' as const) : ('unchanged' as const) } : {}),
      properties: {
        severity: f.severity,
        service: f.service,
        fix: f.fix,
        manual: f.message.startsWith('manual:'),
        ...(regressions.has(`${f.rule}\0${f.file}\0${f.line}\0${f.message}`) ? { regression: true } : {}),
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'shipshape',
            version: opts.version,
            semanticVersion: opts.version,
            rules: rules.map((e) => sarifRule(e, opts.docs)),
          },
        },
        ...(opts.rootUri ? { originalUriBaseIds: { [URI_BASE_ID]: { uri: opts.rootUri } } } : {}),
        results,
        properties: {
          summary: report.summary,
          ...(report.fixed ? { fixed: report.fixed } : {}),
        },
      },
    ],
  };
}

export function renderSarif(report: Report, catalog: CatalogEntry[], opts: SarifOptions): string {
  return `${JSON.stringify(toSarif(report, catalog, opts), null, 2)}\n`;
}
