// One shell parser for every place shell appears: entrypoint scripts,
// Dockerfile RUN lines, compose `command:`. mvdan-sh is shfmt's parser
// compiled to JS; this module hides its Go-flavoured API behind plain data.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// mvdan-sh ships CommonJS only, with no types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sh: any = require('mvdan-sh');

/** A simple command (`CallExpr`) with its words as far as they are static. */
export interface ShellCommand {
  /** Word values; a word with expansions keeps its source text (`$PORT`, `"$@"`). */
  args: string[];
  /** Offsets of the command in the parsed text. */
  start: number;
  end: number;
  /** 1-based line of the command in the parsed text. */
  line: number;
  /** Offsets of the enclosing top-level statement (covers `a && b`). */
  stmtStart: number;
  stmtEnd: number;
  /** True for a command that is part of a top-level list's last statement. */
  topLevel: boolean;
}

export interface ShellTree {
  text: string;
  commands: ShellCommand[];
  /** Top-level statements in order, by offsets. */
  statements: { start: number; end: number; line: number }[];
  /**
   * mvdan-sh's own File node, for rules that need more than commands
   * (parameter expansions, functions): walk it instead of parsing again.
   */
  ast: unknown;
}

export class ShellSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

function wordText(word: any, source: string, toIndex: (byte: number) => number): string {
  let out = '';
  for (const part of word.Parts) {
    const type = sh.syntax.NodeType(part);
    if (type === 'Lit') out += part.Value;
    else if (type === 'SglQuoted') out += part.Value;
    else if (type === 'DblQuoted' && part.Parts.every((p: any) => sh.syntax.NodeType(p) === 'Lit'))
      out += part.Parts.map((p: any) => p.Value).join('');
    else out += source.slice(toIndex(part.Pos().Offset()), toIndex(part.End().Offset()));
  }
  return out;
}

/** Parses POSIX/bash shell text; throws ShellSyntaxError with a 1-based line. */
// mvdan-sh is Go compiled to JS and slow; the same RUN line or healthcheck is
// met by several rules and again on every fix pass. Trees are read-only data,
// so one parse per distinct text serves them all (bounded, oldest dropped).
// (A failure is not kept: its message names the place it was met.)
const memo = new Map<string, ShellTree>();
const MEMO_LIMIT = 4096;

export function parseShell(text: string, name = 'script'): ShellTree {
  let hit = memo.get(text);
  if (hit === undefined) {
    hit = parseShellUncached(text, name);
    if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
    memo.set(text, hit);
  }
  return hit;
}

function parseShellUncached(text: string, name: string): ShellTree {
  let file: any;
  try {
    file = sh.syntax.NewParser(sh.syntax.KeepComments(true), sh.syntax.Variant(sh.syntax.LangBash)).Parse(text, name);
  } catch (err) {
    const e = err as { Pos?: { Line(): number }; Text?: string; message?: string };
    const line = typeof e.Pos?.Line === 'function' ? e.Pos.Line() : 1;
    throw new ShellSyntaxError(String(e.Text ?? e.message ?? err), line);
  }
  // mvdan-sh offsets are byte offsets; convert to string indices.
  const toIndex = byteToIndex(text);
  const statements = (file.Stmts as any[]).map((s) => ({
    start: toIndex(s.Pos().Offset()),
    end: toIndex(s.End().Offset()),
    line: s.Pos().Line(),
  }));
  const commands: ShellCommand[] = [];
  for (const stmt of file.Stmts as any[]) {
    sh.syntax.Walk(stmt, (node: any) => {
      if (!node) return true;
      if (sh.syntax.NodeType(node) === 'CallExpr' && node.Args.length > 0) {
        commands.push({
          args: (node.Args as any[]).map((w) => wordText(w, text, toIndex)),
          start: toIndex(node.Pos().Offset()),
          end: toIndex(node.End().Offset()),
          line: node.Pos().Line(),
          stmtStart: toIndex(stmt.Pos().Offset()),
          stmtEnd: toIndex(stmt.End().Offset()),
          topLevel: true,
        });
      }
      // Functions, subshells and command substitutions still count as
      // commands the script may run; callers decide what matters.
      return true;
    });
  }
  return { text, commands, statements, ast: file };
}

function byteToIndex(text: string): (byte: number) => number {
  // Fast path: ASCII text has identical byte and char offsets.
  if (/^[\x00-\x7f]*$/.test(text)) return (b) => b;
  const buf = Buffer.from(text, 'utf8');
  return (b) => buf.subarray(0, b).toString('utf8').length;
}

/** Package managers and commands that must not run in a runtime image. */
export const PACKAGE_MANAGERS = ['pnpm', 'npm', 'npx', 'yarn', 'corepack'] as const;

/** True when the command runs a package manager or `prisma generate`. */
export function runsPackageManager(cmd: ShellCommand): boolean {
  const words = stripWrappers(cmd.args);
  const head = words[0] ?? '';
  if ((PACKAGE_MANAGERS as readonly string[]).includes(head)) return true;
  return head === 'prisma' && words[1] === 'generate';
}

/** Drops `exec`, `dumb-init`, `tini --`, `env X=y` so callers see the real program. */
export function stripWrappers(args: string[]): string[] {
  let i = 0;
  for (;;) {
    const w = args[i];
    if (w === 'exec' || w === 'dumb-init' || w === '/usr/bin/dumb-init' || w === 'tini' || w === '/sbin/tini' || w === '--') i++;
    else if (w === 'env') {
      i++;
      while (args[i]?.includes('=')) i++;
    } else break;
  }
  return args.slice(i);
}
