// Package-manager calls in a runtime script, sorted by what can be done about
// them: `prisma generate` is a build step and can simply go; `npm start` and
// friends can become the plain `node …` command their package.json script
// runs; anything else (installs, migrations, other tools) needs a person.
import { parseShell, PACKAGE_MANAGERS, stripWrappers } from '../../../src/engine/shell.js';

export type RuntimePm =
  | { kind: 'prisma-generate' }
  /** `command` is the plain node command the script runs, e.g. `node dist/main.js`. */
  | { kind: 'start'; script: string; command: string }
  | { kind: 'manual'; why: string };

const MANAGERS = new Set<string>(PACKAGE_MANAGERS);
/** Subcommands that run a package's binary rather than a script. */
const RUNNERS = new Set(['exec', 'dlx', 'x']);
const INSTALLS = new Set(['install', 'i', 'ci', 'add', 'enable', 'prepare']);

function isPrisma(word: string | undefined): boolean {
  return word === 'prisma' || !!word?.endsWith('node_modules/.bin/prisma');
}

/** `npx prisma generate`, `pnpm exec prisma generate --schema=…`, `./node_modules/.bin/prisma generate`, … */
function isPrismaGenerate(words: string[]): boolean {
  let i = MANAGERS.has(words[0] ?? '') ? 1 : 0;
  while (i < words.length && (words[i]!.startsWith('-') || RUNNERS.has(words[i]!))) i++;
  return isPrisma(words[i]) && words[i + 1] === 'generate';
}

/** The package.json script a command runs: `npm start`, `npm run x`, `pnpm x`, `yarn run x`. */
function scriptName(words: string[], scripts: Record<string, unknown>): { name: string; extra: string[] } | null {
  const [pm, sub, ...rest] = words;
  if (sub === undefined) return null;
  if (sub === 'start') return { name: 'start', extra: rest };
  if (sub === 'run' || sub === 'run-script') return rest[0] ? { name: rest[0], extra: rest.slice(1) } : null;
  if ((pm === 'pnpm' || pm === 'yarn') && sub in scripts) return { name: sub, extra: rest };
  return null;
}

/** A package.json script that is exactly one simple command: its words and text, or null. */
function singleCommand(script: string): { args: string[]; text: string } | null {
  try {
    const tree = parseShell(script.trim());
    const cmd = tree.commands[0];
    const stmt = tree.statements[0];
    if (tree.statements.length !== 1 || tree.commands.length !== 1 || !cmd || !stmt) return null;
    return cmd.start === stmt.start && cmd.end === stmt.end ? { args: cmd.args, text: tree.text } : null;
  } catch {
    return null;
  }
}

function manualHint(words: string[]): string {
  const sub = words[1] ?? '';
  if (INSTALLS.has(sub)) return 'install dependencies in the Dockerfile build stage and copy node_modules into the runtime stage';
  if (words.some(isPrisma) && words.includes('migrate'))
    return 'run migrations as a one-off task (ECS run-task, Kubernetes Job, a compose service), or with ./node_modules/.bin/prisma if the image keeps the prisma CLI';
  return 'call the tool through ./node_modules/.bin or node, or move it to the Dockerfile build stage';
}

/** Classifies a command's words, or null when it runs no package manager. */
export function runtimePackageManager(args: string[], manifest: Record<string, unknown> | null): RuntimePm | null {
  const words = stripWrappers(args);
  const head = words[0] ?? '';
  if (!MANAGERS.has(head) && !isPrisma(head)) return null;
  if (isPrismaGenerate(words)) return { kind: 'prisma-generate' };
  if (!MANAGERS.has(head)) return null;
  const scripts = (manifest?.scripts ?? {}) as Record<string, unknown>;
  const run = scriptName(words, scripts);
  if (!run) return { kind: 'manual', why: manualHint(words) };
  const body = scripts[run.name];
  if (typeof body !== 'string') return { kind: 'manual', why: `package.json has no "${run.name}" script shipshape can read; run its node command directly` };
  if (run.extra.length > 0 || `pre${run.name}` in scripts || `post${run.name}` in scripts)
    return { kind: 'manual', why: `"${run.name}" takes extra arguments or has pre/post scripts; run its node command directly` };
  const single = singleCommand(body);
  if (single && isPrismaGenerate(single.args)) return { kind: 'prisma-generate' };
  return single?.args[0] === 'node' && single.text.startsWith('node ')
    ? { kind: 'start', script: run.name, command: single.text }
    : { kind: 'manual', why: `the "${run.name}" script (${body}) is not a single node command; run the server with node directly` };
}
