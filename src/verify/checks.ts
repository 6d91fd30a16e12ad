// The five checks of `shipshape verify`, one function each. A check observes
// the running service and returns a verdict with evidence (exit code, log
// lines, timings, HTTP answers); it never throws for a misbehaving service.
import { seconds, type Child, type LogLine } from './child.js';
import type { Cleanup } from './cleanup.js';
import { DATA_KINDS, type Dependency } from './env.js';
import { describeExit, isHeadline, logLines, LOG_TAIL, names, telling } from './evidence.js';
import { describeProbe, probe, type Probe } from './http.js';
import { RedisUnavailableError, startRedis } from './redis.js';

export type CheckId = 'survives' | 'liveness' | 'readiness' | 'readiness-recovers' | 'graceful-stop';
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: CheckId;
  /** 1-based position, as the issue numbers them. */
  n: number;
  title: string;
  status: CheckStatus;
  /** One line: the verdict with its key evidence. */
  summary: string;
  /** Supporting lines: log tail, HTTP answers, hints. */
  evidence: string[];
  /** How long the check took. */
  ms: number;
}

export const CHECKS: { id: CheckId; title: string }[] = [
  { id: 'survives', title: 'survives' },
  { id: 'liveness', title: 'liveness' },
  { id: 'readiness', title: 'readiness' },
  { id: 'readiness-recovers', title: 'readiness recovers' },
  { id: 'graceful-stop', title: 'graceful stop' },
];

/** What the checks may look at. */
export interface CheckContext {
  child: Child;
  cleanup: Cleanup;
  /** HTTP services only. */
  port: number | null;
  health: { route: string; fromInventory: boolean };
  ready: { route: string; fromInventory: boolean };
  /** The port the inventory found (Dockerfile ENV, literal in code), for hints. */
  inventoryPort: number | null;
  dependencies: Dependency[];
  consumer: boolean;
  settleMs: number;
  graceMs: number;
  recoverMs: number;
  /** Set by the first check that saw the process exit; later checks are skipped. */
  exitReportedBy?: number;
  /** Set when liveness found nothing listening on PORT; readiness is then not probed. */
  notListening?: boolean;
}

export function result(id: CheckId, status: CheckStatus, summary: string, evidence: string[] = [], ms = 0): CheckResult {
  const n = CHECKS.findIndex((c) => c.id === id) + 1;
  return { id, n, title: CHECKS[n - 1]!.title, status, summary, evidence, ms: Math.round(ms) };
}

function dataDeps(ctx: CheckContext): Dependency[] {
  return ctx.dependencies.filter((d) => DATA_KINDS.includes(d.kind));
}

/**
 * The verdict of a check that finds the process gone: the first check to see
 * the exit fails with it; later ones are skipped, pointing at that check.
 */
function exited(ctx: CheckContext, id: CheckId, ms: number): CheckResult {
  const exit = ctx.child.exitInfo!;
  if (ctx.exitReportedBy) return result(id, 'skip', `not run: the process exited (check ${ctx.exitReportedBy})`);
  const tail = telling(ctx.child);
  const r = result(id, 'fail', `the service ${describeExit(exit, tail, ctx.dependencies)}`, logLines(tail), ms);
  ctx.exitReportedBy = r.n;
  return r;
}

export async function survives(ctx: CheckContext): Promise<CheckResult> {
  const exit = await ctx.child.waitExit(ctx.settleMs);
  const tail = telling(ctx.child);
  if (exit) {
    ctx.exitReportedBy = 1;
    return result('survives', 'fail', describeExit(exit, tail, ctx.dependencies), logLines(tail), exit.at);
  }
  const down = ctx.dependencies.length ? ` with ${names(ctx.dependencies)} down` : '';
  const last = ctx.child.tail(80).filter((l) => isHeadline(l.text)).slice(-2);
  return result('survives', 'pass', `still running after ${seconds(ctx.settleMs)}${down}`, logLines(last), ctx.settleMs);
}

async function poll(port: number, route: string, until: (p: Probe) => boolean, windowMs: number, child: Child): Promise<Probe> {
  const started = performance.now();
  let last = await probe(port, route);
  while (!until(last) && performance.now() - started < windowMs && !child.exitInfo) {
    await new Promise((r) => setTimeout(r, 200));
    last = await probe(port, route);
  }
  return last;
}

export async function liveness(ctx: CheckContext): Promise<CheckResult> {
  if (ctx.port === null) return result('liveness', 'skip', 'worker: no HTTP server to probe');
  const started = performance.now();
  if (ctx.child.exitInfo) return exited(ctx, 'liveness', 0);
  const { route, fromInventory } = ctx.health;
  const p = await poll(ctx.port, route, (x) => x.ok && x.status === 200, 3000, ctx.child);
  const ms = performance.now() - started;
  const evidence = fromInventory ? [] : [`the inventory found no health route; tried ${route}`];
  if (p.ok && p.status === 200) return result('liveness', 'pass', describeProbe(route, p), evidence, ms);
  if (ctx.child.exitInfo) return exited(ctx, 'liveness', ms);
  ctx.notListening = !p.ok && /ECONNREFUSED/.test(p.error);
  if (!p.ok && ctx.inventoryPort !== null && ctx.inventoryPort !== ctx.port)
    evidence.push(`PORT=${ctx.port} was set; the inventory saw port ${ctx.inventoryPort} in the code, Dockerfile or compose file: is PORT honoured?`);
  return result('liveness', 'fail', describeProbe(route, p), [...evidence, ...logLines(ctx.child.tail(3))], ms);
}

export async function readiness(ctx: CheckContext): Promise<CheckResult> {
  if (ctx.port === null) return result('readiness', 'skip', 'worker: no HTTP server to probe');
  const deps = dataDeps(ctx);
  if (deps.length === 0) return result('readiness', 'skip', 'no database, cache or broker to take down');
  if (ctx.child.exitInfo) return exited(ctx, 'readiness', 0);
  if (ctx.notListening) return result('readiness', 'skip', `not run: nothing listens on PORT ${ctx.port} (check 2)`);
  const { route, fromInventory } = ctx.ready;
  const p = await probe(ctx.port, route);
  const line = describeProbe(route, p);
  const evidence = fromInventory ? [] : [`the inventory found no readiness route; tried ${route}`];
  const down = `${names(deps)} ${deps.length > 1 ? 'are' : 'is'} down`;
  if (!p.ok) return result('readiness', 'fail', line, evidence, p.ms);
  if (p.status >= 200 && p.status < 300) return result('readiness', 'fail', `${line} while ${down}: readiness does not reflect its dependencies`, evidence, p.ms);
  if (p.status === 404 || p.status === 405) return result('readiness', 'fail', `${line}: no readiness route`, evidence, p.ms);
  return result('readiness', 'pass', `${line} while ${down}`, evidence, p.ms);
}

export async function readinessRecovers(ctx: CheckContext, readinessHeld: boolean): Promise<CheckResult> {
  if (ctx.port === null) return result('readiness-recovers', 'skip', 'worker: no readiness endpoint');
  const deps = dataDeps(ctx);
  const redis = deps.find((d) => d.kind === 'redis');
  if (!redis) return result('readiness-recovers', 'skip', deps.length ? `not Redis-backed (depends on ${names(deps)})` : 'not Redis-backed');
  const others = deps.filter((d) => d.kind !== 'redis');
  if (others.length) return result('readiness-recovers', 'skip', `also waits for ${names(others)}, which verify does not start`);
  if (!readinessHeld) return result('readiness-recovers', 'skip', 'readiness did not hold while Redis was down (check 3)');
  if (ctx.child.exitInfo) return exited(ctx, 'readiness-recovers', 0);
  const started = performance.now();
  // The server stays up until the run's cleanup: the service may talk to it while stopping.
  let server;
  try {
    server = await startRedis(redis.port, ctx.cleanup);
  } catch (err) {
    if (err instanceof RedisUnavailableError) return result('readiness-recovers', 'fail', `cannot start Redis: ${err.message}`, [], performance.now() - started);
    throw err;
  }
  const up = performance.now();
  const upAt = ctx.child.elapsed();
  const where = `redis-server started on 127.0.0.1:${redis.port} (${redis.names.join(', ')}; --save '' --appendonly no)`;
  const route = ctx.ready.route;
  const p = await poll(ctx.port, route, (x) => x.ok && x.status === 200, ctx.recoverMs, ctx.child);
  const ms = performance.now() - started;
  const redisLine = `redis-server pid ${server.pid ?? '?'} accepted connections after ${seconds(server.startupMs)}`;
  if (p.ok && p.status === 200) return result('readiness-recovers', 'pass', `GET ${route} → 200 ${seconds(performance.now() - up)} after ${where}`, [describeProbe(route, p), redisLine], ms);
  if (ctx.child.exitInfo) return exited(ctx, 'readiness-recovers', ms);
  const answer = p.ok ? `GET ${route} still ${p.status}` : describeProbe(route, p);
  return result('readiness-recovers', 'fail', `${answer} ${seconds(ctx.recoverMs)} after ${where}`, [describeProbe(route, p), redisLine, ...logLines(ctx.child.tail(4, upAt))], ms);
}

/** A log line saying a Kafka consumer stopped (kafkajs logs "[Consumer] Stopped" at INFO level). */
export const CONSUMER_STOPPED = /\[Consumer\] Stopped|consumer\b.{0,60}\b(disconnected|stopped|closed)\b|\b(disconnected|stopped|closed)\b.{0,60}\bconsumer/i;

/** A log line showing a Kafka client at work: kafkajs namespaces or the broker's closed port. */
function kafkaActivity(ctx: CheckContext, before: number): LogLine | undefined {
  const ports = ctx.dependencies.filter((d) => d.kind === 'kafka').map((d) => `127.0.0.1:${d.port}`);
  return ctx.child.lines.find((l) => l.at < before && (/\[(Consumer|Connection|BrokerPool|Runner|ConsumerGroup)\]/.test(l.text) || ports.some((p) => l.text.includes(p))));
}

export async function gracefulStop(ctx: CheckContext): Promise<CheckResult> {
  if (ctx.child.exitInfo) return exited(ctx, 'graceful-stop', 0);
  const sentAt = ctx.child.elapsed();
  ctx.child.signal('SIGTERM');
  const exit = await ctx.child.waitExit(ctx.graceMs);
  const after = ctx.child.lines.filter((l) => l.at >= sentAt);
  // The first lines after SIGTERM show what the handler did; the last ones what the process kept doing.
  const evidence = after.length > LOG_TAIL ? [...logLines(after.slice(0, 4)), '…', ...logLines(after.slice(-3))] : logLines(after);
  if (!exit) {
    ctx.child.kill();
    await ctx.child.waitExit(2000);
    return result('graceful-stop', 'fail', `still running ${seconds(ctx.graceMs)} after SIGTERM; killed with SIGKILL`, evidence, ctx.graceMs);
  }
  const took = exit.at - sentAt;
  if (exit.signal) {
    const quiet = !ctx.child.lines.some((l) => l.at < sentAt);
    return result(
      'graceful-stop',
      'fail',
      `terminated by ${exit.signal} after ${seconds(took)}: no handler ran`,
      [
        'as PID 1 in a container node ignores a signal it has no handler for; the platform kills it after the grace period',
        ...(quiet ? [`nothing was logged in the ${seconds(sentAt)} before SIGTERM: if the service was still starting, raise --settle`] : []),
        ...evidence,
      ],
      took,
    );
  }
  if (exit.code !== 0) return result('graceful-stop', 'fail', `exited with code ${exit.code} ${seconds(took)} after SIGTERM`, evidence, took);
  const done = `exited with code 0 ${seconds(took)} after SIGTERM`;
  const handlerLines = logLines(after.filter((l) => isHeadline(l.text)).slice(0, 3));
  if (!ctx.consumer) return result('graceful-stop', 'pass', done, handlerLines, took);
  const stopped = ctx.child.lines.find((l) => l.at >= sentAt && CONSUMER_STOPPED.test(l.text));
  if (stopped) return result('graceful-stop', 'pass', `${done}; consumer disconnected`, logLines([stopped]), took);
  const active = kafkaActivity(ctx, sentAt);
  if (active)
    return result(
      'graceful-stop',
      'fail',
      `${done}, but the log shows no consumer disconnect`,
      ['the consumer was started:', ...logLines([active]), 'after SIGTERM:', ...(evidence.length ? evidence : ['(nothing logged)']), 'kafkajs logs "[Consumer] Stopped" at INFO level once consumer.disconnect() runs; at a quieter logLevel, log the disconnect yourself'],
      took,
    );
  return result('graceful-stop', 'pass', `${done}; no consumer had started yet (no Kafka activity in the log), so none to disconnect`, handlerLines, took);
}
