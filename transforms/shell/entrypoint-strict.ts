// entrypoint-strict: an entrypoint script runs between `docker run` and the
// server, and three habits there break containers. Without `set -eu` a failed
// step or an unset variable lets the script carry on and start a
// half-configured server. Without `exec` on the last command the shell stays
// PID 1 and `docker stop`'s SIGTERM never reaches node, which is killed after
// the grace period mid-request. And a package manager at runtime (`npx prisma
// generate`, `npm start`) needs tools a slim runtime image does not have: the
// audits' "pnpm: not found" crash loop. The fixes are text edits at the ranges
// of src/engine/shell.ts's parse; untouched bytes stay identical.
import path from 'node:path';
import { parseDockerfile } from '../../src/engine/dockerfile.js';
import { PACKAGE_MANAGERS, type ShellCommand, type ShellTree } from '../../src/engine/shell.js';
import type { Report, ShellContext, TextEdit, Transform } from '../../src/engine/types.js';
import { scriptFacts } from './lib/script-facts.js';
import { runtimePackageManager, type RuntimePm } from './lib/runtime-pm.js';

const NOT_STRICT = 'entrypoint-not-strict';
const NO_EXEC = 'entrypoint-no-exec';
const PM = 'package-manager-at-runtime';

/** Builtins and helpers that cannot be the long-lived server process. */
const NOT_A_SERVER = new Set(['echo', 'printf', 'wait', 'exit', 'true', 'false', ':', 'set', 'export', 'cd', 'sleep', 'trap', 'return', 'shift', 'unset', 'read', 'test', '[', 'source', '.', 'eval', 'cat', 'ls']);
/** Words that may stand before the server command and are copied as they are. */
const LAUNCHERS = new Set(['exec', 'dumb-init', '/usr/bin/dumb-init', 'tini', '/sbin/tini', '--']);

/** A finding with the edit that fixes it; `edit: null` means a person has to (the message says why). */
interface Match {
  rule: string;
  line: number;
  message: string;
  edit: TextEdit | null;
}

/** Scripts the image runs at startup: named *entrypoint*, or named by the service's ENTRYPOINT/CMD. */
function isEntrypoint(ctx: ShellContext): boolean {
  const base = path.posix.basename(ctx.path);
  return /entrypoint/i.test(base) || !!ctx.service?.entrypoint?.includes(base);
}

/** The statement's own command when it is one simple command, else null. */
function simpleCommand(tree: ShellTree, stmt: ShellTree['statements'][number]): ShellCommand | null {
  const cmds = tree.commands.filter((c) => c.stmtStart === stmt.start);
  const cmd = cmds[0];
  return cmds.length === 1 && cmd && cmd.start === stmt.start && !tree.text.slice(stmt.start, stmt.end).trimEnd().match(/[^&]&$/) ? cmd : null;
}

/** True when the command text starts with its first word: no `X=1` prefix, no quoted command name. */
function startsWithWord(text: string, cmd: ShellCommand): boolean {
  return text.startsWith(`${cmd.args[0]}`, cmd.start) && /[\s;]|$/.test(text.charAt(cmd.start + cmd.args[0]!.length));
}

// ---- set -eu ---------------------------------------------------------------

interface Strictness {
  errexit: boolean;
  nounset: boolean;
}

function topLevelSets(tree: ShellTree): ShellCommand[] {
  return tree.statements.map((s) => simpleCommand(tree, s)).filter((c): c is ShellCommand => c?.args[0] === 'set');
}

function strictnessOf(sets: ShellCommand[]): Strictness {
  const state = { errexit: false, nounset: false };
  for (const cmd of sets) {
    const args = cmd.args.slice(1);
    for (let i = 0; i < args.length; i++) {
      const word = args[i]!;
      if (word === '--') break;
      const on = word.startsWith('-');
      if (word === '-o' || word === '+o') {
        const name = args[++i];
        if (name === 'errexit') state.errexit = on;
        if (name === 'nounset') state.nounset = on;
      } else if (/^[-+][a-zA-Z]+$/.test(word)) {
        if (word.includes('e')) state.errexit = on;
        if (word.includes('u')) state.nounset = on;
      }
    }
  }
  return state;
}

/** Adds the missing letters to a short-flag word: `-e` → `-eu`, `-ex` → `-eux`, `-u` → `-eu`, `-x` → `-eux`. */
function withFlags(word: string, s: Strictness): string {
  let w = word;
  if (!s.nounset) w = w.includes('e') ? w.replace('e', 'eu') : w;
  if (!s.errexit) w = w.includes('u') ? w.replace('u', 'eu') : w;
  if (!s.errexit && !s.nounset && w === word) w = `-eu${word.slice(1)}`;
  return w;
}

/** Offset of `word` as a whole word inside the command's text. */
function wordOffset(text: string, cmd: ShellCommand, word: string): number {
  let at = text.indexOf(word, cmd.start);
  while (at !== -1 && at < cmd.end) {
    if (/\s/.test(text.charAt(at - 1)) && /\s|;|$/.test(text.charAt(at + word.length))) return at;
    at = text.indexOf(word, at + 1);
  }
  return -1;
}

function strictEdit(text: string, sets: ShellCommand[], s: Strictness): TextEdit {
  for (const cmd of sets) {
    const word = cmd.args.slice(1).find((w) => /^-[a-zA-Z]+$/.test(w) && w !== '-o');
    const at = word ? wordOffset(text, cmd, word) : -1;
    if (word && at !== -1) return { start: at, end: at + word.length, text: withFlags(word, s) };
  }
  // Only `set -o name` forms: extend the one that already sets errexit/nounset.
  const target = sets.find((c) => c.args.includes('errexit') || c.args.includes('nounset')) ?? sets[sets.length - 1];
  if (target) {
    const add = `${s.errexit ? '' : ' -o errexit'}${s.nounset ? '' : ' -o nounset'}`;
    return { start: target.end, end: target.end, text: add };
  }
  const afterShebang = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
  const needsBreak = afterShebang > 0 && afterShebang === text.length && !text.endsWith('\n');
  return { start: afterShebang, end: afterShebang, text: needsBreak ? '\nset -eu\n' : 'set -eu\n' };
}

/** Variables the image's Dockerfile sets with ENV (final stage): safe under `set -u`. */
function imageEnv(ctx: ShellContext): string[] {
  const file = ctx.service?.dockerfile;
  const text = file ? ctx.workspace.read(file) : undefined;
  if (!text) return [];
  const final = parseDockerfile(text).final;
  const names: string[] = [];
  for (const i of final?.instructions ?? []) {
    if (i.keyword !== 'ENV') continue;
    const pairs = [...i.args.matchAll(/(?:^|\s)([A-Za-z_]\w*)=/g)].map((m) => m[1]!);
    names.push(...(pairs.length > 0 ? pairs : [/^([A-Za-z_]\w*)/.exec(i.args.trim())?.[1] ?? '']));
  }
  return names.filter(Boolean);
}

function strictness(ctx: ShellContext): Match[] {
  const sets = topLevelSets(ctx.tree);
  const s = strictnessOf(sets);
  if (s.errexit && s.nounset) return [];
  const line = sets[0]?.line ?? 1;
  const current = sets.length > 0 ? `\`${ctx.text.slice(sets[0]!.start, sets[0]!.end)}\` is not strict` : 'no `set -eu`';
  const why = !s.nounset ? 'an unset variable expands to empty and the script carries on' : 'a failing step is ignored and the server starts anyway';
  if (!s.nounset) {
    const risky = scriptFacts(ctx.tree, imageEnv(ctx)).unsetReads;
    if (risky.length > 0) {
      const names = risky.map((n) => `$${n}`).join(', ');
      return [{ rule: NOT_STRICT, line, edit: null, message: `manual: ${current}, but adding -u would make ${names} fatal when unset; give them defaults (\${NAME:-}) or check them first, then use \`set -eu\`` }];
    }
  }
  return [{ rule: NOT_STRICT, line, edit: strictEdit(ctx.text, sets, s), message: `${current}: ${why}; use \`set -eu\`` }];
}

// ---- package managers and exec ----------------------------------------------

/** True when nothing else shares the statement's lines (a trailing comment may). */
function ownLines(text: string, stmt: { start: number; end: number }): boolean {
  const lineStart = text.lastIndexOf('\n', stmt.start - 1) + 1;
  const lineEnd = text.indexOf('\n', stmt.end) === -1 ? text.length : text.indexOf('\n', stmt.end);
  const rest = text.slice(stmt.end, lineEnd).trim();
  return text.slice(lineStart, stmt.start).trim() === '' && (rest === '' || rest.startsWith('#'));
}

function oneLine(source: string): string {
  return source.replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
}

/** One package-manager command: removed (prisma generate), replaced by its node command (the last line), or manual. */
function packageManagerMatch(ctx: ShellContext, cmd: ShellCommand, pm: RuntimePm): Match[] {
  const { tree, text } = ctx;
  const stmt = tree.statements.find((s) => s.start === cmd.stmtStart)!;
  const last = stmt === tree.statements[tree.statements.length - 1];
  const shown = oneLine(text.slice(cmd.start, cmd.end));
  const message = `runs \`${shown}\` when the container starts: a runtime image should carry no package manager (the "pnpm: not found" crash loop)`;
  const manual = (why: string): Match[] => [{ rule: PM, line: cmd.line, edit: null, message: `manual: ${message}; ${why}` }];
  if (pm.kind === 'manual') return manual(pm.why);
  if (simpleCommand(tree, stmt) !== cmd) return manual('it sits inside a compound command (if, &&, a pipeline, a function); move it out or to the Dockerfile build stage');
  if (pm.kind === 'prisma-generate') {
    if (last || !ownLines(text, stmt)) return manual('shipshape only removes it when it is a line of its own before the server starts');
    const comment = `# shipshape: removed \`${shown}\`: the Prisma client is generated in the Dockerfile build stage; no package manager at runtime`;
    return [{ rule: PM, line: cmd.line, edit: { start: stmt.start, end: stmt.end, text: comment }, message: `${message}; the Prisma client is generated at build time, in the Dockerfile build stage` }];
  }
  if (!last) return manual(`"${pm.script}" starts the server before the script ends; make \`exec ${pm.command}\` the last line`);
  // The last line: `[exec] [dumb-init|tini --] npm start` becomes `exec [dumb-init|tini --] node …`.
  const at = cmd.args.findIndex((a) => !LAUNCHERS.has(a));
  if (!startsWithWord(text, cmd) || !PACKAGE_MANAGERS.includes(cmd.args[at] as never)) return manual(`replace it with \`exec ${pm.command}\``);
  const words = ['exec', ...cmd.args.slice(0, at).filter((w) => w !== 'exec'), pm.command];
  const edit = { start: cmd.start, end: cmd.end, text: words.join(' ') };
  const replaced: Match = { rule: PM, line: cmd.line, edit, message: `${message}; run the "${pm.script}" script's command, \`${pm.command}\`, directly` };
  return cmd.args[0] === 'exec' ? [replaced] : [replaced, noExec(cmd, text, edit)];
}

function packageManagerAndExec(ctx: ShellContext): Match[] {
  const manifest = ctx.service?.manifest ?? null;
  const out: Match[] = [];
  for (const cmd of ctx.tree.commands) {
    const pm = runtimePackageManager(cmd.args, manifest);
    if (pm) out.push(...packageManagerMatch(ctx, cmd, pm));
  }
  const lastStmt = ctx.tree.statements[ctx.tree.statements.length - 1];
  // The start-script replacement already execs the last line.
  const execDone = out.some((m) => m.rule === NO_EXEC);
  if (lastStmt && !execDone) out.push(...execLast(ctx, lastStmt));
  return out;
}

function noExec(cmd: ShellCommand, text: string, edit: TextEdit | null, why?: string): Match {
  const shown = oneLine(text.slice(cmd.start, cmd.end));
  const base = `the last command \`${shown}\` does not replace the shell (no exec): the shell stays PID 1 and SIGTERM from docker stop never reaches the server`;
  return { rule: NO_EXEC, line: cmd.line, edit, message: why ? `manual: ${base}; ${why}` : `${base}; start it with exec` };
}

function execLast(ctx: ShellContext, stmt: ShellTree['statements'][number]): Match[] {
  const { tree, text } = ctx;
  const cmd = simpleCommand(tree, stmt);
  if (!cmd)
    return [
      {
        rule: NO_EXEC,
        line: stmt.line,
        edit: null,
        message: `manual: the script ends with a compound or background command (\`${oneLine(text.slice(stmt.start, stmt.end)).slice(0, 60)}\`), not \`exec\` of the server; make \`exec <server command>\` the last line`,
      },
    ];
  const head = cmd.args[0]!;
  if (head === 'exec') return [];
  if (NOT_A_SERVER.has(head)) return [noExec(cmd, text, null, `\`${head}\` cannot be the server; make \`exec <server command>\` the last line`)];
  const fn = scriptFacts(tree).functions.get(head);
  if (fn === true) return []; // the function execs the server itself
  if (fn === false) return [noExec(cmd, text, null, `\`${head}\` is a shell function, which exec cannot run; exec the server inside it`)];
  if (!startsWithWord(text, cmd)) return [noExec(cmd, text, null, 'it sets variables inline or quotes the command name; export the variables, then exec the command')];
  return [noExec(cmd, text, { start: cmd.start, end: cmd.start, text: 'exec ' })];
}

function matches(ctx: ShellContext): Match[] {
  if (!isEntrypoint(ctx)) return [];
  return [...strictness(ctx), ...packageManagerAndExec(ctx)];
}

export const transform: Transform<'shell'> = {
  id: 'entrypoint-strict',
  kind: 'shell',
  description: 'entrypoint scripts: set -eu, no package manager at runtime, exec the server',
  rules: {
    [NOT_STRICT]: {
      id: NOT_STRICT,
      severity: 'info',
      description: 'entrypoint script without `set -eu`',
      rationale: 'Without -e a failed step is ignored; without -u a misspelt or missing variable becomes an empty string; either way a half-configured server starts.',
      fixedBy: 'entrypoint-strict',
    },
    [NO_EXEC]: {
      id: NO_EXEC,
      severity: 'risky',
      description: "entrypoint's last command is not `exec`, so signals miss node",
      rationale: 'The shell stays PID 1 and does not forward SIGTERM; node never shuts down gracefully and is SIGKILLed after the grace period, dropping in-flight work.',
      fixedBy: 'entrypoint-strict',
    },
    [PM]: {
      id: PM,
      severity: 'blocking',
      description: 'final stage CMD/ENTRYPOINT/entrypoint script runs pnpm/npm/npx/yarn or `prisma generate`',
      rationale: 'Slim runtime images have no package manager (or no network): the container crash-loops with "pnpm: not found", or generates code at every start.',
      fixedBy: 'entrypoint-strict',
    },
  },
  detect(ctx): Report[] {
    return matches(ctx).map((m) => ({ rule: m.rule, line: m.line, message: m.message, ...(m.edit ? {} : { fixable: false }) }));
  },
  fix(ctx) {
    const seen = new Set<string>();
    const edits: TextEdit[] = [];
    for (const m of matches(ctx)) {
      if (!m.edit || ctx.suppressed(m.rule, m.line)) continue;
      const key = `${m.edit.start}:${m.edit.end}:${m.edit.text}`;
      if (!seen.has(key)) edits.push(m.edit);
      seen.add(key);
    }
    return edits;
  },
};
