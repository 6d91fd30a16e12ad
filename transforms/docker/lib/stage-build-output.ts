// Whether the build produces the file an image runs, read from the repo
// rather than guessed. The file is traced back through the Dockerfile to the
// stage that holds it and its repo path (stage-build-trace.ts); that stage's
// RUN lines, followed through package.json scripts, name the build tools
// (stage-build-scripts.ts), and each tool says what it emits
// (stage-build-tools.ts, stage-build-tsconfig.ts). A mismatch is reported
// only when every tool's output is known and none writes the file: a wrong
// blocking finding costs more than a missed one, so anything the repo does
// not show (a JS build script, a base tsconfig in node_modules, a wildcard
// COPY) means no verdict.
import path from 'node:path';
import type { DockerfileContext, WorkspaceView } from '../../../src/engine/types.js';
import { SOURCE_EXT, stemOf, TS_EXT, within, type ToolOutput } from './stage-build-emit.js';
import type { Service } from './stage-build-tools.js';
import { Trace, type Origin } from './stage-build-trace.js';

export type EntryVerdict = { ok: true } | { ok: false; expected: string | null; reason: string } | null;

/** The files node may load for `target`: itself, or for an extensionless path `x.js` and `x/index.js`. */
function candidates(target: string): string[] | null {
  const ext = path.posix.extname(target);
  if (ext === '') return [`${target}.js`, `${target}/index.js`];
  return SOURCE_EXT[ext] ? [target] : null;
}

/** Whether the tools write `target` (repo-relative); null when they do not say. */
function judge(ws: WorkspaceView, outputs: ToolOutput[], target: string, dir: string): EntryVerdict {
  const files = candidates(target);
  if (!files) return null;
  if (ws.exists(target)) return { ok: true };
  const answers = files.flatMap((f) => outputs.map((o) => ({ o, verdict: o.emits(f) })));
  if (answers.some((a) => a.verdict === 'yes')) return { ok: true };
  if (answers.some((a) => a.verdict === 'unknown')) return null;
  const expected = outputs.map((o) => o.entry()).find((e) => e !== null) ?? null;
  const refused = answers.find((a) => a.verdict === 'no');
  if (refused) return { ok: false, expected, reason: refused.o.missing };
  // Outside everything the build writes: only a .js twin of TypeScript source is a sure mistake.
  const source = TS_EXT.map((e) => stemOf(target) + e).find((s) => ws.exists(s));
  return source ? { ok: false, expected, reason: `${path.posix.relative(dir, source)} is TypeScript source; node runs the compiled output` } : null;
}

/** What the build of an origin stage emits: its RUN lines, else (a build run before `docker build`) the service's build script. */
function outputsOf(trace: Trace, origin: Origin, service: Service): ToolOutput[] | null {
  const walk = trace.walk(origin.stage, origin);
  walk.lifecycle();
  if (!walk.unknown && walk.outputs.length === 0) walk.script(service.dir, 'build', 0);
  return walk.unknown || walk.outputs.length === 0 ? null : walk.outputs;
}

/**
 * Whether the file the image runs at `imagePath` (absolute, in the final
 * stage) is what the service's build produces; null when the repo does not say.
 */
export function checkEntry(ctx: DockerfileContext, imagePath: string): EntryVerdict {
  const final = ctx.tree.final;
  if (!final) return null;
  const service = { dir: ctx.service?.dir ?? path.posix.dirname(ctx.path), manifest: ctx.service?.manifest ?? {}, name: ctx.service?.name };
  const trace = new Trace(ctx, service);
  const origins = trace.origins(final, imagePath);
  if (!origins || origins.length === 0) return null;
  let refusal: EntryVerdict = null;
  for (const origin of origins) {
    if (!within(service.dir, origin.repo)) return null;
    const outputs = outputsOf(trace, origin, service);
    const verdict = outputs && judge(ctx.workspace, outputs, origin.repo, service.dir);
    if (!verdict) return null;
    if (verdict.ok) return verdict;
    refusal ??= verdict;
  }
  return refusal;
}
