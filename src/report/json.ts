// SPEC's JSON report, version 1. Reads only findings and services.
import type { Finding, Service } from '../engine/types.js';

export interface JsonReport {
  version: 1;
  root: string;
  services: Omit<Service, 'manifest'>[];
  findings: Finding[];
  summary: { services: number; blocking: number; risky: number; info: number; fixable: number; suppressed: number };
}

export function toJsonReport(services: Service[], findings: Finding[], suppressed: number): JsonReport {
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return {
    version: 1,
    root: '.',
    services: services.map(({ manifest: _manifest, wiring: _wiring, ...rest }) => rest),
    findings,
    summary: {
      services: services.length,
      blocking: count('blocking'),
      risky: count('risky'),
      info: count('info'),
      fixable: findings.filter((f) => f.fix !== null).length,
      suppressed,
    },
  };
}

export function renderJson(report: unknown): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
