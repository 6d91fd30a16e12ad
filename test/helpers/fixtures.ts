// Discovers fixture cases and runs one transform over them, the way the engine
// would. Layout: fixtures/<transform-id>/<case>/input.<ext> + output.<ext>,
// optional case.json (context) and created/ (files the fixer must create).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixFile, scanFile, type FileOutcome } from '../../src/engine/run-file.js';
import { defaultService, standaloneWorkspace } from '../../src/engine/standalone.js';
import type { AnyTransform, FileKind, PackageManagerInfo, ResolvedConfig, Service } from '../../src/engine/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(REPO, 'fixtures');
/** Top-level fixture folders that are not transform ids. */
export const NON_TRANSFORM_FIXTURES = new Set(['monorepo', 'expected', 'verify', 'generators', 'precision', 'bad-input', 'graph']);

export interface CaseConfig {
  /**
   * The input's kind when it is not the transform's own: a case for one of its
   * companions (the compose file a Dockerfile fix also changes).
   */
  kind?: FileKind;
  /** For a companion case: the file whose finding the companion's change belongs to. */
  companionOf?: string;
  /** Path of the input inside the virtual workspace; defaults per kind. */
  path?: string;
  service?: Partial<Service> | null;
  services?: Partial<Service>[];
  packageManager?: PackageManagerInfo;
  config?: Partial<ResolvedConfig>;
  /** Other files of the virtual workspace, by path relative to its root. */
  files?: Record<string, string>;
  /**
   * Exactly the findings this transform must report on the input (rule, 1-based
   * line, and `manual: true` for a `fix: null` finding). When absent, the
   * harness only checks that a changed case reports and an unchanged one does not.
   */
  expect?: { rule: string; line: number; manual?: boolean }[];
  /** Comments the fix legitimately removes (inside a replaced node). */
  droppedComments?: string[];
}

export interface FixtureCase {
  transformId: string;
  name: string;
  dir: string;
  inputFile: string;
  input: string;
  output: string | null;
  outputFile: string;
  config: CaseConfig;
  /** Expected created files: path relative to workspace root -> content. */
  created: Record<string, string>;
}

const DEFAULT_PATH: Record<FileKind, (ext: string) => string> = {
  code: (ext) => `src/index${ext}`,
  dockerfile: () => 'Dockerfile',
  compose: () => 'docker-compose.yml',
  workflow: () => '.github/workflows/build.yml',
  shell: () => 'entrypoint.sh',
  ecs: () => 'deploy/task-definition.json',
  k8s: () => 'k8s/deployment.yaml',
};

function walk(dir: string, base = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name), `${base}${e.name}/`) : [`${base}${e.name}`],
  );
}

export function listFixtureTransformIds(): string[] {
  return fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !NON_TRANSFORM_FIXTURES.has(e.name))
    .map((e) => e.name)
    .sort();
}

export function loadCases(transformId: string): FixtureCase[] {
  const root = path.join(FIXTURES, transformId);
  const cases: FixtureCase[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    const entries = fs.readdirSync(dir);
    const inputName = entries.find((e) => e.startsWith('input.'));
    if (!inputName) throw new Error(`${dir}: no input.<ext>`);
    const ext = inputName.slice('input'.length);
    const outputFile = path.join(dir, `output${ext}`);
    const configFile = path.join(dir, 'case.json');
    const config: CaseConfig = fs.existsSync(configFile) ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as CaseConfig) : {};
    const createdDir = path.join(dir, 'created');
    const created: Record<string, string> = {};
    for (const f of walk(createdDir)) created[f] = fs.readFileSync(path.join(createdDir, f), 'utf8');
    cases.push({
      transformId,
      name,
      dir,
      inputFile: path.join(dir, inputName),
      input: fs.readFileSync(path.join(dir, inputName), 'utf8'),
      output: fs.existsSync(outputFile) ? fs.readFileSync(outputFile, 'utf8') : null,
      outputFile,
      config,
      created,
    });
  }
  return cases;
}

/** The kind of the case's input: the transform's own, or a companion's (`kind` in case.json). */
export function caseKind(c: FixtureCase, transform: AnyTransform): FileKind {
  return c.config.kind ?? transform.kind;
}

export function casePath(c: FixtureCase, kind: FileKind): string {
  return c.config.path ?? DEFAULT_PATH[kind](path.extname(c.inputFile));
}

function caseWorkspace(c: FixtureCase, kind: FileKind, text: string, extraFiles: Record<string, string> = {}) {
  const service = c.config.service === null ? null : defaultService({ dir: '.', ...(c.config.service ?? {}) });
  const services = c.config.services ? c.config.services.map((s) => defaultService(s)) : service ? [service] : [];
  const ws = standaloneWorkspace({
    root: path.join(c.dir, 'files'),
    services,
    ...(c.config.packageManager ? { packageManager: c.config.packageManager } : {}),
    config: { rules: {}, ignoreServices: [], defaults: {}, ...(c.config.config ?? {}) },
    // The input is a file of the workspace too, as it is for the engine (a plan over several files reads it there).
    files: { ...(c.config.files ?? {}), ...extraFiles, [casePath(c, kind)]: text },
  });
  return { ws, service };
}

/** Runs `transform` alone over `text` as the case describes; returns the engine's outcome. */
export function runCase(c: FixtureCase, transform: AnyTransform, text: string, mode: 'fix' | 'detect', extraFiles?: Record<string, string>): FileOutcome {
  const kind = caseKind(c, transform);
  const { ws, service } = caseWorkspace(c, kind, text, extraFiles);
  const input = { kind, path: casePath(c, kind), text, service };
  return mode === 'fix' ? fixFile(input, [transform], [transform], ws) : scanFile(input, [transform], ws);
}

/** Like runCase, with other transforms and fixers around it (the whole registry, as `fix` runs). */
export function runCaseWith(c: FixtureCase, transform: AnyTransform, text: string, transforms: AnyTransform[], fixers: AnyTransform[]): FileOutcome {
  const kind = caseKind(c, transform);
  const { ws, service } = caseWorkspace(c, kind, text);
  return fixFile({ kind, path: casePath(c, kind), text, service }, transforms, fixers, ws);
}

/**
 * A companion case's findings where they live: the transform's detect on the
 * `companionOf` file, in the workspace where the case's input is `text`.
 */
export function companionOwnerFindings(c: FixtureCase, transform: AnyTransform, text: string): FileOutcome {
  const owner = c.config.companionOf;
  const ownerText = owner === undefined ? undefined : c.config.files?.[owner];
  if (owner === undefined || ownerText === undefined) throw new Error(`${c.dir}: a companion case needs companionOf naming one of its files`);
  const kind = caseKind(c, transform);
  const { ws } = caseWorkspace(c, kind, text);
  const service = ws.services.find((s) => s.dockerfile === owner) ?? null;
  return scanFile({ kind: transform.kind, path: owner, text: ownerText, service }, [transform], ws);
}
