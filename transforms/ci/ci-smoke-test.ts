// ci-smoke-test: an image that builds is not an image that starts. A workflow
// that builds (and often pushes) images without ever running one ships the
// "pnpm: not found" crash loop, a missing dist/ or a CMD path typo straight to
// the cluster. This inserts, per untested build step, a smoke step that starts
// the image with safe dummy env, waits, and fails on an exited container or a
// startup error in its log.
//
// Getting the image: a build-push-action step that already loads a plainly
// tagged image is tested right after it. Otherwise (it pushes, or its tags come
// from docker/metadata-action) a copy of the build with `load: true` and a
// local tag runs first, then the smoke test, then the original step: Docker's
// "test before push" pattern, so a broken image is never pushed and the second
// build comes from the builder's cache. `docker build -t …` run steps are
// tested after the step, by their tag.
import { isMap, type Document, type Node, type YAMLMap } from 'yaml';
import type { Report, Service, Transform, YamlContext } from '../../src/engine/types.js';
import { dummyEnv, loadBuildNode, smokeStepNode } from './lib/smoke-step.js';
import { buildOf, dependents, jobsOf, lineOf, matrixKeys, runsImage, str, type Build, type Job } from './lib/workflow.js';

const RULE = 'ci-missing-smoke-test';

interface Untested {
  job: Job;
  index: number;
  build: Build;
  line: number;
  /**
   * `after`: smoke test the step's own image right after it; `before`: a
   * loading build and the smoke test go before the step. Null when a person
   * has to add the test (`message` says why).
   */
  fix: { mode: 'after' | 'before'; image: string } | null;
  message: string;
}

function stepName(step: YAMLMap, build: Build): string {
  return str(step.get('name', true)) ?? (build.kind === 'action' ? (str(step.get('uses', true)) ?? 'build') : 'docker build');
}

/** The matrix key that names the service being built, e.g. `service` in `${{ matrix.service }}`. */
function serviceKey(job: Job, step: YAMLMap): string | null {
  const keys = matrixKeys(String(step)).filter((k) => job.matrix.has(k));
  return keys.find((k) => k === 'service') ?? keys.find((k) => /service|app|image|name/.test(k)) ?? keys[0] ?? null;
}

/** The workspace services this build may produce: the matrix values, else the service whose folder the step names. */
function builtServices(ctx: YamlContext, job: Job, step: YAMLMap): Service[] {
  const all = ctx.workspace.services;
  const key = serviceKey(job, step);
  const fromMatrix = key ? all.filter((s) => job.matrix.get(key)!.includes(s.name)) : [];
  if (fromMatrix.length > 0) return fromMatrix;
  const text = String(step);
  const named = all.filter((s) => s.dir !== '.' && text.includes(s.dir));
  return named.length > 0 ? named : all;
}

function localTag(job: Job, step: YAMLMap): string {
  const key = serviceKey(job, step);
  const name = key ? `\${{ matrix.${key} }}` : job.id.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  return `smoke-test/${name}:ci`;
}

/**
 * A `-t` word as a value for the smoke step's env: quotes dropped and `$VAR`
 * turned into `${{ env.VAR }}` (step env values are not shell-expanded).
 * Null when the word needs a shell to mean anything (command substitution,
 * single quotes).
 */
function tagForEnv(tag: string): { value: string; vars: string[] } | null {
  const exprs: string[] = [];
  const masked = tag.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => `\u0000${exprs.push(m) - 1}\u0000`);
  if (/['`]|\$\(/.test(masked)) return null;
  const vars: string[] = [];
  const value = masked
    .replace(/"/g, '')
    .replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_, name: string) => {
      vars.push(name);
      return `\${{ env.${name} }}`;
    })
    .replace(/\u0000(\d+)\u0000/g, (_, i: string) => exprs[Number(i)]!);
  return { value, vars };
}

/** Whether the job's or the workflow's `env:` defines `name` (so `${{ env.name }}` works in a later step). */
function inEnv(name: string, job: Job, doc: Document): boolean {
  return [job.map.get('env', true), doc.get('env', true)].some((env) => isMap(env) && env.has(name));
}

function decide(ctx: YamlContext, job: Job, build: Build): Untested['fix'] | string {
  if (/windows|macos/i.test(job.runsOn)) return `job "${job.id}" runs on ${job.runsOn}, where Linux images do not run; smoke test the image in a Linux job`;
  if (build.kind === 'action') {
    return build.load && build.tag ? { mode: 'after', image: build.tag } : { mode: 'before', image: localTag(job, build.step) };
  }
  if (build.several) return 'the step builds several images (a loop or a list); add a smoke step per image';
  if (build.tag === null) return 'the build names no -t tag to run; tag the image, then run it in a smoke step';
  if (build.pushOnly) return 'buildx pushes without --load, so the runner cannot start the image before it is pushed; add --load (or a separate loading build) and a smoke step';
  const tag = tagForEnv(build.tag);
  if (!tag) return `the tag ${build.tag} needs a shell to expand; use a plain tag so a smoke step can run it`;
  const unknown = tag.vars.filter((v) => !inEnv(v, job, ctx.doc));
  if (unknown.length > 0) return `the tag uses shell variable(s) ${unknown.map((v) => `$${v}`).join(', ')} set inside the step; put them in the job's env so a smoke step can use the tag`;
  return { mode: 'after', image: tag.value };
}

function plan(ctx: YamlContext): Untested[] {
  const jobs = jobsOf(ctx.doc);
  const out: Untested[] = [];
  for (const job of jobs) {
    const steps = job.steps?.items ?? [];
    const runs = steps.map(runsImage);
    const builds = steps.map(buildOf);
    const downstream = dependents(jobs, job.id).some((d) => (d.steps?.items ?? []).some(runsImage));
    // Tested: a run after the build, a dependent job that runs images, or an
    // earlier build-then-run in the job ("test before push": load, test, push).
    const tested = (i: number) => downstream || runs.slice(i + 1).some(Boolean) || runs.slice(0, i).some((r, j) => r && builds.slice(0, j).some(Boolean));
    builds.forEach((build, index) => {
      if (!build || tested(index)) return;
      const line = lineOf(ctx.text, build.step);
      const decision = decide(ctx, job, build);
      const what = `job "${job.id}" builds an image in step "${stepName(build.step, build)}" and never runs it: an image that cannot start (the "pnpm: not found" crash loop) ships anyway`;
      out.push(
        typeof decision === 'string'
          ? { job, index, build, line, fix: null, message: `manual: ${what}; ${decision}` }
          : { job, index, build, line, fix: decision, message: `${what}; add a smoke test that starts it` },
      );
    });
  }
  return out;
}

export const transform: Transform<'workflow'> = {
  id: 'ci-smoke-test',
  kind: 'workflow',
  description: 'image build workflows start each built image with dummy env and fail when it does not stay up',
  rules: {
    [RULE]: {
      id: RULE,
      severity: 'info',
      description: 'image build workflow with no step that runs the built image',
      rationale: 'A build proves the image builds, not that it starts: a missing binary, file or CMD path only shows when the container runs.',
      fixedBy: 'ci-smoke-test',
    },
  },
  detect(ctx): Report[] {
    return plan(ctx).map((u) => ({ rule: RULE, line: u.line, message: u.message, ...(u.fix ? {} : { fixable: false }) }));
  },
  fix(ctx) {
    const todo = plan(ctx).filter((u) => u.fix && !ctx.suppressed(RULE, u.line));
    // Back to front, so earlier indices stay valid.
    for (const u of todo.sort((a, b) => b.index - a.index)) {
      const fix = u.fix!;
      const key = serviceKey(u.job, u.build.step);
      const smoke = smokeStepNode(ctx.doc, {
        name: key ? `Smoke test \${{ matrix.${key} }}` : 'Smoke test image',
        image: fix.image,
        env: dummyEnv(builtServices(ctx, u.job, u.build.step), ctx.workspace),
        condition: (u.build.step.get('if', true) as Node | undefined) ?? null,
      });
      const inserted = fix.mode === 'after' ? [smoke] : [loadBuildNode(ctx.doc, u.build as Extract<Build, { kind: 'action' }>, fix.image), smoke];
      // Follow the file's layout: blank lines between steps when the build step has one.
      for (const node of inserted) node.spaceBefore = !!u.build.step.spaceBefore;
      u.job.steps!.items.splice(fix.mode === 'after' ? u.index + 1 : u.index, 0, ...inserted);
    }
    return todo.length > 0;
  },
};
