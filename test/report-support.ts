// Shared by the report tests: run the built CLI, and validate every JSON and
// SARIF output against its schema (the report's own, and the official SARIF
// 2.1.0 schema vendored in test/schemas/, see test/schemas/README.md).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { REPO } from './helpers/fixtures.js';

export const BIN = path.join(REPO, 'bin', 'shipshape.js');
export const DEMO = path.join(REPO, 'fixtures', 'monorepo');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The built CLI as a user runs it, colour off. Asynchronous so the test
 * worker stays responsive while a scan runs.
 */
export function run(args: string[], cwd = REPO, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Both are CommonJS; under NodeNext their class/function is the `default` export.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

let reportValidator: ValidateFunction | undefined;
let sarifValidator: ValidateFunction | undefined;

export function reportSchema(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'src', 'report', 'schema', 'report.schema.json'), 'utf8')) as Record<string, unknown>;
}

/** Ajv in strict mode: the schema itself must be clean, not only the data. */
export function validateReport(data: unknown): string[] {
  if (!reportValidator) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    reportValidator = ajv.compile(reportSchema());
  }
  const validate = reportValidator;
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/**
 * The SARIF 2.1.0 schema (rtm.5, the one SchemaStore and GitHub code scanning
 * reference) is draft-04: its only draft-04-specific keyword is the root `id`,
 * so it is loaded as draft-07 with `$id`. Its `language` pattern is not valid
 * as a unicode regexp (fixed in the OASIS errata), hence unicodeRegExp: false.
 */
export function validateSarif(data: unknown): string[] {
  if (!sarifValidator) {
    const raw = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'schemas', 'sarif-schema-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
    const { id, ...rest } = raw;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    sarifValidator = ajv.compile({ ...rest, $id: id as string, $schema: 'http://json-schema.org/draft-07/schema#' });
  }
  const validate = sarifValidator;
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Parses a JSON report printed by the CLI and asserts it matches the schema. */
export function parseReport<T = ReportShape>(stdout: string): T {
  const data = JSON.parse(stdout) as unknown;
  expect(validateReport(data)).toEqual([]);
  return data as T;
}

export function parseSarif<T = SarifShape>(stdout: string): T {
  const data = JSON.parse(stdout) as unknown;
  expect(validateSarif(data)).toEqual([]);
  return data as T;
}

export interface FindingShape {
  rule: string;
  severity: string;
  service: string | null;
  file: string;
  line: number;
  message: string;
  fix: string | null;
  baseline?: string;
}

export interface ReportShape {
  version: 1;
  services: { name: string; type: string }[];
  findings: FindingShape[];
  fixed?: (FindingShape & { baseline: string })[];
  regressions?: FindingShape[];
  summary: { services: number; blocking: number; risky: number; info: number; fixable: number; suppressed: number; baseline?: { new: number; stillPresent: number; fixed: number; regressions: number } };
}

export interface SarifShape {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string }; help: { text: string; markdown?: string }; defaultConfiguration: { level: string } }[] } };
    originalUriBaseIds?: Record<string, { uri: string }>;
    results: {
      ruleId: string;
      ruleIndex?: number;
      level: string;
      message: { text: string };
      baselineState?: string;
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number } } }[];
      properties: Record<string, unknown>;
    }[];
    properties: { summary: ReportShape['summary'] };
  }[];
}
