// The rule catalog as the code declares it: every transform's rules plus the
// engine's own. `shipshape rules`, the docs check and SARIF read it from here.
import { GRAPH_RULES } from '../graph/rules.js';
import type { AnyTransform, RuleMeta, Severity } from './types.js';

/** Rules the engine itself reports; no transform owns them. */
export const ENGINE_RULES: RuleMeta[] = [
  {
    id: 'parse-error',
    severity: 'risky',
    description: 'a file shipshape should read could not be read or parsed; it was skipped',
    rationale: 'A file the tool cannot parse is a file nobody checked.',
    fixedBy: null,
  },
  {
    id: 'unused-suppression',
    severity: 'info',
    description: 'a `shipshape-ignore RULE` comment that silences nothing',
    rationale: 'Stale suppressions hide the next real finding on that line.',
    fixedBy: null,
  },
];

export interface CatalogEntry {
  id: string;
  severity: Severity;
  description: string;
  rationale?: string;
  /** The file kinds it reads. */
  kinds: string[];
  /** Fixer ids; empty when report-only. */
  fixers: string[];
}

export function catalog(transforms: AnyTransform[]): CatalogEntry[] {
  const byId = new Map<string, CatalogEntry>();
  for (const t of transforms) {
    for (const meta of Object.values(t.rules)) {
      const e = byId.get(meta.id) ?? { id: meta.id, severity: meta.severity, description: meta.description, rationale: meta.rationale, kinds: [], fixers: [] };
      if (!e.kinds.includes(t.kind)) e.kinds.push(t.kind);
      if (meta.fixedBy && t.fix && !e.fixers.includes(meta.fixedBy)) e.fixers.push(meta.fixedBy);
      byId.set(meta.id, e);
    }
  }
  for (const meta of ENGINE_RULES) byId.set(meta.id, { id: meta.id, severity: meta.severity, description: meta.description, rationale: meta.rationale, kinds: ['any'], fixers: [] });
  // The service graph's rules read nginx, compose and code together (src/graph).
  for (const meta of GRAPH_RULES) byId.set(meta.id, { id: meta.id, severity: meta.severity, description: meta.description, rationale: meta.rationale, kinds: ['graph'], fixers: [] });
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export function allRuleIds(transforms: AnyTransform[]): Set<string> {
  return new Set(catalog(transforms).map((e) => e.id));
}
