// Without a .dockerignore, `docker build` ships the whole context to the
// builder: host node_modules (wrong platform binaries that `COPY . .` lays
// over the image's own install), .git, stale dist folders of every service,
// and .env files that end up readable in a pushed image layer. This module
// creates one for the build context (lib/build-context.ts infers it): in the
// context folder when the Dockerfile sits there, else as `<Dockerfile>.dockerignore`
// (BuildKit reads it for that Dockerfile only), so Dockerfiles sharing the repo
// root never share exceptions. It never ignores a path the Dockerfile copies:
// such a path gets a `!path` exception after the generic patterns.
import path from 'node:path';
import type { DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, NewFile, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import { buildContext, movePending, type BuildContext } from './lib/build-context.js';
import { contextSources, dockerignoreMatcher, dockerignoreOf, join } from './lib/stage-context.js';
import { runtimeCommand, workdirAt } from './lib/stage-image.js';
import { stripWrappers } from '../../src/engine/shell.js';

const ID = 'dockerfile-dockerignore';

const rules: Record<string, RuleMeta> = {
  'dockerignore-missing': {
    id: 'dockerignore-missing',
    severity: 'info',
    description: 'build context has no .dockerignore (node_modules, .env and .git go into the image)',
    rationale: 'Host node_modules overwrite the image install with wrong-platform binaries, and .env files leak into pushed layers.',
    fixedBy: ID,
  },
};

const HEADER = [
  '# Written by shipshape (dockerignore-missing). The image installs and builds',
  '# its own dependencies: host copies of them, VCS data, logs and secrets stay',
  '# out of the build context. Paths the Dockerfile copies are never ignored.',
];

/** Generic patterns, grouped; `**\/` makes each one match at any depth, as in a monorepo. */
const GROUPS: [string, string[]][] = [
  ['dependencies and build output', ['**/node_modules', '**/dist', '**/.next', '**/.turbo', '**/coverage', '**/*.tsbuildinfo']],
  ['secrets', ['**/.env', '**/.env.*', '!**/.env.example']],
  ['VCS, CI, editors, logs', ['.git', '.github', '.vscode', '.idea', '**/.DS_Store', '**/*.log']],
];

/** True when a RUN line of any stage builds the app (tsc, nest, next, a `build` script…). */
function buildsInImage(tree: DockerfileTree): boolean {
  const builders = new Set(['tsc', 'nest', 'next', 'turbo', 'tsup', 'esbuild', 'webpack', 'rollup', 'vite', 'swc', 'babel']);
  return tree.instructions.some(
    (i) => i.keyword === 'RUN' && (tree.shellOf(i)?.commands ?? []).some((c) => {
      const args = stripWrappers(c.args);
      return builders.has(path.posix.basename(args[0] ?? '')) || args.includes('build');
    }),
  );
}

/**
 * Host-built output the image runs without building it (`COPY . .` then
 * `node dist/index.js`, no build step): that folder must not be ignored.
 */
function prebuiltOutput(ctx: DockerfileContext, context: BuildContext): string | null {
  if (buildsInImage(ctx.tree)) return null;
  const run = runtimeCommand(ctx.tree);
  const script = run && path.posix.basename(run.argv[0] ?? '') === 'node' ? run.argv.slice(1).find((a) => !a.startsWith('-')) : undefined;
  if (!run || !script) return null;
  const workdir = workdirAt(ctx.tree, run.instr);
  if (workdir === null) return null;
  const inContainer = path.posix.resolve(workdir, script);
  const relToWorkdir = path.posix.relative(workdir, inContainer);
  const top = relToWorkdir.split('/')[0];
  if (!top || top === '..' || !relToWorkdir.includes('/')) return null;
  const serviceDir = ctx.service?.dir ?? path.posix.dirname(ctx.path);
  return join(path.posix.relative(context.dir, serviceDir) || '.', top);
}

/** The .dockerignore text for this Dockerfile's context. */
export function dockerignoreText(ctx: DockerfileContext, context: BuildContext): string {
  const keep = contextSources(ctx.tree).map((s) => s.path).filter((p) => p !== '.');
  const prebuilt = prebuiltOutput(ctx, context);
  if (prebuilt) keep.push(prebuilt);
  const lines = GROUPS.flatMap(([title, patterns], n) => [...(n > 0 ? [''] : []), `# ${title}`, ...patterns]);
  const matches = dockerignoreMatcher(lines.join('\n'));
  const exceptions = [...new Set(keep.filter((p) => matches(p)))];
  const tail = exceptions.length > 0 ? ['', '# needed by the Dockerfile', ...exceptions.map((p) => `!${p}`)] : [];
  return [...HEADER, '', ...lines, ...tail, ''].join('\n');
}

interface Plan {
  reports: Report[];
  file: NewFile | null;
}

function plan(ctx: DockerfileContext): Plan {
  const first = ctx.tree.instructions[0];
  if (!first || !ctx.tree.final) return { reports: [], file: null };
  const context = buildContext(ctx);
  if (dockerignoreOf(ctx.workspace, ctx.path, context.dir)) return { reports: [], file: null };
  const where = context.dir === '.' ? 'the repo root' : context.dir;
  const reports: Report[] = [
    {
      rule: 'dockerignore-missing',
      line: first.line,
      message: `the build context (${where}) has no .dockerignore: node_modules, .git and .env files are sent to the builder and can land in the image`,
    },
  ];
  // A context shared by several Dockerfiles (a monorepo root) gets one ignore file per Dockerfile, which
  // BuildKit reads before the context's own: each keeps exactly the paths its Dockerfile copies.
  const target = context.dir === path.posix.dirname(ctx.path) ? join(context.dir, '.dockerignore') : `${ctx.path}.dockerignore`;
  const file = ctx.suppressed('dockerignore-missing', first.line) ? null : { path: target, text: dockerignoreText(ctx, context) };
  return { reports, file };
}

export const transform: Transform<'dockerfile'> = {
  id: ID,
  kind: 'dockerfile',
  description: 'create a .dockerignore in the build context that keeps node_modules, .git, dist and .env out',
  rules,
  detect: (ctx) => plan(ctx).reports,
  fix(ctx) {
    // A build moving to the repo root this run needs the root's ignore file, not its old folder's.
    if (movePending(ctx)) return [];
    const { file } = plan(ctx);
    if (file) ctx.createFile(file);
    return [];
  },
};
