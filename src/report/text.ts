// The terminal report: inventory, then findings grouped by severity. Colour
// only on a TTY and never with NO_COLOR, so piped output is stable.
import type { Finding, Service } from '../engine/types.js';
import { table } from './table.js';

export interface TextOptions {
  color: boolean;
}

const SEVERITY_ORDER: Finding['severity'][] = ['blocking', 'risky', 'info'];
const COLORS: Record<Finding['severity'], string> = { blocking: '\x1b[31m', risky: '\x1b[33m', info: '\x1b[36m' };

export function useColor(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function inventoryTable(services: Service[]): string {
  return table(
    ['service', 'type', 'dockerfile', 'entrypoint', 'port', 'health', 'prisma', 'required env', 'healthcheck'],
    services.map((s) => [s.name, s.type, s.dockerfile ?? '-', s.entrypoint ?? '-', s.port ?? '-', s.health ?? '-', s.prisma ? 'yes' : 'no', s.requiredEnv.join(', ') || '-', s.healthcheck ? 'yes' : 'no']),
  );
}

/** ` (new)` / ` (still present)` after a finding of a `--baseline` run. */
function baselineMark(f: Finding): string {
  const state = (f as Finding & { baseline?: string }).baseline;
  return state ? `  (${state})` : '';
}

export function renderText(services: Service[], findings: Finding[], suppressed: number, opts: TextOptions): string {
  const paint = (sev: Finding['severity'], s: string) => (opts.color ? `${COLORS[sev]}${s}\x1b[0m` : s);
  let out = `Inventory (${services.length} services)\n${inventoryTable(services)}\n`;
  for (const sev of SEVERITY_ORDER) {
    const mine = findings.filter((f) => f.severity === sev);
    if (mine.length === 0) continue;
    out += `${paint(sev, sev.toUpperCase())} (${mine.length})\n`;
    for (const f of mine) out += `  ${f.file}:${f.line}  ${f.rule}  ${f.message}${f.fix ? `  [fix: ${f.fix}]` : ''}${baselineMark(f)}\n`;
    out += '\n';
  }
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  out += `${findings.length} findings: ${count('blocking')} blocking, ${count('risky')} risky, ${count('info')} info; ${findings.filter((f) => f.fix).length} fixable; ${suppressed} suppressed\n`;
  return out;
}
