// dockerfile-lockfile: installs in an image use the repository's lockfile,
// frozen. Without the lockfile (or with `npm install` in a pnpm repo) every
// build resolves dependency ranges afresh, so the image runs code nobody
// tested; without `--frozen-lockfile` / `npm ci` a drifted lockfile is
// silently rewritten instead of failing the build. The fix follows the repo's
// real package manager: pnpm-lock.yaml + pnpm-workspace.yaml copied next to
// the root package.json and `pnpm install --frozen-lockfile`; package-lock.json
// and `npm ci` for npm; yarn.lock and a frozen/immutable install for yarn. An
// `npm install` in a pnpm workspace (the audit's workers) becomes the pnpm
// build: pnpm pinned (the same line dockerfile-pin-pnpm writes), lockfile and
// workspace file copied, `pnpm install --frozen-lockfile --filter <service>...`,
// and the runtime stage also gets the root node_modules its pnpm symlinks
// point into. This module owns the COPY of lockfiles and the install command.
import path from 'node:path';
import type { DockerStage, DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, TextEdit, Transform, YamlContext } from '../../src/engine/types.js';
import { installOf, runCommands, type InstallCommand, type PackageManager, type RunCommand } from './lib/build-commands.js';
import { buildContext, inRepo, type BuildContext } from './lib/build-context.js';
import { contextRootOf, copiesOf, covers, destDirOf, isDirDest, normalizeSource, type CopyInstruction } from './lib/build-copies.js';
import { retargetToRoot } from './lib/build-refs.js';
import { contextMove, relocate, type ContextMove } from './lib/context-move.js';
import { activationCommand, expectedPnpmVersion, pnpmSetups } from './lib/build-pnpm.js';
import { findStage, isWithin, lineage, resolveIn, workdirAt } from './lib/build-stages.js';
import { groupEdits, groupReports, type Group as BaseGroup, type GroupFinding } from './lib/build-groups.js';
import { insertLinesBefore, shellWord } from './lib/build-text.js';

const NOT_COPIED = 'lockfile-not-copied';
const NOT_FROZEN = 'install-not-frozen';

type Finding = GroupFinding<typeof NOT_COPIED | typeof NOT_FROZEN>;
type Group = BaseGroup<typeof NOT_COPIED | typeof NOT_FROZEN>;

const LOCKFILE: Record<PackageManager, string> = { pnpm: 'pnpm-lock.yaml', npm: 'package-lock.json', yarn: 'yarn.lock' };

function isManifestSource(src: string): boolean {
  const base = path.posix.basename(normalizeSource(src));
  return base === 'package.json' || (/[*?[]/.test(base) && covers(base, 'package.json'));
}

/** COPYs from the build context that run before the install, in its stage or the stages it builds on. */
function copiesBefore(tree: DockerfileTree, stage: DockerStage, install: InstallCommand): CopyInstruction[] {
  const instrs = lineage(tree, stage).flatMap((s) => s.instructions);
  return copiesOf(tree, instrs.slice(0, instrs.indexOf(install.cmd.instr))).filter((c) => c.from === null);
}

/** The COPY of `<dir>/package.json` (exact or glob) among `copies`, last one first. */
function manifestCopy(copies: CopyInstruction[], dir: string): CopyInstruction | undefined {
  return [...copies].reverse().find((c) => c.sources.some((s) => isManifestSource(s.value) && path.posix.dirname(normalizeSource(s.value)) === dir));
}

/** Context-relative folders holding a package.json the install may read (npm: per-service lockfiles). */
function manifestDirs(copies: CopyInstruction[]): string[] {
  const dirs = [...copies].reverse().flatMap((c) => c.sources.filter((s) => isManifestSource(s.value)).map((s) => path.posix.dirname(normalizeSource(s.value))));
  return [...new Set([...dirs, '.'])];
}

/** The lockfile (and pnpm workspace file) the install needs, context-relative. */
function neededFiles(ctx: DockerfileContext, context: BuildContext, pm: PackageManager, copies: CopyInstruction[]): { dir: string; files: string[] } {
  if (pm === 'npm') {
    const dir = manifestDirs(copies).find((d) => ctx.workspace.exists(inRepo(context, path.posix.join(d, LOCKFILE.npm)))) ?? '.';
    return { dir, files: [path.posix.join(dir, LOCKFILE.npm)] };
  }
  const files = [LOCKFILE[pm]];
  if (pm === 'pnpm' && ctx.workspace.exists(inRepo(context, 'pnpm-workspace.yaml'))) files.push('pnpm-workspace.yaml');
  if (pm === 'yarn' && ctx.workspace.exists(inRepo(context, '.yarnrc.yml'))) files.push('.yarnrc.yml');
  return { dir: '.', files };
}

/** Why the lockfile cannot be copied, or null when it is in the build context. */
function missingLockReason(ctx: DockerfileContext, context: BuildContext, lock: string): string | null {
  if (ctx.workspace.exists(inRepo(context, lock))) return null;
  if (context.dir !== '.' && ctx.workspace.exists(path.posix.basename(lock))) {
    const plan = contextMove(ctx.workspace, ctx.path);
    const setBy = context.setBy ? ` (set by ${context.setBy})` : ' (no COPY uses a root-only path)';
    const blocked = plan && 'manual' in plan ? `; shipshape cannot move it: ${plan.manual}` : '';
    return `the build context is ${context.dir}${setBy} but ${path.posix.basename(lock)} lives at the repo root: build from the root (\`docker build -f ${ctx.path} .\`), copy the root package.json, ${path.posix.basename(lock)} and the service's files by their repo paths${blocked}`;
  }
  return `the repository has no ${inRepo(context, lock)}: generate and commit it`;
}

/** Adds the missing files to the COPY of the matching package.json; null when there is none to extend. */
function copyEdit(copies: CopyInstruction[], dir: string, missing: string[]): TextEdit | null {
  const target = manifestCopy(copies, dir);
  if (!target || !isDirDest(target)) return null;
  return { start: target.dest.start, end: target.dest.start, text: missing.map((f) => `${shellWord(f)} `).join('') };
}

function yarnBerry(ctx: DockerfileContext): boolean {
  const pm = ctx.workspace.packageManager;
  if (pm.name === 'yarn' && pm.version) return Number(pm.version.split('.')[0]) >= 2;
  return ctx.workspace.exists('.yarnrc.yml');
}

const UNFROZEN = new Set(['--no-frozen-lockfile', '--prefer-frozen-lockfile', '--frozen-lockfile=false', '--no-immutable']);

/** The frozen form of a same-manager install; null when the command cannot be rewritten safely. */
function frozenEdit(ctx: DockerfileContext, install: InstallCommand): TextEdit | null {
  const { cmd } = install;
  if (install.pm === 'npm') return cmd.literal ? { start: cmd.start, end: cmd.end, text: ['npm', 'ci', ...install.rest].map(shellWord).join(' ') } : null;
  const flag = install.pm === 'yarn' && yarnBerry(ctx) ? '--immutable' : '--frozen-lockfile';
  const contrary = install.rest.filter((w) => UNFROZEN.has(w));
  if (contrary.length === 0) return { start: cmd.end, end: cmd.end, text: ` ${flag}` };
  if (!cmd.literal) return null;
  const head = install.sub ? [install.pm, install.sub] : [install.pm];
  return { start: cmd.start, end: cmd.end, text: [...head, flag, ...install.rest.filter((w) => !contrary.includes(w))].map(shellWord).join(' ') };
}

/** An install with the repository's own package manager: lockfile copied, install frozen. */
function sameManager(ctx: DockerfileContext, stage: DockerStage, install: InstallCommand, context: BuildContext): Group[] {
  const line = install.cmd.instr.line;
  const copies = copiesBefore(ctx.tree, stage, install);
  const { dir, files } = neededFiles(ctx, context, install.pm, copies);
  const lock = files[0]!;
  const lockMissing = missingLockReason(ctx, context, lock);
  const notCopied = files.filter((f) => !copies.some((c) => c.sources.some((s) => covers(s.value, f))) && ctx.workspace.exists(inRepo(context, f)));
  const copyFix = lockMissing || notCopied.length === 0 ? null : copyEdit(copies, dir, notCopied);
  const groups: Group[] = [];
  if (lockMissing || notCopied.length > 0) {
    const what = `\`${install.cmd.source}\` runs without ${lockMissing ? lock : notCopied.join(' and ')}, so versions are resolved afresh on every build`;
    const message = lockMissing
      ? `manual: ${what}; ${lockMissing}`
      : copyFix
        ? `${what}; copy ${notCopied.join(' and ')} with the package.json`
        : `manual: ${what}; no COPY of ${path.posix.join(dir, 'package.json')} with a folder destination to add ${notCopied.join(' and ')} to: copy ${notCopied.join(' and ')} before line ${line}`;
    groups.push({ findings: [{ rule: NOT_COPIED, line, message, fixable: !!copyFix }], edits: copyFix ? [copyFix] : [] });
  }
  if (!install.frozen) {
    // A frozen install without the lockfile in the image fails the build: freeze only what is (or this fix makes) copied.
    const lockInImage = !lockMissing && (notCopied.length === 0 || !!copyFix);
    const wanted = install.pm === 'npm' ? '`npm ci`' : install.pm === 'yarn' && yarnBerry(ctx) ? '`--immutable`' : '`--frozen-lockfile`';
    const what = `\`${install.cmd.source}\` may rewrite the lockfile instead of failing when it is out of date`;
    const edit = lockInImage ? frozenEdit(ctx, install) : null;
    const message = !lockInImage
      ? `manual: ${what}; ${wanted} needs ${lock} in the image first (see ${NOT_COPIED})`
      : edit
        ? `${what}; use ${wanted}`
        : `manual: ${what}; the command uses shell expansions, switch it to ${wanted} by hand`;
    groups.push({ findings: [{ rule: NOT_FROZEN, line, message, fixable: !!edit }], edits: edit ? [edit] : [] });
  }
  return groups;
}

/** npm flags and their pnpm spelling; null drops a flag that only tunes npm's output or peer handling. */
const NPM_TO_PNPM: Record<string, string | null> = {
  '--legacy-peer-deps': null,
  '--no-audit': null,
  '--audit=false': null,
  '--no-fund': null,
  '--fund=false': null,
  '--progress=false': null,
  '--no-progress': null,
  '--silent': null,
  '--quiet': null,
  '--prefer-offline': '--prefer-offline',
  '--ignore-scripts': '--ignore-scripts',
  '--production': '--prod',
  '--omit=dev': '--prod',
  '--only=production': '--prod',
  '--only=prod': '--prod',
};

function serviceName(ctx: DockerfileContext): string | null {
  const svc = ctx.service;
  if (!svc || svc.dir === '.') return null;
  const manifest = ctx.workspace.read(path.posix.join(svc.dir, 'package.json'));
  try {
    const name = manifest ? (JSON.parse(manifest) as { name?: unknown }).name : svc.manifest.name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // An unreadable manifest: fall back to the inventory's name.
  }
  return svc.name || null;
}

/** `--filter <package>...` when the image holds a pnpm workspace, so the install covers this package and its workspace deps only. */
function workspaceFilter(ctx: DockerfileContext, copied: string[]): string[] {
  const name = serviceName(ctx);
  return name && copied.includes('pnpm-workspace.yaml') ? ['--filter', `${name}...`] : [];
}

/**
 * Later stages that copy a package's node_modules out of the install stage
 * also need the root node_modules: pnpm's package folders are symlinks into
 * <root>/node_modules/.pnpm. Returns the edits, or a reason when the layout
 * differs between the stages and the symlinks cannot resolve.
 */
function runtimeModules(ctx: DockerfileContext, stage: DockerStage, imageRoot: string): { edits: TextEdit[] } | { manual: string } {
  const { tree } = ctx;
  const rootModules = path.posix.join(imageRoot, 'node_modules');
  const edits: TextEdit[] = [];
  for (const later of tree.stages.filter((s) => s.index > stage.index)) {
    const fromHere = copiesOf(tree, later.instructions).filter((c) => c.from !== null && findStage(tree, c.from, later.index) === stage);
    const modules = fromHere.filter((c) => c.sources.some((s) => path.posix.basename(s.value.replace(/\/+$/, '')) === 'node_modules'));
    if (modules.length === 0 || fromHere.some((c) => c.sources.some((s) => isWithin(rootModules, resolveIn('/', s.value))))) continue;
    const first = modules[0]!;
    const wd = workdirAt(tree, later, first.instr);
    const src = resolveIn('/', first.sources[0]!.value);
    if (wd === null || first.sources.length !== 1 || resolveIn(wd, first.dest.value) !== src)
      return { manual: `line ${first.instr.line} copies ${src} to another path, where pnpm's symlinks into ${rootModules} would not resolve` };
    const chown = first.chown !== null ? ` --chown=${first.chown}` : '';
    edits.push(insertLinesBefore(first.instr, [`COPY --from=${first.from}${chown} ${rootModules} ${rootModules}`]));
  }
  return { edits };
}

/** Where the build context's root lands in the image: the first COPY before the install that tells. */
function imageRootOf(tree: DockerfileTree, stage: DockerStage, copies: CopyInstruction[]): string | null {
  for (const c of copies) {
    const root = contextRootOf(tree, stage, c);
    if (root !== null) return root;
  }
  return null;
}

/** npm commands after the install that need npm's own node_modules layout (`npm prune`, a second install). */
function npmLayoutUsers(tree: DockerfileTree, stage: DockerStage, install: InstallCommand): RunCommand[] {
  return runCommands(tree, stage.instructions).filter(
    (c) => c.start > install.cmd.end && c.args[0] === 'npm' && !['run', 'run-script', 'start', 'test', 'exec', 'pkg', 'config', '--version', '-v'].includes(c.args[1] ?? ''),
  );
}

/** Image folders where the install creates a node_modules: the repo root's and each copied package's. */
function packageDirs(tree: DockerfileTree, stage: DockerStage, copies: CopyInstruction[], imageRoot: string): string[] {
  const dirs = [imageRoot];
  for (const c of copies) {
    if (!c.sources.some((s) => isManifestSource(s.value))) continue;
    const dir = destDirOf(tree, stage, c);
    if (dir !== null && !dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** npm prune flags that make it drop devDependencies. */
const PRUNE_PROD = new Set(['--omit=dev', '--production', '--only=production', '--only=prod']);

/**
 * `npm prune --omit=dev` in the pnpm build. pnpm's own prune does not work
 * across a workspace; its documentation says to delete the node_modules
 * folders and install again with `--prod` (the store in the layer makes that
 * an offline relink). Any other npm call after the install stays manual.
 */
function pruneToPnpm(cmd: RunCommand, dirs: string[], filter: string[]): { edit: TextEdit } | { manual: string } {
  const layout = "relies on npm's node_modules layout";
  if (cmd.args[1] !== 'prune' || !cmd.literal) return { manual: layout };
  const flags = cmd.args.slice(2);
  if (!flags.some((f) => PRUNE_PROD.has(f))) return { manual: `${layout} (a prune without --omit=dev)` };
  const other = flags.find((f) => !PRUNE_PROD.has(f) && NPM_TO_PNPM[f] !== null);
  if (other) return { manual: `${layout} (npm flag ${other})` };
  const modules = dirs.map((d) => path.posix.join(d, 'node_modules'));
  const text = [['rm', '-rf', ...modules], ['pnpm', 'install', '--frozen-lockfile', '--prod', ...filter]].map((argv) => argv.map(shellWord).join(' ')).join(' && ');
  return { edit: { start: cmd.start, end: cmd.end, text } };
}

/** Removes COPY sources naming an npm lockfile the repository does not have (the build would fail on them). */
function dropMissingNpmLocks(ctx: DockerfileContext, context: BuildContext, copies: CopyInstruction[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const c of copies) {
    const words = [...c.sources, c.dest];
    c.sources.forEach((s, i) => {
      const src = normalizeSource(s.value);
      const base = path.posix.basename(src);
      if ((base === LOCKFILE.npm || base === 'npm-shrinkwrap.json') && c.sources.length > 1 && !ctx.workspace.exists(inRepo(context, src)))
        edits.push({ start: s.start, end: words[i + 1]!.start, text: '' });
    });
  }
  return edits;
}

/** `npm install|ci` in a pnpm workspace becomes the pnpm build; one group, both rules. */
function npmInPnpmRepo(ctx: DockerfileContext, stage: DockerStage, install: InstallCommand, context: BuildContext): Group {
  const { tree } = ctx;
  const line = install.cmd.instr.line;
  const findings = (fixable: boolean, why: string): Group => ({
    findings: [
      { rule: NOT_COPIED, line, message: `${fixable ? '' : 'manual: '}\`${install.cmd.source}\` installs with npm in a pnpm workspace: pnpm-lock.yaml is never read${why}`, fixable },
      ...(install.frozen
        ? []
        : [{ rule: NOT_FROZEN as Finding['rule'], line, message: `${fixable ? '' : 'manual: '}\`${install.cmd.source}\` resolves versions afresh; install with \`pnpm install --frozen-lockfile\`${why}`, fixable }]),
    ],
    edits: [],
  });
  const copies = copiesBefore(tree, stage, install);
  const { files } = neededFiles(ctx, context, 'pnpm', copies);
  const missingReason = missingLockReason(ctx, context, 'pnpm-lock.yaml');
  if (missingReason) return findings(false, `; ${missingReason}`);
  const version = expectedPnpmVersion(ctx.workspace);
  if (!version) return findings(false, '; set packageManager in the root package.json so pnpm can be pinned');
  const flags: string[] = [];
  for (const w of install.rest) {
    const mapped = NPM_TO_PNPM[w];
    if (mapped === undefined) return findings(false, `; npm flag ${w} has no pnpm equivalent shipshape knows: convert by hand`);
    if (mapped && !flags.includes(mapped)) flags.push(mapped);
  }
  const imageRoot = imageRootOf(tree, stage, copies);
  if (imageRoot === null) return findings(false, `; no COPY before line ${line} shows where the repo root sits in the image`);
  const filter = workspaceFilter(ctx, files);
  const edits: TextEdit[] = dropMissingNpmLocks(ctx, context, copies);
  for (const later of npmLayoutUsers(tree, stage, install)) {
    const prune = pruneToPnpm(later, packageDirs(tree, stage, copies, imageRoot), filter);
    if ('manual' in prune) return findings(false, `; \`${later.source}\` (line ${later.instr.line}) ${prune.manual}: convert the stage to pnpm by hand`);
    edits.push(prune.edit);
  }
  const notCopied = files.filter((f) => !copies.some((c) => c.sources.some((s) => covers(s.value, f))));
  if (notCopied.length > 0) {
    const edit = copyEdit(copies, '.', notCopied);
    if (edit) edits.push(edit);
    else {
      // No root package.json copied yet: copy it with the lockfile, just before the package's own manifest.
      const anchor = [...copies].reverse().find((c) => c.sources.some((s) => isManifestSource(s.value)))?.instr ?? install.cmd.instr;
      const owner = lineage(tree, stage).find((s) => s.instructions.includes(anchor)) ?? stage;
      const dest = workdirAt(tree, owner, anchor) === imageRoot ? './' : `${imageRoot.replace(/\/$/, '')}/`;
      edits.push(insertLinesBefore(anchor, [`COPY ${['package.json', ...notCopied].map(shellWord).join(' ')} ${dest}`]));
    }
  }
  const modules = runtimeModules(ctx, stage, imageRoot);
  if ('manual' in modules) return findings(false, `; ${modules.manual}`);
  edits.push(...modules.edits);
  if (pnpmSetups(tree, stage, install.cmd.instr).length === 0) edits.push(insertLinesBefore(install.cmd.instr, [`RUN ${activationCommand(tree, stage, version)}`]));
  edits.push({ start: install.cmd.start, end: install.cmd.end, text: ['pnpm', 'install', '--frozen-lockfile', ...flags, ...filter].map(shellWord).join(' ') });
  const group = findings(true, '');
  group.edits = edits;
  return group;
}

/** An npm-managed package inside a pnpm repo: its own package-lock.json is copied with its manifest. */
function ownNpmLock(ctx: DockerfileContext, stage: DockerStage, install: InstallCommand, context: BuildContext): boolean {
  const copies = copiesBefore(ctx.tree, stage, install);
  return manifestDirs(copies).some((d) => d !== '.' && ctx.workspace.exists(inRepo(context, path.posix.join(d, LOCKFILE.npm))));
}

/**
 * A pnpm install whose build context (a service folder, per compose or CI)
 * cannot see the root lockfile: one group that moves the build to the repo
 * root (context-move.ts) and freezes the install. The compose and workflow
 * sides of the same move are the companions below.
 */
function moveGroup(ctx: DockerfileContext, move: ContextMove): Group {
  const { tree } = ctx;
  const installs = runCommands(tree, tree.instructions)
    .map(installOf)
    .filter((i): i is InstallCommand => i !== null);
  const builders = [...new Set(move.refs.map((r) => r.file))].join(' and ');
  const layout = relocate(tree, move.context, move.rootFiles);
  const filter = workspaceFilter(ctx, move.rootFiles);
  const edits: TextEdit[] = 'edits' in layout ? [...layout.edits] : [];
  let why = 'manual' in layout ? layout.manual : null;
  for (const install of installs) {
    const { cmd } = install;
    if (!cmd.literal) {
      why ??= `\`${cmd.source}\` (line ${cmd.instr.line}) uses shell expansions`;
      continue;
    }
    const rest = install.rest.filter((w) => !UNFROZEN.has(w) && w !== '--frozen-lockfile');
    const filtered = rest.some((w) => w === '--filter' || w.startsWith('--filter=') || w === '-F') ? [] : filter;
    edits.push({ start: cmd.start, end: cmd.end, text: ['pnpm', install.sub ?? 'install', '--frozen-lockfile', ...rest, ...filtered].map(shellWord).join(' ') });
  }
  const fixable = why === null;
  const tail = fixable
    ? `; the build moves to the repo root: ${builders} build it from there, the root manifests and lockfile are copied first and the service's COPY sources carry its folder (${move.context}/)`
    : `; ${why}`;
  const findings: Finding[] = installs.flatMap((install) => {
    const line = install.cmd.instr.line;
    const head = fixable ? '' : 'manual: ';
    const out: Finding[] = [{ rule: NOT_COPIED, line, message: `${head}\`${install.cmd.source}\` runs without pnpm-lock.yaml, which lives at the repo root outside the build context ${move.context}${tail}`, fixable }];
    if (!install.frozen) out.push({ rule: NOT_FROZEN, line, message: `${head}\`${install.cmd.source}\` may rewrite the lockfile instead of failing when it is out of date; use \`--frozen-lockfile\` once the lockfile is in the image${fixable ? '' : ` (see ${NOT_COPIED})`}`, fixable });
    return out;
  });
  return { findings, edits: fixable ? edits : [] };
}

/** Compose and workflow side of a move: the references to a moving Dockerfile now build from the root. */
function retargetBuilders(ctx: YamlContext): boolean {
  return retargetToRoot(ctx.kind, ctx.path, ctx.doc, ctx.text, (dockerfile) => {
    const plan = contextMove(ctx.workspace, dockerfile);
    return plan !== null && 'move' in plan;
  });
}

function match(ctx: DockerfileContext): Group[] {
  const { tree } = ctx;
  const repo = ctx.workspace.packageManager.name;
  const context = buildContext(ctx);
  if (context.pendingMove) return [moveGroup(ctx, context.pendingMove)];
  const groups: Group[] = [];
  for (const stage of tree.stages) {
    for (const cmd of runCommands(tree, stage.instructions)) {
      const install = installOf(cmd);
      if (!install) continue;
      if (install.pm === repo) groups.push(...sameManager(ctx, stage, install, context));
      else if (repo === 'pnpm' && install.pm === 'npm')
        groups.push(...(ownNpmLock(ctx, stage, install, context) ? sameManager(ctx, stage, install, context) : [npmInPnpmRepo(ctx, stage, install, context)]));
      else
        groups.push({
          findings: [
            {
              rule: NOT_COPIED,
              line: cmd.instr.line,
              message: `manual: \`${cmd.source}\` installs with ${install.pm}, but the repository uses ${repo} (${LOCKFILE[repo]}): the lockfile is never read; switch the install to ${repo} by hand`,
              fixable: false,
            },
          ],
          edits: [],
        });
    }
  }
  return groups;
}

export const transform: Transform<'dockerfile'> = {
  id: 'dockerfile-lockfile',
  kind: 'dockerfile',
  description: "copy the repository's lockfile before installing and install frozen, with the repository's package manager",
  rules: {
    [NOT_COPIED]: {
      id: NOT_COPIED,
      severity: 'risky',
      description: 'install runs without the workspace lockfile',
      rationale: 'without the lockfile every image build resolves version ranges again: the image runs dependency versions nobody tested',
      fixedBy: 'dockerfile-lockfile',
    },
    [NOT_FROZEN]: {
      id: NOT_FROZEN,
      severity: 'risky',
      description: 'install without `--frozen-lockfile` / `npm ci`',
      rationale: 'a lockfile that no longer matches package.json is silently re-resolved instead of failing the build',
      fixedBy: 'dockerfile-lockfile',
    },
  },
  detect(ctx): Report[] {
    return groupReports(match(ctx));
  },
  fix(ctx): TextEdit[] {
    return groupEdits(ctx, match(ctx));
  },
  companions: { compose: retargetBuilders, workflow: retargetBuilders },
};
