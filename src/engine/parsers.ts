// The one place that maps a file to its kind and its parser. Tests, the
// fixture harness and the CLI all come through here, so a TypeScript file can
// never be parsed as JavaScript and silently match nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import jscodeshift, { type Collection, type JSCodeshift } from 'jscodeshift';
import { parseDocument, type Document } from 'yaml';
import { parseDockerfile, type DockerfileTree } from './dockerfile.js';
import { parseShell, ShellSyntaxError, type ShellTree } from './shell.js';
import type { CodeParser, FileKind } from './types.js';

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
  | { kind: 'compose' | 'workflow'; doc: Document };

const require = createRequire(import.meta.url);
const getParser = require('jscodeshift/src/getParser.js') as (name: CodeParser) => { parse(text: string): unknown };

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
    getParser(parser).parse(text);
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
    case 'dockerfile':
      return { kind, tree: parseDockerfile(text) };
    case 'shell':
      try {
        return { kind, tree: parseShell(text, file) };
      } catch (err) {
        if (err instanceof ShellSyntaxError) throw new ParseError(err.message, err.line);
        throw err;
      }
    case 'compose':
    case 'workflow': {
      const doc = parseDocument(text, { keepSourceTokens: true });
      const first = doc.errors[0];
      if (first) throw new ParseError(first.message.split('\n')[0] ?? 'invalid YAML', first.linePos?.[0]?.line ?? 1);
      return { kind, doc };
    }
  }
}
