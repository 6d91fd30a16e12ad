// What a container runs at start: the program behind CMD/ENTRYPOINT with the
// package manager taken out. `pnpm start` / `npm start` / `yarn start` resolve
// through the service's package.json scripts to the plain `node <file>` they
// run; `npx prisma generate && node dist/main.js` splits into a build-time
// command and the program. Anything less plain is left to a human.
import path from 'node:path';
import { parseShell, type ShellTree } from '../../../src/engine/shell.js';
import { isPrismaGenerate } from './build-commands.js';

export interface Program {
  /** The argv to exec, package manager removed; null when not resolvable. */
  argv: string[] | null;
  /** True when the original runs a package manager (or prisma generate) at start. */
  pm: boolean;
  /** What the original runs, for messages (`pnpm start`). */
  via: string;
  /** Commands that belong in the build stage (`npx prisma generate`). */
  buildRuns: string[];
  /** Why it cannot be rewritten, when argv is null. */
  manual: string | null;
}

const PM_HEADS = new Set(['pnpm', 'npm', 'npx', 'yarn', 'pnpx', 'corepack']);
const SHELLS = new Set(['sh', '/bin/sh', 'bash', '/bin/bash']);
/** pnpm/yarn sub-commands that are not script names. */
const PM_BUILTINS = new Set(['exec', 'dlx', 'install', 'i', 'add', 'remove', 'run', 'run-script', 'test', 'x', 'node', 'create', 'why', 'list', 'ls']);
const UNSAFE = /[$`*?[\]]/;

export const isInit = (w: string | undefined) => !!w && ['dumb-init', 'tini', 'tini-static'].includes(path.posix.basename(w));

/** Leading init words of an argv (`dumb-init`, `tini --`, `/usr/bin/dumb-init --`). */
export function initPrefix(argv: string[]): string[] {
  if (!isInit(argv[0])) return [];
  return argv[1] === '--' ? argv.slice(0, 2) : argv.slice(0, 1);
}

const isNode = (w: string | undefined) => w === 'node' || !!w?.endsWith('/node');

/** True for programs that need an init as PID 1: node, or a script that will exec node. */
export function nodeish(argv: string[]): boolean {
  const head = argv[0] ?? '';
  return isNode(head) || PM_HEADS.has(head) || head.endsWith('.sh') || head.endsWith('.js') || head.endsWith('.mjs') || head.endsWith('.cjs');
}

/** The words of a plain `node <args>` script, or null (env prefixes, expansions, chains, redirects). */
export function plainNode(script: string): string[] | null {
  let tree: ShellTree;
  try {
    tree = parseShell(script, 'package.json script');
  } catch {
    return null;
  }
  const [cmd] = tree.commands;
  const [stmt] = tree.statements;
  if (!cmd || !stmt || tree.commands.length !== 1 || tree.statements.length !== 1) return null;
  if (stmt.start !== cmd.start || stmt.end !== cmd.end || UNSAFE.test(script)) return null;
  const argv = cmd.args[0] === 'exec' ? cmd.args.slice(1) : cmd.args;
  return isNode(argv[0]) ? argv : null;
}

export interface ScriptSource {
  /** Repo-relative folder of the package.json whose scripts `npm start` runs. */
  dir: string;
  read(rel: string): string | undefined;
  exists(rel: string): boolean;
}

function scriptOf(src: ScriptSource, name: string): { text: string | null; where: string } {
  const where = path.posix.join(src.dir, 'package.json');
  const raw = src.read(where);
  if (raw === undefined) return { text: null, where };
  try {
    const scripts = (JSON.parse(raw) as { scripts?: Record<string, unknown> }).scripts ?? {};
    const text = scripts[name];
    return { text: typeof text === 'string' ? text : null, where };
  } catch {
    return { text: null, where };
  }
}

/** The script name a package-manager call runs (`npm start`, `pnpm run x`, `yarn x`), or null. */
function scriptName(words: string[]): string | null {
  const [pm, sub, arg, ...rest] = words;
  if (pm === 'npm') {
    if (sub === 'start' && arg === undefined) return 'start';
    if ((sub === 'run' || sub === 'run-script') && arg && !arg.startsWith('-') && rest.length === 0) return arg;
    return null;
  }
  if (pm === 'pnpm' || pm === 'yarn') {
    if (sub === 'run' && arg && !arg.startsWith('-') && rest.length === 0) return arg;
    if (sub && !sub.startsWith('-') && !PM_BUILTINS.has(sub) && arg === undefined) return sub;
  }
  return null;
}

function resolvePm(words: string[], src: ScriptSource): Program {
  const via = words.join(' ');
  const base = { pm: true, via, buildRuns: [] as string[] };
  const name = scriptName(words);
  if (name === null) {
    const bin = words[0] === 'npx' || words[0] === 'pnpx' ? words.find((w, i) => i > 0 && !w.startsWith('-')) : words[0] === 'pnpm' && words[1] === 'exec' ? words[2] : null;
    if (bin === 'prisma') return { ...base, argv: null, manual: `\`${via}\` runs the Prisma CLI at start (migrations belong in a one-off task or an entrypoint that calls node_modules/.bin/prisma)` };
    if (bin) return { ...base, argv: null, manual: `\`${via}\` downloads or resolves ${bin} at start: compile at build time and run the output with node` };
    return { ...base, argv: null, manual: `\`${via}\` is not a plain script call shipshape can resolve` };
  }
  const script = scriptOf(src, name);
  // npm and pnpm run `node server.js` when there is no start script and server.js exists.
  const fallback = name === 'start' && words[0] !== 'yarn' && src.exists(path.posix.join(src.dir, 'server.js'));
  if (script.text === null && fallback) return { ...base, argv: ['node', 'server.js'], manual: null };
  if (script.text === null) return { ...base, argv: null, manual: `${script.where} has no "${name}" script to resolve \`${via}\`` };
  const argv = plainNode(script.text);
  if (!argv) return { ...base, argv: null, manual: `the "${name}" script in ${script.where} (\`${script.text}\`) is not a plain \`node <file>\`: write the exec-form command by hand` };
  return { ...base, argv, manual: null };
}

/** An exec-form argv (init words already removed). */
export function programOfArgv(words: string[], src: ScriptSource): Program {
  const head = words[0] ?? '';
  if (SHELLS.has(head) && words[1] === '-c' && words.length === 3) return programOfShell(words[2]!, src);
  if (PM_HEADS.has(head)) return resolvePm(words, src);
  return { argv: words, pm: false, via: words.join(' '), buildRuns: [], manual: null };
}

/** A shell-form command line (or the string of `sh -c`). */
export function programOfShell(source: string, src: ScriptSource, tree?: ShellTree | null): Program {
  let shell: ShellTree | null | undefined = tree;
  if (shell === undefined) {
    try {
      shell = parseShell(source, 'CMD');
    } catch {
      shell = null;
    }
  }
  const via = source.trim();
  const runsPm = !!shell?.commands.some((c) => PM_HEADS.has(c.args[0] === 'exec' ? (c.args[1] ?? '') : (c.args[0] ?? '')) || isPrismaGenerate(c.args));
  const manual = (why: string): Program => ({ argv: null, pm: runsPm, via, buildRuns: [], manual: why });
  if (!shell) return manual('the command does not parse as shell');
  const [stmt] = shell.statements;
  const cmds = shell.commands;
  const last = cmds[cmds.length - 1];
  if (!stmt || !last || shell.statements.length !== 1) return manual('it runs several shell statements');
  if (UNSAFE.test(shell.text)) return manual('it uses shell expansions, which exec form does not perform');
  if (stmt.start !== cmds[0]!.start || stmt.end !== last.end) return manual('it uses redirections or variable assignments');
  for (let i = 1; i < cmds.length; i++) if (shell.text.slice(cmds[i - 1]!.end, cmds[i]!.start).trim() !== '&&') return manual('it chains commands with more than `&&`');
  const before = cmds.slice(0, -1);
  const notGenerate = before.find((c) => !isPrismaGenerate(c.args));
  if (notGenerate) return manual(`\`${shell.text.slice(notGenerate.start, notGenerate.end)}\` runs before the program at every start`);
  const words = last.args[0] === 'exec' ? last.args.slice(1) : last.args;
  const program = programOfArgv(words, src);
  return {
    ...program,
    pm: program.pm || before.length > 0,
    via,
    buildRuns: before.map((c) => shell.text.slice(c.start, c.end)),
  };
}
