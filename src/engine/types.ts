// The contract between the engine and the transforms. A transform module
// never reads files or prints: it receives a parsed file in a context and
// returns findings (detect) or changes (fix). Everything here is data.
import type { Collection, JSCodeshift } from 'jscodeshift';
import type { Node as JsonNode } from 'jsonc-parser';
import type { Document } from 'yaml';
import type { DockerfileTree } from './dockerfile.js';
import type { Needles } from './prefilter.js';
import type { ShellTree } from './shell.js';

export type Severity = 'blocking' | 'risky' | 'info';
export type RuleSeverity = Severity | 'off';

/** The kinds of file shipshape reads; each has exactly one parser (see parsers.ts). */
export type FileKind = 'code' | 'dockerfile' | 'compose' | 'shell' | 'workflow' | 'ecs' | 'k8s';

export type ServiceType = 'api' | 'worker' | 'ui' | 'lib';

export interface RuleMeta {
  /** Stable kebab-case id from SPEC.md; never reused once retired. */
  id: string;
  severity: Severity;
  /** One line: what the rule catches. */
  description: string;
  /** Why it matters in a container (rule docs, SARIF help). */
  rationale?: string;
  /** Id of the transform that fixes it, null when report-only. */
  fixedBy: string | null;
}

/** Everything the engine knows about one deployable package. */
export interface Service {
  name: string;
  /** Directory relative to the workspace root, '/'-separated, '.' for the root. */
  dir: string;
  type: ServiceType;
  dockerfile: string | null;
  entrypoint: string | null;
  port: number | null;
  health: string | null;
  ready: string | null;
  prisma: boolean;
  requiredEnv: string[];
  /** The force-exit timer of its shutdown handler in ms, when the code has one (see code-facts.ts). */
  shutdownTimeoutMs: number | null;
  healthcheck: boolean;
  /** Parsed package.json of the service. */
  manifest: Record<string, unknown>;
  /** What the code says about its neighbours, for the service graph (src/graph); plain data, not in the JSON report. */
  wiring?: ServiceWiring;
}

/** An env var naming another service's address (`*_URL`, `*_URI`, `*_HOST`) read in code. */
export interface UrlRead {
  env: string;
  /** The literal the code falls back to (`process.env.X || 'http://…'`), else null. */
  fallback: string | null;
  file: string;
  /** 1-based line of the read, and of the fallback literal when there is one. */
  line: number;
  fallbackLine: number | null;
  /** Read by an HTTP call the process makes while starting (module level or a function its top level calls). */
  startup: boolean;
}

/** A Kafka topic a service produces to or subscribes to, where the call names it. */
export interface TopicUse {
  topic: string;
  /** A RegExp subscription (`subscribe({ topic: /^orders-/ })`): `topic` is its source text. */
  pattern?: boolean;
  file: string;
  line: number;
}

export interface ServiceWiring {
  urls: UrlRead[];
  produces: TopicUse[];
  consumes: TopicUse[];
}

export interface PackageManagerInfo {
  name: 'pnpm' | 'npm' | 'yarn';
  /** Exact version from package.json#packageManager or config, when known. */
  version: string | null;
}

export interface WorkspaceView {
  /** Absolute path of the root. */
  root: string;
  packageManager: PackageManagerInfo;
  services: Service[];
  /**
   * Every package of the workspace, libraries included, for resolving an
   * import of one package from another by its manifest name.
   */
  packages: Pick<Service, 'name' | 'dir' | 'manifest'>[];
  config: ResolvedConfig;
  /** Reads a file relative to root; undefined when absent or unreadable. Cached. */
  read(rel: string): string | undefined;
  exists(rel: string): boolean;
  /** The workspace's files of one kind (relative paths, sorted): what discovery found. */
  paths(kind: FileKind): string[];
  /**
   * True when this run reads the file and, in fix, may change it. False for a
   * file left out by `--service` or `--shard`, or one that did not parse: a fix
   * that must change several files together applies only when all are in.
   */
  inRun(rel: string): boolean;
}

export interface ResolvedConfig {
  rules: Record<string, RuleSeverity>;
  ignoreServices: string[];
  defaults: { pnpmVersion?: string; nodeVersion?: string; ports?: Record<string, number> };
}

/** A finding as a rule reports it; the engine adds service, file and final severity. */
export interface Report {
  rule: string;
  /** 1-based line. */
  line: number;
  column?: number;
  message: string;
  /**
   * Set to false when the matcher recognises the defect but the fixer declines
   * the shape; the message must then start with `manual:` and say why.
   */
  fixable?: boolean;
  /** In a repo-level file (compose, CI): the service the finding concerns, when the transform knows it. */
  service?: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  service: string | null;
  file: string;
  line: number;
  column?: number;
  message: string;
  fix: string | null;
}

/** A text replacement in the file's current text, by UTF-16 offsets. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** A file a fixer wants to create next to the one it fixes (e.g. .dockerignore). */
export interface NewFile {
  /** Relative to the workspace root. */
  path: string;
  text: string;
}

interface BaseContext {
  /** Path relative to the workspace root. */
  path: string;
  text: string;
  service: Service | null;
  workspace: WorkspaceView;
  /** True when `shipshape-ignore RULE` sits on the line before `line`. */
  suppressed(rule: string, line: number): boolean;
  /** Asks the engine to create a file; ignored when it already exists. */
  createFile(file: NewFile): void;
}

export interface CodeContext extends BaseContext {
  kind: 'code';
  j: JSCodeshift;
  root: Collection;
  /** 'ts' | 'tsx' | 'babylon': decides what syntax an inserted snippet may use. */
  parser: CodeParser;
  /** ESM when the file uses import/export or is .mjs/.mts; CJS otherwise. */
  module: 'esm' | 'cjs';
}

export interface DockerfileContext extends BaseContext {
  kind: 'dockerfile';
  tree: DockerfileTree;
}

export interface ShellContext extends BaseContext {
  kind: 'shell';
  tree: ShellTree;
}

export interface YamlContext extends BaseContext {
  kind: 'compose' | 'workflow';
  doc: Document;
}

/**
 * An ECS task definition (JSON), kept as jsonc-parser's tree: its nodes carry
 * offsets, so a fixer answers with text edits (jsonc-parser's `modify`) that
 * keep the file's key order, indentation and everything it does not touch.
 */
export interface EcsTree {
  root: JsonNode;
  /** The parsed value (plain JSON). */
  value: unknown;
}

export interface EcsContext extends BaseContext {
  kind: 'ecs';
  tree: EcsTree;
}

/** Kubernetes manifests: every document of a multi-document YAML file, in order. */
export interface K8sContext extends BaseContext {
  kind: 'k8s';
  docs: Document[];
}

export type CodeParser = 'ts' | 'tsx' | 'babylon';

export type ContextFor<K extends FileKind> = K extends 'code'
  ? CodeContext
  : K extends 'dockerfile'
    ? DockerfileContext
    : K extends 'shell'
      ? ShellContext
      : K extends 'ecs'
        ? EcsContext
        : K extends 'k8s'
          ? K8sContext
          : YamlContext;

/**
 * What a fixer returns. Code and YAML fixers mutate the tree in place and
 * return true when they changed it; Dockerfile, shell and ECS fixers return text
 * edits, applied by the engine with ESLint's overlap rules.
 */
export type FixResult<K extends FileKind> = K extends TextKind ? TextEdit[] : boolean;

/** Kinds whose fixers answer with text edits rather than mutating a tree. */
export type TextKind = 'dockerfile' | 'shell' | 'ecs';
export const TEXT_KINDS: readonly FileKind[] = ['dockerfile', 'shell', 'ecs'];

export interface Transform<K extends FileKind = FileKind> {
  /** The transform id: the fixer id of SPEC's catalog, or the concern name for report-only modules. */
  id: string;
  kind: K;
  /** The rules this module reports, keyed by rule id. */
  rules: Record<string, RuleMeta>;
  /** Short help for `shipshape rules` and docs. */
  description: string;
  /**
   * Text a file must contain (any one of them) for this transform to report or
   * fix anything in it: the prefilter. A file that none of the selected
   * transforms' needles match is read but never parsed. Absent: every file of
   * the kind is parsed. Needles must over-approximate: a missing one silently
   * drops findings (test/prefilter.test.ts runs every fixture both ways).
   */
  needles?: Needles;
  detect(ctx: ContextFor<K>): Report[];
  /** Absent for report-only modules. Must be idempotent and change nothing when it has nothing to do. */
  fix?(ctx: ContextFor<K>): FixResult<K>;
  /**
   * The other files one fix must change with it, by their kind: a Dockerfile
   * whose build moves to the repo root also changes the compose file and the
   * workflow that build it. A companion reports nothing (the finding lives on
   * the file `kind` names) and runs wherever the transform is selected.
   */
  companions?: { [C in Exclude<FileKind, K>]?: (ctx: ContextFor<C>) => FixResult<C> };
}

export type AnyTransform = { [K in FileKind]: Transform<K> }[FileKind];
