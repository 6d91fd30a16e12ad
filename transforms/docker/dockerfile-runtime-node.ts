// dockerfile-runtime-node: the runtime image starts node directly, under an
// init. `CMD pnpm start` needs pnpm in the runtime image (absent there, or a
// different version: "pnpm: not found" and a crash loop) and puts the package
// manager between the platform's SIGTERM and node; `prisma generate` at start
// needs the Prisma CLI and network at every boot. A shell-form CMD makes
// /bin/sh PID 1, which does not forward SIGTERM, and node as PID 1 without
// dumb-init/tini ignores signals it has no handler for and never reaps
// zombies. So: CMD/ENTRYPOINT become exec form through dumb-init running the
// built entry (`pnpm start` resolved through the service's package.json);
// dumb-init is installed in the runtime stage; `prisma generate` moves to the
// build stage; a single-stage image that builds with a package manager is
// split into a build stage and a runtime stage that copies the app over.
// An ENTRYPOINT script is wrapped too (`["dumb-init", "./entrypoint.sh"]`)
// unless it already execs dumb-init/tini; what the script itself runs is
// entrypoint-strict's business.
import path from 'node:path';
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../src/engine/dockerfile.js';
import { parseShell, type ShellTree } from '../../src/engine/shell.js';
import type { DockerfileContext, Report, TextEdit, Transform } from '../../src/engine/types.js';
import { commandsOf, isPrismaGenerate, runCommands, type RunCommand } from './lib/build-commands.js';
import { buildContext, movePending } from './lib/build-context.js';
import { copiesOf } from './lib/build-copies.js';
import { initPrefix, isInit, nodeish, programOfArgv, programOfShell, type Program, type ScriptSource } from './lib/build-entry.js';
import { findStage, imageStage, isWithin, lineage, lineageInstructions, osFamily, resolveIn, workdirAt, type OsFamily } from './lib/build-stages.js';
import { groupEdits, groupReports, type Group as BaseGroup, type GroupFinding } from './lib/build-groups.js';
import { argWords, deleteLines, execForm, insertLinesAfter, replaceArgs } from './lib/build-text.js';

const PM_RUNTIME = 'package-manager-at-runtime';
const SHELL_FORM = 'shell-form-cmd';
type Rule = typeof PM_RUNTIME | typeof SHELL_FORM;

type Finding = GroupFinding<Rule>;
type Group = BaseGroup<Rule>;

type Suppressed = (rule: string, line: number) => boolean;

const PACKAGE_MANAGERS = new Set(['pnpm', 'npm', 'npx', 'yarn', 'pnpx', 'corepack']);
/** Instructions that configure the runtime image and stay there when a single stage is split. */
const TAIL = new Set(['ENV', 'EXPOSE', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'USER', 'LABEL', 'STOPSIGNAL', 'VOLUME']);
/** Instructions a build part may hold and still be split off safely. */
const BUILD_OK = new Set(['WORKDIR', 'ARG', 'ENV', 'COPY', 'ADD', 'RUN']);
/** Commands whose effect (system packages, users, permissions) the runtime image may depend on. */
const SYSTEM = new Set(['apk', 'apt-get', 'apt', 'yum', 'dnf', 'microdnf', 'adduser', 'addgroup', 'useradd', 'groupadd', 'chown', 'chmod', 'ln', 'pip', 'pip3', 'curl', 'wget']);

/** Installing an init a CMD already names (node images ship neither). */
const INSTALL_NAMED: Partial<Record<OsFamily, (pkg: string) => string>> = {
  alpine: (pkg) => `RUN apk add --no-cache ${pkg}`,
  debian: (pkg) => `RUN apt-get update && apt-get install -y --no-install-recommends ${pkg} && rm -rf /var/lib/apt/lists/*`,
};

const last = (instrs: DockerInstruction[], keyword: string) => [...instrs].reverse().find((i) => i.keyword === keyword);
const runsPm = (c: RunCommand) => PACKAGE_MANAGERS.has(c.args[0] ?? '') || isPrismaGenerate(c.args);

/** The init already installed in the stage (or a stage it builds on), if any. */
function installedInit(tree: DockerfileTree, stage: DockerStage): string[] | null {
  const instrs = lineage(tree, stage).flatMap((s) => s.instructions);
  const words = [...runCommands(tree, instrs).flatMap((c) => c.args), ...copiesOf(tree, instrs).flatMap((c) => [...c.sources, c.dest].map((w) => path.posix.basename(w.value)))];
  if (words.some((w) => w.includes('dumb-init'))) return ['dumb-init'];
  if (words.some((w) => w === 'tini' || w.includes('/tini') || w === 'tini-static')) return ['tini', '--'];
  return null;
}

/** The entrypoint script an ENTRYPOINT/CMD names, parsed, when the repo has it. */
function entryScript(ctx: DockerfileContext, script: string): { path: string; tree: ShellTree } | null {
  const base = path.posix.basename(script);
  const dirs = [ctx.service?.dir, path.posix.dirname(ctx.path), buildContext(ctx).dir].filter((d): d is string => !!d);
  for (const dir of new Set(dirs)) {
    const file = path.posix.join(dir, base);
    const text = ctx.workspace.read(file);
    if (text === undefined) continue;
    try {
      return { path: file, tree: parseShell(text, file) };
    } catch {
      return null;
    }
  }
  return null;
}

/** True when the entrypoint script execs dumb-init/tini itself. */
function scriptStartsInit(ctx: DockerfileContext, script: string): boolean {
  return !!entryScript(ctx, script)?.tree.commands.some((c) => c.args.some((w) => isInit(w)));
}

/** An instruction the container starts with and what it runs. */
interface Entry {
  instr: DockerInstruction;
  form: 'exec' | 'shell';
  /** Init words this instruction starts with, kept when it is rewritten. */
  keep: string[];
  /** What it runs after the init words; null for an ENTRYPOINT that is only an init. */
  program: Program | null;
}

interface Started extends Entry {
  program: Program;
  /** True when this instruction is the process head (an init belongs here). */
  head: boolean;
  /** True when an init already runs first (here or in the ENTRYPOINT). */
  hasInit: boolean;
}

function entryOf(ctx: DockerfileContext, instr: DockerInstruction, src: ScriptSource): Entry | null {
  if (instr.execForm) {
    const keep = initPrefix(instr.execForm);
    const words = instr.execForm.slice(keep.length);
    return { instr, form: 'exec', keep, program: words.length ? programOfArgv(words, src) : null };
  }
  if (instr.args.trim().startsWith('[') || instr.args.trim() === '') return null;
  return { instr, form: 'shell', keep: [], program: programOfShell(instr.args, src, ctx.tree.shellOf(instr)) };
}

/** The stage the runtime copies its node_modules (or app folder) from. */
function buildStageOf(tree: DockerfileTree, final: DockerStage): DockerStage | null {
  const froms = copiesOf(tree, final.instructions).filter((c) => c.from !== null);
  const pick = froms.find((c) => c.sources.some((s) => s.value.includes('node_modules'))) ?? froms[0];
  const stage = pick ? findStage(tree, pick.from!, final.index) : undefined;
  return stage ?? null;
}

/** True when the runtime copies node_modules (or the folder holding them) out of `build`. */
function copiesModules(tree: DockerfileTree, final: DockerStage, build: DockerStage): boolean {
  const wd = workdirAt(tree, build) ?? '/';
  return copiesOf(tree, final.instructions).some(
    (c) => c.from !== null && findStage(tree, c.from, final.index) === build && c.sources.some((s) => s.value.includes('node_modules') || (wd !== '/' && isWithin(wd, resolveIn('/', s.value)))),
  );
}

/** Lines that run `cmds` at the end of the build stage, in the runtime's working directory. */
function buildStageEdit(tree: DockerfileTree, build: DockerStage, runtimeWd: string | null, cmds: string[]): TextEdit {
  const end = build.instructions[build.instructions.length - 1]!;
  const wd = workdirAt(tree, build);
  const lines = [...(runtimeWd && runtimeWd !== wd ? [`WORKDIR ${runtimeWd}`] : []), ...cmds.map((c) => `RUN ${c}`)];
  return insertLinesAfter(tree.text, end, lines);
}

interface Split {
  finding: Finding;
  /** Present when the split is possible. */
  plan?: {
    name: string;
    fromEdit: TextEdit | null;
    /** Where the runtime stage goes and what it holds (before the init line is known). */
    at: number;
    lead: string;
    fromLine: string;
    body: string[];
    lastBuild: DockerInstruction;
  };
}

/** Start of the comment lines directly above `instr` (they belong to it). */
function commentStart(text: string, instr: DockerInstruction): number {
  let at = instr.lineStart;
  while (at > 0) {
    const prev = text.lastIndexOf('\n', at - 2) + 1;
    if (!text.slice(prev, at).trimStart().startsWith('#')) break;
    at = prev;
  }
  return at;
}

/** A single-stage image that builds with a package manager: split into build + runtime stages, or say why not. */
function planSplit(ctx: DockerfileContext, stage: DockerStage): Split | null {
  const { tree, text } = ctx;
  const body = stage.instructions.slice(1);
  let t = body.length;
  while (t > 0 && TAIL.has(body[t - 1]!.keyword)) t--;
  const build = body.slice(0, t);
  const pmRun = runCommands(tree, build).find(runsPm);
  if (!pmRun) return null;
  const line = pmRun.instr.line;
  const what = `single-stage image: \`${pmRun.source}\` (line ${line}) runs in the image that also serves, so the package manager, dev dependencies and sources ship to production`;
  const manual = (why: string): Split => ({ finding: { rule: PM_RUNTIME, line, message: `manual: ${what}; ${why}: split it into a build stage and a runtime stage by hand`, fixable: false } });
  if (t === body.length) return manual('nothing configures the runtime after the build');
  let root: string | null = null;
  let wd = '/';
  const envs: string[] = [];
  for (const i of build) {
    if (!BUILD_OK.has(i.keyword)) return manual(`\`${i.keyword}\` at line ${i.line} sits between build steps`);
    if (i.keyword === 'ENV') {
      if (/[$`]/.test(i.args)) return manual(`ENV at line ${i.line} uses variables`);
      envs.push(text.slice(i.start, i.end));
    } else if (i.keyword === 'WORKDIR') {
      const value = i.args.trim();
      if (/[$"']/.test(value)) return manual(`WORKDIR at line ${i.line} uses variables`);
      wd = resolveIn(wd, value);
      if (root === null) root = wd;
      else if (!isWithin(wd, root)) return manual(`WORKDIR ${wd} (line ${i.line}) is outside ${root}`);
    } else if (i.keyword === 'COPY' || i.keyword === 'ADD') {
      const words = i.args.trim().startsWith('[') ? null : argWords(text, i);
      const dest = words?.[words.length - 1]?.value;
      if (!dest || /[$]/.test(dest)) return manual(`${i.keyword} at line ${i.line} is not a plain copy`);
      if (root === null || !isWithin(resolveIn(wd, dest), root)) return manual(`${i.keyword} at line ${i.line} writes outside the app folder`);
    } else if (i.keyword === 'RUN') {
      for (const c of commandsOf(tree, i)) {
        if (SYSTEM.has(c.args[0] ?? '')) return manual(`\`${c.source}\` (line ${i.line}) changes the system the runtime may need`);
        const global = c.args[0] === 'npm' && c.args.some((w) => w === '-g' || w === '--global');
        if (global && !c.args.some((w) => w === 'pnpm' || w.startsWith('pnpm@') || w === 'corepack')) return manual(`\`${c.source}\` (line ${i.line}) installs a global tool the runtime may use`);
      }
    }
  }
  if (root === null || root === '/') return manual('the app has no WORKDIR of its own to copy');
  const from = stage.from;
  const image = argWords(text, from)[0];
  if (!image) return manual('its FROM has no image');
  const name = stage.name ?? 'build';
  const first = body[t]!;
  const at = commentStart(text, first);
  const lead = at > 0 && text.slice(text.lastIndexOf('\n', at - 2) + 1, at).trim() !== '' ? '\n' : '';
  return {
    finding: { rule: PM_RUNTIME, line, message: `${what}; split it into a build stage and a runtime stage`, fixable: true },
    plan: {
      name,
      fromEdit: stage.name ? null : { start: from.end, end: from.end, text: ` AS ${name}` },
      at,
      lead,
      fromLine: text.slice(from.start, image.end),
      body: [`WORKDIR ${wd}`, ...envs, `COPY --from=${name} ${root} ${root}`],
      lastBuild: build[build.length - 1]!,
    },
  };
}

function entryFindings(e: Started, needsInit: boolean, initOk: boolean, initWhy: string): Finding[] {
  const { instr, program } = e;
  const kw = instr.keyword;
  const out: Finding[] = [];
  const rewritable = program.argv !== null;
  if (program.pm) {
    const moved = program.buildRuns.length ? `; \`${program.buildRuns.join(' && ')}\` moves to the build stage` : '';
    out.push({
      rule: PM_RUNTIME,
      line: instr.line,
      message: rewritable
        ? `${kw} runs \`${program.via}\` at container start: the runtime image needs no package manager; run \`${program.argv!.join(' ')}\` directly${moved}`
        : `manual: ${kw} runs \`${program.via}\` at container start; ${program.manual}`,
      fixable: rewritable,
    });
  }
  const shell = e.form === 'shell';
  if (!shell && !needsInit) return out;
  const program0 = (program.argv ?? program.via.split(/\s+/))[0] ?? 'node';
  const problem =
    shell && needsInit
      ? `${kw} is in shell form and has no init: /bin/sh is PID 1 and does not forward SIGTERM, and node needs dumb-init/tini to get signals and reap zombies`
      : shell
        ? `${kw} is in shell form: the app runs under /bin/sh -c, which does not forward SIGTERM to it`
        : `${kw} runs \`${program0}\` as PID 1 without an init (dumb-init/tini): signals without a handler are ignored and zombies are never reaped`;
  const blocked = !rewritable ? program.manual : needsInit && !initOk ? initWhy : null;
  out.push({ rule: SHELL_FORM, line: instr.line, message: blocked ? `manual: ${problem}; ${blocked}` : `${problem}; use exec form${needsInit ? ' through dumb-init' : ''}`, fixable: !blocked });
  return out;
}

/** The ENTRYPOINT/CMD instructions that decide what the container runs, with their roles. */
function startedBy(ctx: DockerfileContext, final: DockerStage, src: ScriptSource, groups: Group[]): Started[] {
  // ENTRYPOINT and CMD are inherited from the stages the runtime is built FROM.
  const E = last(lineageInstructions(ctx.tree, final), 'ENTRYPOINT');
  const C = last(lineageInstructions(ctx.tree, final), 'CMD');
  const c = C ? entryOf(ctx, C, src) : null;
  if (!E) return c?.program ? [{ ...c, program: c.program, head: true, hasInit: c.keep.length > 0 }] : [];
  const e = entryOf(ctx, E, src);
  if (!e) return [];
  if (e.form === 'shell' && C) {
    const message = `manual: ENTRYPOINT is in shell form, so /bin/sh is PID 1 and CMD (line ${C.line}) is ignored; decide which one starts the app and write it in exec form`;
    groups.push({ findings: [{ rule: SHELL_FORM, line: E.line, message, fixable: false }], edits: [] });
    return [];
  }
  // ENTRYPOINT ["dumb-init", "--"]: CMD is the program, and it already runs under an init.
  if (!e.program) return c?.program ? [{ ...c, program: c.program, head: true, hasInit: true }] : [];
  const out: Started[] = [{ ...e, program: e.program, head: true, hasInit: e.keep.length > 0 }];
  // Under an exec ENTRYPOINT, CMD is its arguments: it matters when it runs a package manager.
  if (e.form === 'exec' && c?.program?.pm) out.push({ ...c, program: c.program, head: false, hasInit: true });
  return out;
}

/** The last RUN/COPY/ADD before `instr` in its stage: where a build-time command belongs in a single stage. */
function lastBuildStep(stage: DockerStage, instr: DockerInstruction): DockerInstruction {
  const before = stage.instructions.slice(0, stage.instructions.indexOf(instr));
  return [...before].reverse().find((i) => ['RUN', 'COPY', 'ADD'].includes(i.keyword)) ?? stage.from;
}

/**
 * The start command names dumb-init/tini but nothing installs it: the container
 * dies with `exec: dumb-init: not found`. Only judged on public base images
 * (node, alpine, debian, ubuntu), which are known to ship neither.
 */
function missingInit(ctx: DockerfileContext, final: DockerStage, entries: Started[], installed: string[] | null): Group[] {
  const { tree } = ctx;
  const E = last(lineageInstructions(tree, final), 'ENTRYPOINT');
  const head = entries.find((e) => e.head);
  // The init runs first: from the ENTRYPOINT when there is one, else from the start command.
  const holder = E ?? head?.instr;
  const words = E ? initPrefix(E.execForm ?? []) : head ? (head.keep.length ? head.keep : (head.program.argv ?? [])) : [];
  const init = words[0];
  if (installed || !holder || !init || !isInit(init) || !/(^|\/)(node|alpine|debian|ubuntu)$/.test(imageStage(tree, final).image)) return [];
  const pkg = path.posix.basename(init) === 'dumb-init' ? 'dumb-init' : 'tini';
  const install = INSTALL_NAMED[osFamily(tree, final)];
  const what = `${holder.keyword} starts ${init}, but nothing installs it in the runtime stage: the container fails with "${init}: not found"`;
  if (!install) return [{ findings: [{ rule: SHELL_FORM, line: holder.line, message: `manual: ${what}; install ${pkg} in the runtime stage`, fixable: false }], edits: [] }];
  return [{ findings: [{ rule: SHELL_FORM, line: holder.line, message: `${what}; install ${pkg}`, fixable: true }], edits: [insertLinesAfter(tree.text, final.from, [install(pkg)])] }];
}

/** `prisma generate` inside the entrypoint script, when no build stage generates the client already. */
function scriptGenerate(ctx: DockerfileContext, final: DockerStage, e: Started): Group[] {
  const { tree } = ctx;
  const found = entryScript(ctx, e.program.argv![0]!);
  const generate = found?.tree.commands.filter((c) => isPrismaGenerate(c.args)) ?? [];
  if (!found || generate.length === 0) return [];
  const build = tree.stages.length > 1 ? buildStageOf(tree, final) : null;
  if (build && runCommands(tree, lineage(tree, build).flatMap((s) => s.instructions)).some((c) => isPrismaGenerate(c.args))) return [];
  const cmd = found.tree.text.slice(generate[0]!.start, generate[0]!.end);
  const what = `${e.instr.keyword} runs ${found.path}, which calls \`${cmd}\` at every start`;
  if (!build || !copiesModules(tree, final, build))
    return [{ findings: [{ rule: PM_RUNTIME, line: e.instr.line, message: `manual: ${what}; no build stage whose node_modules the runtime copies: generate the client at build time by hand`, fixable: false }], edits: [] }];
  return [
    {
      findings: [{ rule: PM_RUNTIME, line: e.instr.line, message: `${what}; generate the client in the build stage (entrypoint-strict drops it from the script)`, fixable: true }],
      edits: [buildStageEdit(tree, build, workdirAt(tree, final, e.instr), [cmd])],
    },
  ];
}

/** What the whole file's fix needs to know about the runtime stage. */
interface Runtime {
  ctx: DockerfileContext;
  final: DockerStage;
  single: boolean;
  /** The line that installs dumb-init, null when one is installed already or the base is unknown. */
  initLine: string | null;
  /** The init words a rewritten command starts with. */
  initWords: string[];
}

interface Planned {
  e: Started;
  needsInit: boolean;
  findings: Finding[];
}

/** Each start instruction with its findings. */
function planEntries(rt: Runtime, entries: Started[], installed: boolean): Planned[] {
  const { ctx, final } = rt;
  const initOk = installed || !!rt.initLine;
  const initWhy = `cannot tell how to install dumb-init on ${final.image}${final.tag ? `:${final.tag}` : ''}: install dumb-init or tini in the runtime stage`;
  return entries.map((e) => {
    const argv = e.program.argv;
    const script = !!argv?.[0]?.endsWith('.sh') && scriptStartsInit(ctx, argv[0]);
    const needsInit = e.head && !e.hasInit && !script && nodeish(argv ?? [e.program.via.split(/\s+/)[0] ?? '']);
    return { e, needsInit, findings: entryFindings(e, needsInit, initOk, initWhy) };
  });
}

/** The edits of one start instruction: exec form, the init, and build-time commands moved out; or why not. */
function entryEdits(rt: Runtime, p: Planned, splitting: boolean): TextEdit[] | string {
  const { ctx, final } = rt;
  const { tree, text } = ctx;
  const runs = p.e.program.buildRuns;
  const edits: TextEdit[] = [replaceArgs(text, p.e.instr, execForm([...(p.needsInit ? rt.initWords : p.e.keep), ...p.e.program.argv!]))];
  if (p.needsInit && rt.initLine && !splitting) edits.push(insertLinesAfter(text, final.from, [rt.initLine]));
  if (runs.length === 0 || (rt.single && splitting)) return edits;
  if (rt.single) return [...edits, insertLinesAfter(text, lastBuildStep(final, p.e.instr), runs.map((r) => `RUN ${r}`))];
  const build = buildStageOf(tree, final);
  if (!build || !copiesModules(tree, final, build)) return `the runtime stage copies no node_modules from a build stage where \`${runs.join(' && ')}\` could run`;
  return [...edits, buildStageEdit(tree, build, workdirAt(tree, final, p.e.instr), runs)];
}

/** The split of a single-stage image, carrying the start-command edits with it (one fix). */
function splitEdits(rt: Runtime, plan: NonNullable<Split['plan']>, planned: Planned[], startEdits: TextEdit[]): TextEdit[] {
  const { text } = rt.ctx;
  const edits = [...startEdits];
  const runs = planned.flatMap((p) => p.e.program.buildRuns).map((r) => `RUN ${r}`);
  if (runs.length) edits.push(insertLinesAfter(text, plan.lastBuild, runs));
  const init = planned.some((p) => p.needsInit) && rt.initLine ? [rt.initLine] : [];
  const block = [plan.fromLine, ...init, ...plan.body].map((l) => `${l}\n`).join('');
  if (plan.fromEdit) edits.push(plan.fromEdit);
  edits.push({ start: plan.at, end: plan.at, text: `${plan.lead}${block}\n` });
  return edits;
}

/** `RUN ... prisma generate` in the runtime stage of a multi-stage build moves to the build stage. */
function runtimeGenerate(rt: Runtime): Group[] {
  const { tree } = rt.ctx;
  const groups: Group[] = [];
  for (const instr of rt.final.instructions.filter((i) => i.keyword === 'RUN')) {
    const cmds = commandsOf(tree, instr);
    if (!cmds.some((c) => isPrismaGenerate(c.args))) continue;
    const what = `\`${instr.args.trim()}\` generates the Prisma client in the runtime stage, which then needs the Prisma CLI`;
    const build = buildStageOf(tree, rt.final);
    const reason = !cmds.every((c) => isPrismaGenerate(c.args))
      ? 'the RUN does more than generate'
      : !build || !copiesModules(tree, rt.final, build)
        ? 'the runtime stage copies no node_modules from a build stage'
        : null;
    if (reason || !build) {
      groups.push({ findings: [{ rule: PM_RUNTIME, line: instr.line, message: `manual: ${what}; ${reason}: generate it in the build stage by hand`, fixable: false }], edits: [] });
      continue;
    }
    groups.push({
      findings: [{ rule: PM_RUNTIME, line: instr.line, message: `${what}; generate it in the build stage, whose node_modules the runtime copies`, fixable: true }],
      edits: [deleteLines(instr), buildStageEdit(tree, build, workdirAt(tree, rt.final, instr), [cmds.map((c) => c.source).join(' && ')])],
    });
  }
  return groups;
}

function match(ctx: DockerfileContext, suppressed: Suppressed): Group[] {
  const { tree } = ctx;
  const final = tree.final;
  if (!final) return [];
  const installed = installedInit(tree, final);
  const rt: Runtime = {
    ctx,
    final,
    single: tree.stages.length === 1,
    initLine: installed ? null : (INSTALL_NAMED[osFamily(tree, final)]?.('dumb-init') ?? null),
    initWords: installed ?? ['dumb-init'],
  };
  const src: ScriptSource = { dir: ctx.service?.dir ?? path.posix.dirname(ctx.path), read: (rel) => ctx.workspace.read(rel), exists: (rel) => ctx.workspace.exists(rel) };
  const groups: Group[] = [];
  const entries = startedBy(ctx, final, src, groups);
  groups.push(...missingInit(ctx, final, entries, installed));
  const planned = planEntries(rt, entries, !!installed);

  // A split is only right together with a start command that needs no package manager.
  const split = rt.single ? planSplit(ctx, final) : null;
  if (split?.plan && !planned.every((p) => p.findings.every((f) => f.rule !== PM_RUNTIME || f.fixable))) {
    split.finding = { ...split.finding, fixable: false, message: `manual: ${split.finding.message}; first make the start command runnable without the package manager` };
    delete split.plan;
  }
  const entriesActive = planned.every((p) => !p.findings.some((f) => suppressed(f.rule, f.line)));
  const splitting = !!split?.plan && entriesActive && !suppressed(split.finding.rule, split.finding.line);

  const startEdits: TextEdit[] = [];
  for (const p of planned) {
    if (p.findings.length === 0) continue;
    const edits = p.findings.every((f) => f.fixable) ? entryEdits(rt, p, splitting) : [];
    if (typeof edits === 'string') {
      groups.push({ findings: p.findings.map((f) => ({ ...f, fixable: false, message: f.message.startsWith('manual: ') ? f.message : `manual: ${f.message}; ${edits}` })), edits: [] });
    } else if (splitting) {
      startEdits.push(...edits);
      groups.push({ findings: p.findings, edits: [] });
    } else groups.push({ findings: p.findings, edits });
  }
  if (split) groups.push({ findings: [split.finding], edits: split.plan && splitting ? splitEdits(rt, split.plan, planned, startEdits) : [] });

  // An entrypoint script that generates the Prisma client at start: entrypoint-strict takes the
  // command out of the script; the build stage has to generate the client instead.
  const script = planned.find((p) => p.e.head && p.e.program.argv?.[0]?.endsWith('.sh'));
  if (script) groups.push(...scriptGenerate(ctx, final, script.e));
  if (!rt.single) groups.push(...runtimeGenerate(rt));
  return groups;
}

export const transform: Transform<'dockerfile'> = {
  id: 'dockerfile-runtime-node',
  kind: 'dockerfile',
  description: 'the runtime stage starts node directly in exec form under dumb-init; package managers and prisma generate stay in the build stage',
  rules: {
    [PM_RUNTIME]: {
      id: PM_RUNTIME,
      severity: 'blocking',
      description: 'final stage CMD/ENTRYPOINT runs pnpm/npm/npx/yarn or `prisma generate`',
      rationale: 'the runtime image has no (or another) package manager: the container crash-loops with "pnpm: not found", and the package manager sits between SIGTERM and node',
      fixedBy: 'dockerfile-runtime-node',
    },
    [SHELL_FORM]: {
      id: SHELL_FORM,
      severity: 'risky',
      description: 'shell-form CMD/ENTRYPOINT, or no init (dumb-init/tini) for signal forwarding',
      rationale: 'with /bin/sh or a bare node as PID 1, SIGTERM is not forwarded or is ignored: the platform kills the container after its grace period and in-flight work is lost',
      fixedBy: 'dockerfile-runtime-node',
    },
  },
  detect(ctx): Report[] {
    return groupReports(match(ctx, () => false));
  },
  fix(ctx): TextEdit[] {
    // A build moving to the repo root changes the WORKDIRs a stage split copies: split after the move.
    if (movePending(ctx)) return [];
    return groupEdits(ctx, match(ctx, (rule, line) => ctx.suppressed(rule, line)));
  },
};
