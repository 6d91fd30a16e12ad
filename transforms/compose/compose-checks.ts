// compose-checks (report only): a compose `build` whose context folder or
// Dockerfile does not exist fails `docker compose up --build` on a fresh
// checkout, usually after a service folder was renamed or moved. Paths are
// resolved the way compose resolves them: context against the compose file's
// folder, dockerfile against the context. What shipshape cannot check (a git
// URL, a `${VAR}` path, a path outside the repository, an inline Dockerfile)
// is left alone.
import path from 'node:path';
import type { Report, Transform, YamlContext } from '../../src/engine/types.js';
import { buildOf, composeEntries, lineOf, type BuildSpec, type ComposeEntry } from '../../src/workspace/compose.js';

const RULE = 'compose-build-missing';

/** A context compose fetches from elsewhere: nothing on disk to check. */
const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|github\.com\/)|\.git(#.*)?$/;

/** False for paths shipshape cannot check: interpolated, absolute, or outside the workspace root. */
function checkable(raw: string, resolved: string): boolean {
  return !raw.includes('$') && !path.posix.isAbsolute(raw) && !resolved.startsWith('..');
}

function missingParts(ctx: YamlContext, entry: ComposeEntry, build: BuildSpec): Report[] {
  const { rawContext, context } = build;
  if (rawContext === null || context === null || REMOTE.test(rawContext) || !checkable(rawContext, context)) return [];
  const exists = (rel: string) => rel === '.' || ctx.workspace.exists(rel);
  if (!exists(context))
    return [{ rule: RULE, line: lineOf(ctx.text, build.contextNode, entry.line), message: `manual: build context ${rawContext} of compose service "${entry.name}" does not exist (${context} from the repository root); fix the path` }];
  if (build.inline || build.dockerfile === null) return [];
  if (build.rawDockerfile !== null && !checkable(build.rawDockerfile, build.dockerfile)) return [];
  if (exists(build.dockerfile)) return [];
  // Without `dockerfile:`, the builder also accepts a lower-case `dockerfile`.
  if (build.rawDockerfile === null && exists(path.posix.join(context, 'dockerfile'))) return [];
  const written = build.rawDockerfile ?? 'Dockerfile (the default)';
  return [{ rule: RULE, line: lineOf(ctx.text, build.dockerfileNode ?? build.contextNode, entry.line), message: `manual: compose service "${entry.name}" builds with ${written}, but ${build.dockerfile} does not exist; fix the dockerfile path` }];
}

export const transform: Transform<'compose'> = {
  id: 'compose-checks',
  kind: 'compose',
  description: 'compose checks without an automatic fix: build paths that do not exist',
  rules: {
    [RULE]: {
      id: RULE,
      severity: 'blocking',
      description: 'compose `build` context or `dockerfile` that does not exist',
      rationale: 'The build fails before any container starts: `docker compose up --build` and every CI job using the file break.',
      fixedBy: null,
    },
  },
  detect(ctx) {
    const entries = composeEntries(ctx.doc, ctx.text);
    return entries.flatMap((entry) => {
      const build = buildOf(entry, ctx.path, ctx.doc, entries);
      return build ? missingParts(ctx, entry, build) : [];
    });
  },
};
