// nginx configuration: where it is in a repo, and its directives with lines.
//
// Parsing is nginx-conf's (npm `nginx-conf`, MIT, no dependencies): a
// character-level tokenizer that knows quoting, comments, `${var}` and Lua
// blocks, and builds the directive tree. It does not record positions, so we
// ask the parser itself: the first word (or quoted string) it reads for a
// directive is that directive's name, and the parser's own read position at
// that moment is the name's offset. Wrapping its `readWord`/`readString` on
// the instance records that offset per tree node; nothing re-reads the text.
// Two things nginx rejects that nginx-conf accepts silently are turned into
// errors the same way: a `}` that closes a directive without its `;`, and a
// file that ends inside a block or a directive.
//
// Which files: `nginx.conf` anywhere; `nginx.*.conf` / `*.nginx.conf`
// (nginx.prod.conf, api.nginx.conf); and every `*.conf` or `*.conf.template`
// (the official image's envsubst templates) under a folder named `nginx`.
// Found by name, not content: a `.conf` elsewhere may be anything (supervisor,
// redis, fail2ban), and reading it as nginx would report parse errors on files
// that are fine. Paths in ALWAYS_IGNORED and `.gitignore` are never read.
import fs from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import ignore from 'ignore';
import { NginxParser } from 'nginx-conf';
import type { NginxParseTreeNode } from 'nginx-conf/dist/src/parser.js';
import { ALWAYS_IGNORED } from '../workspace/discover.js';

export const NGINX_GLOBS = ['**/nginx.conf', '**/nginx.*.conf', '**/*.nginx.conf', '**/nginx/**/*.conf', '**/nginx/**/*.conf.template'];

/** One directive: `server api-gateway:8080 max_fails=3;` is name `server`, args `['api-gateway:8080', 'max_fails=3']`. */
export interface Directive {
  name: string;
  args: string[];
  /** 1-based line of the directive's name. */
  line: number;
  /** The directives of its block; null for a simple directive. */
  block: Directive[] | null;
}

export type NginxParse = { ok: true; directives: Directive[] } | { ok: false; line: number; message: string };

/** Config files of the repo, relative to root, sorted. */
export function findNginxConfigs(root: string): string[] {
  const ig = ignore();
  try {
    ig.add(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'));
  } catch {
    // no .gitignore: nothing extra to honour
  }
  const found = fg.sync(NGINX_GLOBS, { cwd: root, ignore: ALWAYS_IGNORED, followSymbolicLinks: false, suppressErrors: true, dot: true, onlyFiles: true, deep: 8 });
  return [...new Set(found)].filter((p) => !ig.ignores(p)).sort();
}

/** The parser's state as its JavaScript has it (TypeScript marks these private). */
interface ParserInternals {
  index: number;
  context: NginxParseTreeNode | null;
  tree: NginxParseTreeNode | null;
  parseNext(): void;
  setError(message: string): void;
  readWord(): string;
  readString(): string;
}

class Lines {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line of an offset, by binary search over line starts. */
  at(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Splits a directive's value as nginx does: on whitespace outside quotes; quotes are removed. */
export function splitArgs(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === '\\' && i + 1 < value.length) cur += value[++i];
      else if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

export function parseNginx(text: string): NginxParse {
  const lines = new Lines(text);
  const parser = new NginxParser();
  const inner = parser as unknown as ParserInternals;
  const starts = new WeakMap<NginxParseTreeNode, number>();
  const note = (read: () => string) => () => {
    const ctx = inner.context;
    const at = inner.index;
    const word = read();
    const lead = word.length - word.trimStart().length;
    if (ctx && !ctx.name && !starts.has(ctx) && word.trim() !== '' && word.trim() !== '#') starts.set(ctx, at + lead);
    return word;
  };
  inner.readWord = note(NginxParser.prototype.readWord.bind(parser));
  inner.readString = note(NginxParser.prototype.readString.bind(parser));
  const parseNext = (inner.parseNext as () => void).bind(parser);
  inner.parseNext = () => {
    // nginx: `unexpected "}"` when a directive is still open; nginx-conf would drop it.
    if (text.charAt(inner.index) === '}' && inner.context?.name) inner.setError(`unexpected "}": directive "${inner.context.name}" has no ";"`);
    else if (text.charAt(inner.index) === '}' && inner.context?.parent === inner.tree) inner.setError('unexpected "}": no block is open');
    else parseNext();
  };

  let error: { line: number; message: string } | null = null;
  let tree: NginxParseTreeNode | undefined;
  try {
    parser.parse(text, (err, t) => {
      const e = err as unknown as { message: string; line?: number } | null;
      if (e) error = { line: e.line ?? lines.at(inner.index), message: e.message };
      tree = t;
    });
  } catch (err) {
    // A `}` with no block open: the parser walks above its root.
    error = { line: lines.at(Math.min(inner.index, text.length)), message: `unexpected "}" (${(err as Error).message})` };
  }
  if (error) return { ok: false, ...(error as { line: number; message: string }) };
  const ctx = inner.context;
  if (ctx && ctx.parent !== inner.tree) return { ok: false, line: lines.at(text.length), message: 'unexpected end of file, expecting "}"' };
  if (ctx?.name) return { ok: false, line: lines.at(starts.get(ctx) ?? text.length), message: `unexpected end of file: directive "${ctx.name}" has no ";"` };

  const convert = (node: NginxParseTreeNode): Directive => ({
    name: node.name,
    // A Lua block's body is code, not arguments.
    args: node.isVerbatim ? [] : splitArgs(node.value),
    line: lines.at(starts.get(node) ?? 0),
    block: node.isBlock && !node.isVerbatim ? (node.children ?? []).map(convert) : null,
  });
  return { ok: true, directives: (tree?.children ?? []).map(convert) };
}

/** Every directive of a tree, depth first, with the blocks it sits in (outermost first). */
export function* walk(directives: Directive[], parents: Directive[] = []): Generator<{ d: Directive; parents: Directive[] }> {
  for (const d of directives) {
    yield { d, parents };
    if (d.block) yield* walk(d.block, [...parents, d]);
  }
}
