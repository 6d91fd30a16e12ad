// Dockerfile defects shipshape reports but does not rewrite, because the
// right fix is a decision a person must make (which Node LTS, which secret
// store, where the build output should be):
//   cmd-path-mismatch    the CMD runs a file the build never produces
//   copy-source-missing  COPY/ADD of a path that is not in the build context
//   base-image-unpinned  FROM node / :latest / a floating node tag
//   base-image-eol       a Node major past end of life
//   secret-in-image      ENV/ARG secret with a literal value, or .env copied in
// Each is a pure check over the parsed tree plus the files the repo holds.
import path from 'node:path';
import type { DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import { checkEntry } from './lib/stage-build-output.js';
import { buildContext } from './lib/build-context.js';
import { contextSources, dockerignoreMatcher, dockerignoreOf, isPattern, join, readsContext, sourcesOf } from './lib/stage-context.js';
import { externalRef, imageChain, isOfficialNode, runtimeCommand, workdirAt, type ImageRef } from './lib/stage-image.js';

const rule = (id: string, severity: RuleMeta['severity'], description: string, rationale: string): RuleMeta => ({ id, severity, description, rationale, fixedBy: null });

const rules: Record<string, RuleMeta> = {
  'cmd-path-mismatch': rule(
    'cmd-path-mismatch',
    'blocking',
    'CMD/ENTRYPOINT target is not what the build produces under WORKDIR',
    'The image builds fine and the container dies at start with "Cannot find module".',
  ),
  'copy-source-missing': rule(
    'copy-source-missing',
    'blocking',
    'COPY/ADD of a path that is not in the build context',
    'The build fails (or a CI cache hides it until the next clean build).',
  ),
  'base-image-unpinned': rule(
    'base-image-unpinned',
    'risky',
    'FROM node / :latest / a floating node tag',
    'The next pull silently changes the Node major under the app.',
  ),
  'base-image-eol': rule(
    'base-image-eol',
    'risky',
    'Node major past end of life in FROM (<= 20 and odd releases, as of 2026-04-30)',
    'No security fixes: every new CVE in Node or OpenSSL stays in the image.',
  ),
  'secret-in-image': rule(
    'secret-in-image',
    'blocking',
    'ENV/ARG with a secret-looking name and a literal value, or a .env copied into the image',
    'Anyone who can pull the image can read the secret with docker history or docker inspect.',
  ),
};

const report = (ruleId: string, line: number, message: string): Report => ({ rule: ruleId, line, message: `manual: ${message}`, fixable: false });

// ---- cmd-path-mismatch ------------------------------------------------------

/** node flags that take the next argument as their value. */
const NODE_VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--title']);
/** Loaders that run TypeScript source and map a `.js` specifier to its `.ts` file. */
const TS_LOADER = /^(?:ts-node|tsx|@swc-node\/register|@esbuild-kit|esbuild-register|@swc\/register)(?:\/|$)/;

/** The script node is told to run, or null (`node -e`, a REPL, a TypeScript loader, not node at all). */
function nodeScript(argv: string[]): string | null {
  if (path.posix.basename(argv[0] ?? '') !== 'node') return null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') return null;
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    if (NODE_VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i] ?? '';
      if (TS_LOADER.test(value)) return null;
    } else if (!a.startsWith('-')) return a;
  }
  return null;
}

function cmdPathMismatch(ctx: DockerfileContext): Report[] {
  const run = runtimeCommand(ctx.tree);
  const script = run && nodeScript(run.argv);
  if (!run || !script || script.includes('$')) return [];
  const workdir = workdirAt(ctx.tree, run.instr);
  if (workdir === null) return [];
  const verdict = checkEntry(ctx, path.posix.resolve(workdir, script));
  if (!verdict || verdict.ok) return [];
  const dir = ctx.service?.dir ?? path.posix.dirname(ctx.path);
  const expected = verdict.expected ? `; the build emits ${path.posix.relative(dir, verdict.expected)}` : '';
  return [report('cmd-path-mismatch', run.instr.line, `${run.instr.keyword} runs ${script} in ${workdir}, which the build never produces: ${verdict.reason}${expected}`)];
}

// ---- copy-source-missing ----------------------------------------------------

interface CopyProblem {
  line: number;
  missing: string[];
  excluded: string[];
  atRoot: boolean;
}

/** Host build output: a COPY of it depends on a build that ran before `docker build`, which the repo cannot show. */
const BUILD_OUTPUT = /(^|\/)(dist|build|out|\.next)(\/|$)/;

const listed = (names: string[]) => `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'}`;

function copySourceMissing(ctx: DockerfileContext): Report[] {
  const context = buildContext(ctx);
  const ignored = dockerignoreOf(ctx.workspace, ctx.path, context.dir);
  const excluded = ignored ? dockerignoreMatcher(ignored.text) : () => false;
  const where = context.dir === '.' ? 'the repo root' : context.dir;
  const because = context.setBy ? `, set by ${context.setBy}` : '';
  const byInstr = new Map<number, CopyProblem>();
  for (const s of contextSources(ctx.tree)) {
    if (s.path === '.' || isPattern(s.path)) continue;
    const problem = byInstr.get(s.instr.start) ?? { line: s.instr.line, missing: [], excluded: [], atRoot: false };
    if (!ctx.workspace.exists(join(context.dir, s.path))) {
      if (BUILD_OUTPUT.test(s.path)) continue; // made by a build step before `docker build`; absent from a fresh clone
      problem.missing.push(s.raw);
      problem.atRoot ||= context.dir !== '.' && ctx.workspace.exists(s.path);
    } else if (excluded(s.path)) problem.excluded.push(s.raw);
    else continue;
    byInstr.set(s.instr.start, problem);
  }
  return [...byInstr.values()].map((p) => {
    const parts = [
      ...(p.missing.length > 0 ? [`${listed(p.missing)} not in the build context (${where}${because})`] : []),
      ...(p.excluded.length > 0 ? [`${listed(p.excluded)} excluded by ${ignored!.path}`] : []),
    ];
    const hint = p.atRoot ? `; it is at the repo root: build with the root as context (docker build -f ${ctx.path} .)` : '';
    return report('copy-source-missing', p.line, `${parts.join('; ')}: the build fails here${hint}`);
  });
}

// ---- base-image-unpinned / base-image-eol ------------------------------------

/** Node majors past end of life on 2026-04-30, with the date they went. */
const NODE_EOL: Record<number, string> = { 14: '2023-04-30', 16: '2023-09-11', 18: '2025-04-30', 19: '2023-06-01', 20: '2026-04-30', 21: '2024-06-01', 23: '2025-06-01' };

function nodeMajorOf(ref: ImageRef): number | null {
  const m = isOfficialNode(ref) ? /^(\d+)/.exec(ref.tag ?? '') : /(?:^|\/)(?:distroless\/)?nodejs(\d+)/.exec(ref.image);
  return m ? Number(m[1]) : null;
}

function isEol(major: number): boolean {
  return major <= 20 || major in NODE_EOL;
}

function baseImageChecks(tree: DockerfileTree): Report[] {
  const out: Report[] = [];
  for (const stage of tree.stages) {
    const ref = externalRef(tree, stage);
    if (!ref || ref.image === 'scratch') continue;
    const line = stage.from.line;
    const floating = ref.tag === null || ref.tag === 'latest' || (isOfficialNode(ref) && !/^\d/.test(ref.tag));
    if (!ref.digest && floating)
      out.push(report('base-image-unpinned', line, `FROM ${ref.text} floats: the next pull can change the Node major under the app; pin a version such as ${ref.image}:22-alpine`));
    const major = nodeMajorOf(ref);
    if (major !== null && isEol(major))
      out.push(report('base-image-eol', line, `FROM ${ref.text} is Node ${major}, end of life${NODE_EOL[major] ? ` since ${NODE_EOL[major]}` : ''}: no more security fixes; move to Node 22 or 24 LTS`));
  }
  return out;
}

// ---- secret-in-image --------------------------------------------------------

const SECRET_NAME = /(?:^|_)(?:SECRET|TOKEN|PASSWORD|KEY)$/i;
/** Build-time variables a bundler inlines into browser code are public by design. */
const PUBLIC_PREFIX = /^(?:NEXT_PUBLIC_|VITE_|REACT_APP_|EXPO_PUBLIC_|NUXT_PUBLIC_|PUBLIC_)/;
const ENV_FILE = /^\.env(?:\..+)?$/;
const ENV_TEMPLATE = /\.(?:example|sample|template|defaults?|dist)$/;

interface Prop {
  getName(): string;
  getValue(): string | null;
}

function literalSecrets(tree: DockerfileTree): Report[] {
  const out: Report[] = [];
  for (const i of tree.instructions) {
    if (i.keyword !== 'ENV' && i.keyword !== 'ARG') continue;
    const props: Prop[] = (i.node as unknown as { getProperties(): Prop[] }).getProperties();
    for (const p of props) {
      const name = p.getName();
      const value = p.getValue();
      if (!SECRET_NAME.test(name) || PUBLIC_PREFIX.test(name) || value === null || value.trim() === '' || value.includes('$')) continue;
      out.push(
        report('secret-in-image', i.line, `${i.keyword} ${name} has a literal value: it is baked into the image (docker history / inspect show it); inject it at runtime from the platform's secret store`),
      );
    }
  }
  return out;
}

function envFilesCopied(ctx: DockerfileContext): Report[] {
  const out: Report[] = [];
  const runtime = imageChain(ctx.tree);
  const context = buildContext(ctx);
  const ignored = dockerignoreOf(ctx.workspace, ctx.path, context.dir);
  const excluded = ignored ? dockerignoreMatcher(ignored.text) : () => false;
  for (const stage of runtime)
    for (const instr of stage.instructions) {
      if (instr.keyword !== 'COPY' && instr.keyword !== 'ADD') continue;
      const sources = sourcesOf(instr);
      const named = sources.find((s) => ENV_FILE.test(path.posix.basename(s)) && !ENV_TEMPLATE.test(s));
      const wholeContext =
        readsContext(instr) && sources.some((s) => join('.', s.replace(/^\/+/, '')) === '.') && ctx.workspace.exists(join(context.dir, '.env')) && !excluded('.env');
      if (named) out.push(report('secret-in-image', instr.line, `${instr.keyword} copies ${named} into the runtime image: its secrets ship with every pull; pass them as runtime environment instead`));
      else if (wholeContext)
        out.push(report('secret-in-image', instr.line, `${instr.keyword} copies the whole context and ${join(context.dir, '.env')} is not excluded by a .dockerignore: the .env ships in the image`));
    }
  return out;
}

export const transform: Transform<'dockerfile'> = {
  id: 'dockerfile-checks',
  kind: 'dockerfile',
  description: 'report-only Dockerfile checks: CMD path, COPY sources, base image pinning and end of life, secrets in the image',
  rules,
  detect(ctx) {
    if (!ctx.tree.final) return [];
    return [...cmdPathMismatch(ctx), ...copySourceMissing(ctx), ...baseImageChecks(ctx.tree), ...literalSecrets(ctx.tree), ...envFilesCopied(ctx)];
  },
};
