// dockerfile-pin-pnpm: every stage that runs pnpm gets exactly the pnpm of the
// root package.json#packageManager. `npm install -g pnpm@latest` (or no version,
// or another version) builds with whatever pnpm is newest that day, which may
// read or write a different lockfile format than the repo's: builds that passed
// yesterday break, or worse, install something else. The pin is
// `corepack enable && corepack prepare pnpm@<v> --activate` where the base image
// ships corepack (Node <= 24) and `npm install -g pnpm@<v>` where it does not
// (Node >= 25). This module owns those activation lines; dockerfile-lockfile
// emits the same text (lib/build-pnpm.ts) so the two never rewrite each other.
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, TextEdit, Transform } from '../../src/engine/types.js';
import { pnpmSetupOf, runCommands, runsPnpm, type PnpmSetup, type RunCommand } from './lib/build-commands.js';
import { activationCommand, corepackMissing, expectedPnpm } from './lib/build-pnpm.js';
import { imageStage, isNodeImage, lineage } from './lib/build-stages.js';
import { dedupeEdits, insertLinesBefore, replaceArgs, shellWord } from './lib/build-text.js';

const RULE = 'unpinned-package-manager';
const SET_PACKAGE_MANAGER = 'set packageManager in the root package.json (e.g. "pnpm@9.12.3") so the image can pin it';

interface Match {
  line: number;
  message: string;
  /** null when the shape is recognised but left to a human (message starts with `manual: `). */
  edits: TextEdit[] | null;
}

const isExact = (v: string | null) => v !== null && /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(v);

function describe(version: string | null): string {
  if (version === null) return 'an unversioned pnpm';
  return version === 'latest' ? 'pnpm@latest' : `pnpm@${version}`;
}

function setupsIn(tree: DockerfileTree, stages: DockerStage[]): PnpmSetup[] {
  const commands = runCommands(
    tree,
    stages.flatMap((s) => s.instructions),
  );
  return commands.map(pnpmSetupOf).filter((s): s is PnpmSetup => s !== null);
}

function replace(cmd: RunCommand, text: string): TextEdit[] {
  return [{ start: cmd.start, end: cmd.end, text }];
}

/** An npm/yarn global install of pnpm (possibly with other packages) or a corepack prepare. */
function judgeVersioned(tree: DockerfileTree, stage: DockerStage, setup: PnpmSetup & { version: string | null }, want: string | null, source: string): Match | null {
  const cmd = setup.cmd;
  const activates = setup.kind !== 'corepack-prepare' || setup.activate;
  if (want ? setup.version === want && activates : isExact(setup.version) && activates) return null;
  const what = `\`${cmd.source}\``;
  if (!want) return { line: cmd.instr.line, message: `manual: ${what} does not pin pnpm to an exact version; ${SET_PACKAGE_MANAGER}`, edits: null };
  const why =
    setup.version === want
      ? `${what} caches pnpm@${want} without --activate, so \`pnpm\` still resolves to another version`
      : `${what} installs ${describe(setup.version)}, not pnpm@${want} from ${source}`;
  if (setup.kind === 'corepack-prepare') return { line: cmd.instr.line, message: why, edits: replace(cmd, `corepack prepare pnpm@${want} --activate`) };
  if (setup.kind === 'npm-global' && !setup.alone) {
    if (!cmd.literal) return { line: cmd.instr.line, message: `manual: ${why}; the command uses shell expansions, pin pnpm@${want} by hand`, edits: null };
    const args = cmd.args.map((w) => (w === 'pnpm' || w.startsWith('pnpm@') ? `pnpm@${want}` : w));
    return { line: cmd.instr.line, message: why, edits: replace(cmd, args.map(shellWord).join(' ')) };
  }
  return { line: cmd.instr.line, message: why, edits: replace(cmd, activationCommand(tree, stage, want)) };
}

/** Node >= 25 base images have no corepack: a corepack-only RUN becomes `npm install -g pnpm@<v>`. */
function judgeMissingCorepack(tree: DockerfileTree, stage: DockerStage, instr: DockerInstruction, want: string | null): Match {
  const cmds = runCommands(tree, [instr]);
  const image = imageStage(tree, stage);
  const base = `${image.image}:${image.tag ?? 'latest'}`;
  const pinned = cmds.map(pnpmSetupOf).find((s) => s?.kind === 'corepack-prepare' && isExact(s.version));
  const version = want ?? (pinned?.kind === 'corepack-prepare' ? pinned.version : null);
  const why = `${base} ships without corepack (Node 25 dropped it), so \`corepack\` fails here`;
  if (!version) return { line: instr.line, message: `manual: ${why}; ${SET_PACKAGE_MANAGER}`, edits: null };
  if (!cmds.every((c) => c.args[0] === 'corepack')) return { line: instr.line, message: `manual: ${why}; install pnpm with \`npm install -g pnpm@${version}\` instead`, edits: null };
  return { line: instr.line, message: `${why}; install pnpm@${version} with npm`, edits: [replaceArgs(tree.text, instr, `npm install -g pnpm@${version}`)] };
}

/** `corepack enable` with no `corepack prepare` in the stage or the stages it builds on. */
function judgeEnableOnly(cmd: RunCommand, want: string | null): Match {
  const why = `\`${cmd.source}\` without \`corepack prepare pnpm@<version> --activate\` leaves pnpm's version to whatever corepack resolves at build time`;
  if (!want) return { line: cmd.instr.line, message: `manual: ${why}; ${SET_PACKAGE_MANAGER}`, edits: null };
  return { line: cmd.instr.line, message: `${why}; pin pnpm@${want}`, edits: replace(cmd, `corepack enable && corepack prepare pnpm@${want} --activate`) };
}

/** First pnpm call of the stage that nothing before it installs or pins. */
function unsetUse(tree: DockerfileTree, stage: DockerStage): RunCommand | undefined {
  const earlier = setupsIn(tree, lineage(tree, stage));
  return runCommands(tree, stage.instructions).find((c) => runsPnpm(c) && !pnpmSetupOf(c) && !earlier.some((s) => s.cmd.start < c.start));
}

/** An unpinned pnpm call; skipped when a stage this one builds on gets the pin (it covers both). */
function judgeUnsetUse(ctx: DockerfileContext, stage: DockerStage, want: string | null): Match | null {
  const { tree } = ctx;
  const use = unsetUse(tree, stage);
  if (!use || lineage(tree, stage).some((s) => s !== stage && unsetUse(tree, s))) return null;
  const why = `\`${use.source}\` runs pnpm, but nothing in this stage installs or pins it`;
  if (!isNodeImage(tree, stage)) {
    const image = imageStage(tree, stage).image;
    return { line: use.instr.line, message: `manual: ${why}; it must come from the base image ${image}: pin it there`, edits: null };
  }
  if (!want) return { line: use.instr.line, message: `manual: ${why}; ${SET_PACKAGE_MANAGER}`, edits: null };
  return { line: use.instr.line, message: `${why} (node images have no pnpm binary); pin pnpm@${want}`, edits: [insertLinesBefore(use.instr, [`RUN ${activationCommand(tree, stage, want)}`])] };
}

function match(ctx: DockerfileContext): Match[] {
  const { tree } = ctx;
  const expected = expectedPnpm(ctx.workspace);
  const want = expected?.version ?? null;
  const out: Match[] = [];
  for (const stage of tree.stages) {
    const own = setupsIn(tree, [stage]);
    const all = setupsIn(tree, lineage(tree, stage));
    const noCorepack = corepackMissing(tree, stage);
    const corepackRuns = new Set<DockerInstruction>();
    for (const s of own) {
      const cmd = s.cmd;
      if (noCorepack && cmd.args[0] === 'corepack') {
        if (!corepackRuns.has(cmd.instr)) out.push(judgeMissingCorepack(tree, stage, cmd.instr, want));
        corepackRuns.add(cmd.instr);
        continue;
      }
      if (s.kind === 'script') {
        const fix = want ? `replace it with \`${activationCommand(tree, stage, want)}\`` : SET_PACKAGE_MANAGER;
        out.push({ line: cmd.instr.line, message: `manual: \`${cmd.source}\` installs whatever pnpm the install script picks; ${fix}`, edits: null });
      } else if (s.kind === 'corepack-enable') {
        if (!all.some((o) => o.kind !== 'corepack-enable')) out.push(judgeEnableOnly(cmd, want));
      } else {
        const m = judgeVersioned(tree, stage, s, want, expected?.source ?? '');
        if (m) out.push(m);
      }
    }
    const unset = judgeUnsetUse(ctx, stage, want);
    if (unset) out.push(unset);
  }
  return out;
}

export const transform: Transform<'dockerfile'> = {
  id: 'dockerfile-pin-pnpm',
  kind: 'dockerfile',
  description: 'pin pnpm in every build stage to the exact version of the root package.json#packageManager',
  rules: {
    [RULE]: {
      id: RULE,
      severity: 'risky',
      description: '`pnpm@latest`, an unversioned global install, or no corepack pin',
      rationale: 'an unpinned pnpm changes under the build: a new major reads the lockfile differently or refuses it, and the image no longer matches what CI tested',
      fixedBy: 'dockerfile-pin-pnpm',
    },
  },
  detect(ctx): Report[] {
    return match(ctx).map((m) => ({ rule: RULE, line: m.line, message: m.message, ...(m.edits ? {} : { fixable: false }) }));
  },
  fix(ctx): TextEdit[] {
    return dedupeEdits(match(ctx).flatMap((m) => (m.edits && !ctx.suppressed(RULE, m.line) ? m.edits : [])));
  },
};
