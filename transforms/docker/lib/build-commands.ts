// Shell commands of Dockerfile instructions, located in the file. The shell
// itself is parsed once by the engine (tree.shellOf, mvdan-sh); this module
// adds file offsets and the classifications the build fixers share: which
// command installs dependencies, which one installs or pins pnpm, which one
// calls a package manager at all.
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
import { fileOffset } from './build-text.js';

export type PackageManager = 'pnpm' | 'npm' | 'yarn';

export interface RunCommand {
  instr: DockerInstruction;
  /** Word values as the shell sees them. */
  args: string[];
  /** Offsets of the command in the file text. */
  start: number;
  end: number;
  /** The command as written (in the folded arguments). */
  source: string;
  /** True when the command can be re-emitted from `args` without changing meaning (no expansions). */
  literal: boolean;
}

/** Commands of a shell-form RUN/CMD/ENTRYPOINT; empty for exec form or unparsable shell. */
export function commandsOf(tree: DockerfileTree, instr: DockerInstruction): RunCommand[] {
  const shell = tree.shellOf(instr);
  if (!shell) return [];
  return shell.commands.map((c) => {
    const source = shell.text.slice(c.start, c.end);
    return {
      instr,
      args: c.args,
      start: fileOffset(tree.text, instr, c.start, 'start'),
      end: fileOffset(tree.text, instr, c.end, 'end'),
      source,
      literal: !/[$`]/.test(source),
    };
  });
}

/** Every command of every RUN in the given instructions, in file order. */
export function runCommands(tree: DockerfileTree, instrs: DockerInstruction[]): RunCommand[] {
  return instrs.filter((i) => i.keyword === 'RUN').flatMap((i) => commandsOf(tree, i));
}

const isFlag = (w: string) => w.startsWith('-');

export interface InstallCommand {
  pm: PackageManager;
  /** `install`, `i`, `ci` or '' for bare `yarn`. */
  sub: string;
  /** The words after the sub-command. */
  rest: string[];
  frozen: boolean;
  cmd: RunCommand;
}

/**
 * A project install: `pnpm install|i`, `npm install|i|ci`, `yarn [install]`.
 * Global installs and installs of named packages (`npm i -g pnpm`,
 * `pnpm add x`) are not project installs.
 */
export function installOf(cmd: RunCommand): InstallCommand | null {
  const [pm, sub = '', ...rest] = cmd.args;
  if (pm !== 'pnpm' && pm !== 'npm' && pm !== 'yarn') return null;
  const bareYarn = pm === 'yarn' && (sub === '' || isFlag(sub));
  if (!bareYarn && !(pm === 'npm' ? ['install', 'i', 'ci'] : ['install', 'i']).includes(sub)) return null;
  const words = bareYarn ? cmd.args.slice(1) : rest;
  if (words.some((w) => w === '-g' || w === '--global' || w === '--location=global')) return null;
  if (words.some((w, i) => !isFlag(w) && !isFlagValue(words, i))) return null;
  const frozen =
    pm === 'npm'
      ? sub === 'ci'
      : words.includes('--frozen-lockfile') || words.includes('--frozen-lockfile=true') || words.includes('--immutable');
  return { pm, sub: bareYarn ? '' : sub, rest: words, frozen, cmd };
}

/** Install flags that take a separate value word (`--filter x`, `--omit dev`). */
const VALUE_FLAGS = new Set(['--filter', '-F', '--dir', '-C', '--store-dir', '--reporter', '--omit', '--only', '--workspace', '-w', '--cache-folder']);

function isFlagValue(words: string[], i: number): boolean {
  return VALUE_FLAGS.has(words[i - 1] ?? '');
}

/** How a command installs or pins pnpm, if it does. */
export type PnpmSetup =
  | { kind: 'npm-global'; version: string | null; alone: boolean; cmd: RunCommand }
  | { kind: 'corepack-prepare'; version: string | null; activate: boolean; cmd: RunCommand }
  | { kind: 'corepack-enable'; cmd: RunCommand }
  | { kind: 'other'; version: string | null; cmd: RunCommand }
  /** `curl -fsSL https://get.pnpm.io/install.sh | sh -`: whatever version the script picks. */
  | { kind: 'script'; cmd: RunCommand };

function pnpmSpec(words: string[]): { found: boolean; version: string | null } {
  for (const w of words) {
    if (w === 'pnpm') return { found: true, version: null };
    const m = /^pnpm@(.+)$/.exec(w);
    if (m) return { found: true, version: m[1]!.split('+')[0]! };
  }
  return { found: false, version: null };
}

export function pnpmSetupOf(cmd: RunCommand): PnpmSetup | null {
  const [head, sub, ...rest] = cmd.args;
  if (head === 'npm' && (sub === 'install' || sub === 'i' || sub === 'add') && rest.some((w) => w === '-g' || w === '--global' || w === '--location=global')) {
    const spec = pnpmSpec(rest);
    if (!spec.found) return null;
    return { kind: 'npm-global', version: spec.version, alone: rest.filter((w) => !isFlag(w)).length === 1, cmd };
  }
  if (head === 'corepack') {
    if (sub === 'enable') return { kind: 'corepack-enable', cmd };
    if (sub === 'prepare' || sub === 'install' || sub === 'use') {
      const spec = pnpmSpec(rest);
      if (!spec.found) return null;
      return { kind: 'corepack-prepare', version: spec.version, activate: sub !== 'prepare' || rest.includes('--activate'), cmd };
    }
    return null;
  }
  if ((head === 'curl' || head === 'wget') && cmd.args.some((w) => w.includes('get.pnpm.io'))) return { kind: 'script', cmd };
  if ((head === 'yarn' && sub === 'global' && rest[0] === 'add') || (head === 'pnpm' && (sub === 'add' || sub === 'install' || sub === 'i') && rest.includes('-g'))) {
    const spec = pnpmSpec(head === 'yarn' ? rest.slice(1) : rest);
    return spec.found ? { kind: 'other', version: spec.version, cmd } : null;
  }
  return null;
}

/** True when the command runs pnpm itself (`pnpm install`, `pnpm build`, `pnpx`). */
export function runsPnpm(cmd: RunCommand): boolean {
  return cmd.args[0] === 'pnpm' || cmd.args[0] === 'pnpx';
}

/** `prisma generate`, however it is invoked (npx, pnpm exec, yarn, the bin itself). */
export function isPrismaGenerate(args: string[]): boolean {
  const i = args.findIndex((w) => w === 'prisma' || w.endsWith('/prisma') || w.startsWith('prisma@'));
  if (i < 0 || args[i + 1] !== 'generate') return false;
  const lead = args.slice(0, i);
  const pmLead = lead.every((w) => ['npx', 'pnpm', 'pnpx', 'yarn', 'npm', 'exec', 'dlx', '--yes', '-y', '--no-install'].includes(w));
  return pmLead;
}
