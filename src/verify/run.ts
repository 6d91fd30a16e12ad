// One verify run, start to end: find the service and its entry, build when
// the entry is missing or stale, start it with its dependencies down, run the
// five checks in order, and stop everything it started on every path.
import path from 'node:path';
import { loadTransforms } from '../../transforms/registry.js';
import { UsageError } from '../engine/pipeline.js';
import type { AnyTransform } from '../engine/types.js';
import { hasBuildScript, runBuild, type BuildResult } from './build.js';
import { gracefulStop, liveness, readiness, readinessRecovers, result, survives, CHECKS, type CheckContext, type CheckResult } from './checks.js';
import { Child, seconds } from './child.js';
import { Cleanup } from './cleanup.js';
import { entryCandidates, pickEntry, staleAgainst, type Entry } from './entry.js';
import { buildEnv, type Dependency, type EnvEntry } from './env.js';
import { loadTarget, type Target } from './target.js';

export interface VerifyOptions {
  settleMs: number;
  graceMs: number;
  /** How long /ready may take to turn 200 once Redis is up; default max(5 s, 2 × settle), at most 30 s. */
  recoverMs?: number;
  /** Stops everything the run started; the CLI shares it with its signal handlers. */
  cleanup?: Cleanup;
  transforms?: AnyTransform[];
  /** Called once the service is started, then after each check (text output streams these). */
  onStart?(run: VerifyResult): void;
  onCheck?(check: CheckResult): void;
}

export interface VerifyResult {
  version: 1;
  ok: boolean;
  service: { name: string; dir: string; type: string; root: string };
  entry: { command: string[]; cwd: string; source: string; shown: string; notes: string[] } | null;
  build: BuildResult | null;
  /** The free loopback port given as PORT (HTTP services). */
  port: number | null;
  environment: EnvEntry[];
  dependencies: Dependency[];
  checks: CheckResult[];
  durationMs: number;
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/') || '.';
}

/** Picks the entry, building first when it is missing or older than a source. */
async function prepareEntry(target: Target, cleanup: Cleanup): Promise<{ entry: Entry | null; build: BuildResult | null; missing: string[] }> {
  const candidates = entryCandidates(target);
  if (candidates.length === 0)
    throw new UsageError(`${rel(process.cwd(), target.dir)}: cannot tell how to start ${target.service.name}: no Dockerfile CMD/ENTRYPOINT that runs node, no package.json#main, no start script`);
  let entry = pickEntry(candidates);
  let reason: string | null = null;
  if (!entry) reason = `entry missing: ${[...new Set(candidates.filter((c) => !c.problem).map((c) => rel(target.root, c.files[0]!.file)))].join(', ') || 'no runnable candidate'}`;
  else if (!target.sources.includes(entry.file)) {
    // Build output (discovery never lists dist/, build/, out/): rebuild when a source changed
    // since, e.g. after `shipshape fix`. An entry that is itself a source is never rebuilt.
    const stale = staleAgainst(entry.file, target.sources);
    if (stale) reason = `${rel(target.root, stale)} is newer than ${rel(target.root, entry.file)}`;
  }
  let build: BuildResult | null = null;
  if (reason && hasBuildScript(target.service.manifest)) {
    build = await runBuild(target.dir, reason, cleanup);
    if (build.ok) entry = pickEntry(candidates);
  }
  const missing = candidates.map((c) => (c.problem ? `${c.source}: ${c.problem}` : `${c.source} (${c.shown}) → ${rel(target.root, c.files[0]!.file)} does not exist`));
  return { entry, build, missing };
}

export async function verify(dir: string, opts: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const cleanup = opts.cleanup ?? new Cleanup();
  try {
    const target = await loadTarget(dir, opts.transforms ?? (await loadTransforms()));
    const run: VerifyResult = {
      version: 1,
      ok: false,
      service: { name: target.service.name, dir: target.service.dir, type: target.service.type, root: target.root },
      entry: null,
      build: null,
      port: null,
      environment: [],
      dependencies: [],
      checks: [],
      durationMs: 0,
    };
    const finish = (checks: CheckResult[]) => {
      run.checks = checks;
      run.ok = checks.every((c) => c.status !== 'fail');
      run.durationMs = Math.round(performance.now() - started);
      return run;
    };
    const { entry, build, missing } = await prepareEntry(target, cleanup);
    run.build = build;
    const plan = await buildEnv(target);
    run.port = plan.port;
    run.environment = plan.entries;
    run.dependencies = plan.dependencies;

    if (!entry || (build && !build.ok)) {
      const summary = build && !build.ok ? `\`${build.command}\` failed (${build.exitCode === null ? 'timed out' : `exit code ${build.exitCode}`}) after ${seconds(build.ms)}` : 'nothing to run: no entry file exists';
      const evidence = build && !build.ok ? build.tail : missing;
      opts.onStart?.(run);
      const checks = CHECKS.map((c, i) => (i === 0 ? result(c.id, 'fail', summary, evidence) : result(c.id, 'skip', 'not run: the service did not start')));
      checks.forEach((c) => opts.onCheck?.(c));
      return finish(checks);
    }

    const args = [...entry.nodeArgs, entry.file, ...entry.args];
    run.entry = { command: ['node', ...entry.nodeArgs, rel(entry.cwd, entry.file), ...entry.args], cwd: rel(target.root, entry.cwd), source: entry.source, shown: entry.shown, notes: entry.notes };
    const child = new Child(process.execPath, args, { cwd: entry.cwd, env: plan.env, cleanup });
    opts.onStart?.(run);

    const settleMs = opts.settleMs;
    const manifestDeps = { ...(target.service.manifest.dependencies as object), ...(target.service.manifest.devDependencies as object) };
    const ctx: CheckContext = {
      child,
      cleanup,
      port: plan.port,
      health: { route: target.service.health ?? '/health', fromInventory: !!target.service.health },
      ready: { route: target.service.ready ?? '/ready', fromInventory: !!target.service.ready },
      inventoryPort: target.service.port,
      dependencies: plan.dependencies,
      consumer: target.service.type === 'worker' && ('kafkajs' in manifestDeps || plan.dependencies.some((d) => d.kind === 'kafka')),
      settleMs,
      graceMs: opts.graceMs,
      recoverMs: opts.recoverMs ?? Math.min(30_000, Math.max(5000, 2 * settleMs)),
    };
    const checks: CheckResult[] = [];
    const record = (c: CheckResult) => {
      checks.push(c);
      opts.onCheck?.(c);
      return c;
    };
    record(await survives(ctx));
    record(await liveness(ctx));
    const ready = record(await readiness(ctx));
    record(await readinessRecovers(ctx, ready.status === 'pass'));
    record(await gracefulStop(ctx));
    return finish(checks);
  } finally {
    cleanup.runAll();
  }
}
