// The one place that maps a file to its kind and its parser. Tests, the
// fixture harness and the CLI all come through here, so a TypeScript file can
// never be parsed as JavaScript and silently match nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import jscodeshift, { type Collection, type JSCodeshift } from 'jscodeshift';
import { parseTree, printParseErrorCode, type ParseError as JsonParseError } from 'jsonc-parser';
import { isMap, isSeq, parseAllDocuments, parseDocument, visit, YAMLParseError, type Alias, type Document, type ErrorCode, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import type { ParserOptions } from '@babel/parser';
import type { Heredoc } from 'dockerfile-ast';
import { parseDockerfile, type DockerfileTree } from './dockerfile.js';
import { parseShell, ShellSyntaxError, type ShellTree } from './shell.js';
import { lineAt } from './text.js';
import type { CodeParser, EcsTree, FileKind } from './types.js';

export const CODE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Parser per extension: `.ts` typescript, `.tsx` typescript+jsx, JS babel with jsx. */
export function codeParserFor(file: string): CodeParser | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return file.endsWith('.d.ts') ? null : 'ts';
  if (ext === '.tsx') return 'tsx';
  if (ext === '.js' || ext === '.jsx' || ext === '.mjs' || ext === '.cjs') return 'babylon';
  return null;
}

export function isDockerfile(file: string): boolean {
  const base = path.basename(file);
  // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile: not a Dockerfile.
  if (base.endsWith('.dockerignore')) return false;
  return base === 'Dockerfile' || base.startsWith('Dockerfile.') || base.endsWith('.Dockerfile') || base.endsWith('.dockerfile');
}

export function isComposeFile(file: string): boolean {
  return /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(path.basename(file));
}

export function isWorkflowFile(file: string): boolean {
  return /(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/.test(file.split(path.sep).join('/'));
}

export function isShellScript(file: string): boolean {
  return path.extname(file) === '.sh';
}

/** The kind of a file by its path alone, or null when shipshape does not read it. */
export function kindOf(file: string): FileKind | null {
  if (isDockerfile(file)) return 'dockerfile';
  if (isWorkflowFile(file)) return 'workflow';
  if (isComposeFile(file)) return 'compose';
  if (isShellScript(file)) return 'shell';
  if (codeParserFor(file)) return 'code';
  return null;
}

/**
 * Deployment manifests are JSON and YAML files like any other, so their kind
 * comes from what they hold: an ECS task definition has `containerDefinitions`
 * (the register-task-definition input, the deploy actions' file, or
 * describe-task-definition's `taskDefinition` wrapper); a Kubernetes manifest
 * has a top-level `kind: Deployment` or `StatefulSet` next to `apiVersion`.
 * This only picks candidates; the parser decides.
 */
export function manifestKindOf(file: string, text: string): 'ecs' | 'k8s' | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return text.includes('"containerDefinitions"') ? 'ecs' : null;
  if (ext !== '.yml' && ext !== '.yaml') return null;
  // Helm and other Go templates are not YAML until rendered: not ours to read.
  if (text.includes('{{')) return null;
  const workload = /^kind:[ \t]*["']?(Deployment|StatefulSet)["']?[ \t]*(#.*)?$/m.test(text);
  return workload && /^apiVersion:/m.test(text) ? 'k8s' : null;
}

export class ParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

export interface ParsedCode {
  kind: 'code';
  j: JSCodeshift;
  root: Collection;
  parser: CodeParser;
  module: 'esm' | 'cjs';
}

export type Parsed =
  | ParsedCode
  | { kind: 'dockerfile'; tree: DockerfileTree }
  | { kind: 'shell'; tree: ShellTree }
  | { kind: 'compose' | 'workflow'; doc: Document }
  | { kind: 'ecs'; tree: EcsTree }
  | { kind: 'k8s'; docs: Document[] };

const require = createRequire(import.meta.url);
const babel = require('@babel/parser') as typeof import('@babel/parser');
const tsOptions = require('jscodeshift/parser/tsOptions.js') as ParserOptions;

/**
 * jscodeshift's own defaults for its `babylon` parser, which
 * jscodeshift/parser/babylon.js does not export. test/parsers.test.ts checks
 * this copy against what jscodeshift passes to babel.
 */
const BABYLON_OPTIONS: ParserOptions = {
  sourceType: 'module',
  allowImportExportEverywhere: true,
  allowReturnOutsideFunction: true,
  startLine: 1,
  tokens: true,
  plugins: [
    ['flow', { all: true }],
    'flowComments',
    'jsx',
    'asyncGenerators',
    'bigInt',
    'classProperties',
    'classPrivateProperties',
    'classPrivateMethods',
    ['decorators', { decoratorsBeforeExport: false }],
    'doExpressions',
    'dynamicImport',
    'exportDefaultFrom',
    'exportNamespaceFrom',
    'functionBind',
    'functionSent',
    'importMeta',
    'logicalAssignment',
    'nullishCoalescingOperator',
    'numericSeparator',
    'objectRestSpread',
    'optionalCatchBinding',
    'optionalChaining',
    ['pipelineOperator', { proposal: 'minimal' }],
    'throwExpressions',
  ] as ParserOptions['plugins'],
};

/**
 * The babel options jscodeshift parses each parser's files with, but without
 * the token list recast needs and a syntax check does not: the same code is
 * accepted or rejected, at about half the cost (most files of a monorepo are
 * only syntax-checked: no rule wants them).
 */
export const SYNTAX_OPTIONS: Record<CodeParser, ParserOptions> = {
  ts: { ...tsOptions, tokens: false },
  tsx: { ...tsOptions, plugins: ['jsx', ...(tsOptions.plugins ?? [])], tokens: false },
  babylon: { ...BABYLON_OPTIONS, tokens: false },
};

/**
 * Checks that `text` parses as `kind`, throwing the ParseError `parse` would.
 * For code it asks babel alone, with the options jscodeshift uses: a syntax
 * check (a file no rule reads, a fixed file before it is written) needs no
 * recast tree.
 */
export function checkSyntax(kind: FileKind, file: string, text: string): void {
  if (kind !== 'code') {
    parse(kind, file, text);
    return;
  }
  const parser = codeParserFor(file);
  if (!parser) throw new ParseError(`not a code file: ${file}`, 1);
  try {
    babel.parse(text, SYNTAX_OPTIONS[parser]);
  } catch (err) {
    throw codeParseError(err);
  }
}

/** True when `text` parses as `kind` (see checkSyntax). */
export function parses(kind: FileKind, file: string, text: string): boolean {
  try {
    checkSyntax(kind, file, text);
    return true;
  } catch {
    return false;
  }
}

function codeParseError(err: unknown): ParseError {
  const e = err as { message?: string; loc?: { line: number; column: number } };
  return new ParseError((e.message ?? String(err)).replace(/ \(\d+:\d+\)$/, ''), e.loc?.line ?? 1, e.loc?.column);
}

const apis = new Map<CodeParser, JSCodeshift>();

/** jscodeshift bound to a parser: built once per parser (withParser re-enriches the whole API). */
export function codeApi(parser: CodeParser): JSCodeshift {
  let api = apis.get(parser);
  if (!api) apis.set(parser, (api = jscodeshift.withParser(parser)));
  return api;
}

function moduleSystem(file: string, text: string, j: JSCodeshift, root: Collection): 'esm' | 'cjs' {
  const ext = path.extname(file);
  if (ext === '.mjs' || ext === '.mts') return 'esm';
  if (ext === '.cjs' || ext === '.cts') return 'cjs';
  // No import/export text, no module syntax: most CommonJS files never walk.
  if (!/\b(import|export)\b/.test(text)) return 'cjs';
  const top = (root.get().node as { program: { body: { type: string }[] } }).program.body;
  if (top.some((s) => s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration')) return 'esm';
  const esm =
    root.find(j.ImportDeclaration).size() > 0 ||
    root.find(j.ExportNamedDeclaration).size() > 0 ||
    root.find(j.ExportDefaultDeclaration).size() > 0;
  return esm ? 'esm' : 'cjs';
}

/** Parses text as the given kind; throws ParseError with a 1-based line. */
export function parse(kind: FileKind, file: string, text: string): Parsed {
  switch (kind) {
    case 'code': {
      const parser = codeParserFor(file);
      if (!parser) throw new ParseError(`not a code file: ${file}`, 1);
      const j = codeApi(parser);
      try {
        const root = j(text);
        return { kind, j, root, parser, module: moduleSystem(file, text, j, root) };
      } catch (err) {
        throw codeParseError(err);
      }
    }
    case 'dockerfile': {
      if (text.length > MAX_DOCKERFILE_CHARS) throw new ParseError(`Dockerfile is ${sizeText(text.length)}, over the ${sizeText(MAX_DOCKERFILE_CHARS)} limit`, 1);
      // CRLF is normalised on reading; a CR left over is one docker reads as part of its line, while
      // dockerfile-ast starts a new line there: every position after it would point at the wrong bytes.
      const cr = text.indexOf('\r');
      if (cr !== -1) throw new ParseError('stray carriage return (CR), which docker reads as part of the line; save the file with LF or CRLF line endings', lineAt(text, cr));
      const tree = parseDockerfile(text);
      const over = tree.instructions[MAX_DOCKERFILE_INSTRUCTIONS];
      if (over) throw new ParseError(`more than ${MAX_DOCKERFILE_INSTRUCTIONS} instructions, over the limit`, over.line);
      // Unclosed, it swallows the rest of the file: a fix appending a line would append it to the heredoc, on every pass.
      const open = openHeredoc(tree);
      if (open) throw new ParseError(`heredoc <<${open.name} is never closed (no line "${open.name}" ends it): docker build rejects it`, open.line);
      const unknown = customFrontend(tree) ? undefined : tree.instructions.find((i) => !DOCKERFILE_INSTRUCTIONS.has(i.keyword));
      // docker build stops at it; rules reading on would guess what it means.
      if (unknown) throw new ParseError(`unknown instruction ${unknown.keyword}: docker build rejects it`, unknown.line);
      return { kind, tree };
    }
    case 'shell':
      try {
        return { kind, tree: parseShell(text, file) };
      } catch (err) {
        if (err instanceof ShellSyntaxError) throw new ParseError(err.message, err.line);
        throw err;
      }
    case 'compose':
    case 'workflow': {
      const doc = parseYaml(text, { keepSourceTokens: true });
      const first = doc.errors[0];
      if (first) throw yamlParseError(first);
      // Compose and Actions both reject a file whose top level is not a map.
      const top = doc.contents;
      if (top !== null && !isMap(top))
        throw new ParseError(`the top level is a ${isSeq(top) ? 'list' : 'scalar'}, but a ${kind === 'compose' ? 'compose' : 'workflow'} file must be a map of keys`, top.range ? lineAt(text, top.range[0]) : 1);
      return { kind, doc };
    }
    case 'ecs':
      return { kind, tree: parseEcs(text) };
    case 'k8s':
      return { kind, docs: parseK8s(text) };
  }
}

/** Strict JSON (ECS rejects comments), kept as a tree with offsets. */
function parseEcs(text: string): EcsTree {
  const errors: JsonParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first || !root) throw new ParseError(`invalid JSON: ${first ? printParseErrorCode(first.error) : 'empty file'}`, first ? lineAt(text, first.offset) : 1);
  if (root.type !== 'object') throw new ParseError(`the top level is ${root.type === 'array' ? 'a list' : `a ${root.type}`}, but a task definition is an object`, lineAt(text, root.offset));
  return { root, value: JSON.parse(text) as unknown };
}

/** Every document of the file; each must be a map (or empty), as kubectl requires. */
function parseK8s(text: string): Document[] {
  const stream = parseAllDocuments(text, { keepSourceTokens: true });
  // An empty stream comes back as one EmptyStream object, not a list.
  const docs: Document.Parsed[] = Array.isArray(stream) ? stream : [];
  for (const doc of docs) {
    const first = doc.errors[0];
    if (first) throw yamlParseError(first);
    const problem = aliasProblem(doc, text);
    if (problem) throw yamlParseError(problem);
    const top = doc.contents;
    if (top !== null && !isMap(top))
      throw new ParseError(`a document's top level is a ${isSeq(top) ? 'list' : 'scalar'}, but a Kubernetes object is a map of keys`, top.range ? lineAt(text, top.range[0]) : 1);
  }
  // Each document's own text runs to where the next begins (the first from the
  // file's start, with the comments above it), so the slices add up to the file.
  docs.forEach((doc, i) => {
    const start = i === 0 ? 0 : doc.range[0];
    const end = docs[i + 1]?.range[0] ?? text.length;
    originals.set(doc, { source: text.slice(start, end), value: JSON.stringify(doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_EXPANSION })) });
  });
  return docs;
}

const originals = new WeakMap<Document, { source: string; value: string }>();

/**
 * A document of a multi-document file as it was read, while its content is
 * unchanged: printing it again would reflow what no fixer touched (comment
 * spacing, quoting), so the file keeps the bytes of every document a fix left alone.
 */
export function unchangedSource(doc: Document): string | null {
  const original = originals.get(doc);
  return original && JSON.stringify(doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_EXPANSION })) === original.value ? original.source : null;
}

/**
 * Dockerfiles past these are reported, not read: real ones are a few KB and a
 * few dozen instructions, while every RUN costs a shell parse (mvdan-sh: about
 * 3 ms and 35 KB each), so a generated 1 MB file would take minutes and a GB.
 */
export const MAX_DOCKERFILE_CHARS = 256 * 1024;
export const MAX_DOCKERFILE_INSTRUCTIONS = 1_000;

const sizeText = (chars: number) => (chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MB` : `${Math.round(chars / 1024)} KB`);

/** Dockerfile instructions BuildKit's parser accepts; any other keyword fails the build. */
const DOCKERFILE_INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** The first heredoc of a RUN, COPY or ADD that no line closes, BuildKit's "unterminated heredoc". */
function openHeredoc(tree: DockerfileTree): { name: string; line: number } | null {
  for (const i of tree.instructions) {
    if (i.keyword !== 'RUN' && i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
    const heredocs = (i.node as unknown as { getHeredocs(): Heredoc[] }).getHeredocs();
    // `<< EOF`, with a space, is the shell's heredoc, not the Dockerfile's: the parser gives it no name.
    const open = heredocs.find((h) => h.getName() !== '' && h.getDelimiterRange() === null);
    if (open) return { name: open.getName(), line: open.getStartRange().start.line + 1 };
  }
  return null;
}

/** A `# syntax=` frontend other than Docker's own may define instructions of its own (dockerfile-x's INCLUDE). */
function customFrontend(tree: DockerfileTree): boolean {
  const syntax = tree.ast.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax');
  return !!syntax && !/^(docker\.io\/)?docker\/dockerfile(-upstream)?([:@]|$)/.test(syntax.getValue().trim());
}

/**
 * Alias nodes one YAML file may hold. Compose files reuse anchors (`<<:
 * *defaults` per service): a few hundred at most. The `yaml` package finds an
 * alias's anchor by walking the document, so thousands of them make every
 * rule that resolves one quadratic in the file.
 */
export const MAX_YAML_ALIASES = 2_000;

/**
 * The `maxAliasCount` handed to `yaml`'s toJS: how far aliases may multiply
 * when expanded. An alias bomb (billion laughs) passes it within a few levels;
 * the library's default of 100 would reject a compose file whose 101 services
 * each merge `*defaults`.
 */
export const MAX_YAML_ALIAS_EXPANSION = 10_000;

/**
 * Every YAML document shipshape keeps as a tree comes through here: an alias
 * flood or an alias bomb becomes a parse error ("too many aliases") before
 * any rule resolves an alias, instead of a run that hangs or runs out of
 * memory; so does an alias without an anchor, which `yaml` only rejects when
 * it prints the document (a fix would throw and end the whole run).
 */
export function parseYaml(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): Document.Parsed {
  const doc = parseDocument(text, options);
  if (doc.errors.length === 0) {
    const problem = aliasProblem(doc, text);
    if (problem) doc.errors.push(problem);
  }
  return doc;
}

function aliasProblem(doc: Document.Parsed, text: string): YAMLParseError | null {
  const aliases: Alias[] = [];
  const anchors = new Set<string>();
  // In document order, so an alias sees only the anchors before it, as YAML and compose resolve them.
  visit(doc, {
    Node(_, node) {
      if (node.anchor) anchors.add(node.anchor);
    },
    Alias(_, node) {
      aliases.push(node);
      return !anchors.has(node.source) || aliases.length > MAX_YAML_ALIASES ? visit.BREAK : undefined;
    },
  });
  const last = aliases[aliases.length - 1];
  const at = (node: Alias, message: string, code: ErrorCode = 'RESOURCE_EXHAUSTION') => {
    const start = node.range?.[0] ?? 0;
    const error = new YAMLParseError([start, node.range?.[1] ?? start], code, message);
    error.linePos = [{ line: lineAt(text, start), col: start - text.lastIndexOf('\n', start - 1) }];
    return error;
  };
  if (!last) return null;
  if (!anchors.has(last.source)) return at(last, `unknown alias *${last.source}: no anchor &${last.source} before it`, 'BAD_ALIAS');
  if (aliases.length > MAX_YAML_ALIASES) return at(last, `too many aliases: more than ${MAX_YAML_ALIASES} in one file`);
  const first = aliases[0]!;
  try {
    // The library's own guard bounds the expansion; the values are thrown away.
    doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_EXPANSION });
  } catch (err) {
    if (/excessive alias count/i.test((err as Error).message))
      return at(first, `too many aliases: expanded, they pass the limit of ${MAX_YAML_ALIAS_EXPANSION} (an alias bomb?)`);
    // Anything else toJS dislikes is not an alias problem; the tree is what rules read.
  }
  return null;
}

/** A `yaml` error as a ParseError: the first line, without the position the finding already names. */
function yamlParseError(error: { message: string; linePos?: { line: number; col: number }[] }): ParseError {
  const pos = error.linePos?.[0];
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '') || 'invalid YAML';
  return new ParseError(message, pos?.line ?? 1, pos?.col);
}
