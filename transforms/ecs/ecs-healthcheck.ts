// ecs-healthcheck: ECS never runs the HEALTHCHECK baked into an image; it runs
// only the `healthCheck` of the task definition's container definition. A
// service container without one is "healthy" as soon as its process exists,
// so a hung or still-connecting server keeps its tasks in service. This adds
// the Dockerfile fixer's own node probe (exec form, PORT from the environment,
// 127.0.0.1, no curl needed) with the same timing. And since ECS sends SIGKILL
// `stopTimeout` seconds (30 by default) after SIGTERM, a container whose
// shutdown handler may take longer is killed mid-drain: stopTimeout is raised
// above the handler's force-exit timer.
import { imageFacts } from '../compose/lib/compose-file.js';
import { nodeProbeArgv, PROBE_FLAGS } from '../docker/lib/stage-healthcheck.js';
import { serviceOfContainer } from '../lib/deploy-target.js';
import type { EcsContext, Report, Service, TextEdit, Transform } from '../../src/engine/types.js';
import { containersOf, environmentPort, formattingOf, mappedPort, propertyNode, setProperty, type EcsContainer } from './lib/task-definition.js';

const MISSING = 'ecs-missing-healthcheck';
const STOP = 'ecs-stop-timeout-short';

/** ECS's stopTimeout when the container definition sets none (Fargate, and EC2 without ECS_CONTAINER_STOP_TIMEOUT). */
const DEFAULT_STOP_S = 30;
/** ECS rejects a larger stopTimeout (Fargate's limit, and the API's). */
const MAX_STOP_S = 120;
/** Beyond the handler's timer: the process still has to exit and flush its logs after the timer fires. */
const STOP_MARGIN_S = 5;

/** A route shipshape puts inside a JS string literal: plain path characters only. */
const SAFE_ROUTE = /^\/[A-Za-z0-9._~/-]*$/;

/** The Dockerfile HEALTHCHECK's flags as ECS healthCheck fields, in seconds (ECS takes integers). */
function timing(): { interval: number; timeout: number; retries: number; startPeriod: number } {
  const flag = (name: string) => Number.parseInt(PROBE_FLAGS.find(([n]) => n === name)?.[1] ?? '', 10);
  return { interval: flag('interval'), timeout: flag('timeout'), retries: flag('retries'), startPeriod: flag('start-period') };
}

interface HealthFinding {
  container: EcsContainer;
  service: Service;
  message: string;
  /** The healthCheck to write; null when the fixer declines (the message says why). */
  healthCheck: Record<string, unknown> | null;
}

interface StopFinding {
  container: EcsContainer;
  service: Service;
  message: string;
  /** The stopTimeout to write; null when no allowed value is long enough. */
  stopTimeout: number | null;
}

interface Plan {
  health: HealthFinding[];
  stop: StopFinding[];
}

type HealthState = 'yes' | 'no' | 'disabled' | 'no-command';

function healthState(container: EcsContainer): HealthState {
  if (!propertyNode(container, 'healthCheck')) return 'no';
  const hc = container.value.healthCheck;
  const command = typeof hc === 'object' && hc !== null ? (hc as { command?: unknown }).command : undefined;
  if (!Array.isArray(command) || command.length === 0) return 'no-command';
  return command[0] === 'NONE' ? 'disabled' : 'yes';
}

/** How a message names the container: by the service too when its name differs. */
function containerOf(container: EcsContainer, service: Service): string {
  return container.label === service.name ? `ECS container "${container.label}"` : `ECS container "${container.label}" (service "${service.name}")`;
}

function healthFinding(ctx: EcsContext, container: EcsContainer, service: Service): HealthFinding | null {
  const state = healthState(container);
  if (state === 'yes') return null;
  const who = containerOf(container, service);
  const manual = (why: string): HealthFinding => ({ container, service, healthCheck: null, message: `manual: ${who} ${why}` });
  if (state === 'disabled') return manual('runs an HTTP service with its healthCheck disabled (command NONE); give it a probe unless something else watches it');
  if (state === 'no-command') return manual('has a healthCheck without a command, which ECS rejects; give it a command');
  const problem = "has no healthCheck (ECS ignores the image's HEALTHCHECK)";
  const facts = imageFacts(null, service, ctx.workspace);
  if (facts && !facts.runtimeImage.includes('node')) return manual(`${problem}, and its runtime image (${facts.runtimeImage}) may have no node binary for a node-based probe; add a healthCheck with a tool that image has`);
  const port = environmentPort(container) ?? mappedPort(container) ?? service.port;
  if (port === null) return manual(`${problem}, and shipshape cannot tell its port (no PORT in environment, no portMappings, none in the service's code or Dockerfile); add a healthCheck on its port`);
  const route = service.health ?? (service.type === 'api' ? '/health' : null);
  if (route === null) return manual(`${problem}, and it is a UI with no known health route; add a healthCheck on a route that answers 2xx`);
  if (!SAFE_ROUTE.test(route)) return manual(`${problem}, and its health route ${JSON.stringify(route)} is not a plain path; add a healthCheck by hand`);
  return {
    container,
    service,
    healthCheck: { command: ['CMD', ...nodeProbeArgv(port, route)], ...timing() },
    message: `${who} serves HTTP on port ${port} but ${problem}: a hung or still-starting server stays in service; add a node-based probe of ${route}`,
  };
}

function stopFinding(container: EcsContainer, service: Service): StopFinding | null {
  const timer = service.shutdownTimeoutMs;
  if (timer === null) return null;
  const set = container.value.stopTimeout;
  // A value that is not a number is not ECS's to read either: the API rejects the file before any timeout applies.
  if (set !== undefined && typeof set !== 'number') return null;
  const current = set ?? DEFAULT_STOP_S;
  if (current * 1000 > timer) return null;
  const timerS = timer / 1000;
  const now = set === undefined ? `has no stopTimeout (ECS's default: ${DEFAULT_STOP_S} s)` : `has stopTimeout ${set} s`;
  const problem = `${containerOf(container, service)} ${now}, but its service's shutdown handler may run ${timerS} s before it forces an exit: ECS sends SIGKILL first and cuts the drain short`;
  if (timer >= MAX_STOP_S * 1000)
    return { container, service, stopTimeout: null, message: `manual: ${problem}, and ECS allows at most ${MAX_STOP_S} s; shorten the service's shutdown timer below ${MAX_STOP_S} s` };
  const target = Math.min(MAX_STOP_S, Math.ceil(timerS) + STOP_MARGIN_S);
  return { container, service, stopTimeout: target, message: `${problem}; set stopTimeout to ${target}` };
}

function plan(ctx: EcsContext): Plan {
  const health: HealthFinding[] = [];
  const stop: StopFinding[] = [];
  for (const container of containersOf(ctx.tree, ctx.text)) {
    // A sidecar (log router, agent, proxy) is no service of the workspace: nothing to say about it.
    const service = serviceOfContainer(ctx.workspace.services, container.value);
    if (!service) continue;
    if (service.type === 'api' || service.type === 'ui') {
      const h = healthFinding(ctx, container, service);
      if (h) health.push(h);
    }
    const s = stopFinding(container, service);
    if (s) stop.push(s);
  }
  return { health, stop };
}

export const transform: Transform<'ecs'> = {
  id: 'ecs-healthcheck',
  kind: 'ecs',
  description: "node-based PORT-aware healthCheck for every HTTP service's ECS container; stopTimeout above the service's shutdown timer",
  needles: ['"containerDefinitions"'],
  rules: {
    [MISSING]: {
      id: MISSING,
      severity: 'risky',
      description: "ECS container definition of an HTTP service without healthCheck (ECS ignores the image's HEALTHCHECK)",
      rationale: 'ECS runs only the healthCheck of the container definition; without one a hung or still-starting server counts as healthy and keeps receiving traffic.',
      fixedBy: 'ecs-healthcheck',
    },
    [STOP]: {
      id: STOP,
      severity: 'info',
      description: "ECS `stopTimeout` (default 30 s) not longer than the service's shutdown timer",
      rationale: 'ECS sends SIGKILL stopTimeout seconds after SIGTERM; a shutdown that may take longer is cut off mid-drain, dropping in-flight requests and messages.',
      fixedBy: 'ecs-healthcheck',
    },
  },
  detect(ctx): Report[] {
    const { health, stop } = plan(ctx);
    const report = (rule: string, f: { container: EcsContainer; service: Service; message: string }, fixable: boolean): Report => ({
      rule,
      line: f.container.line,
      message: f.message,
      service: f.service.name,
      ...(fixable ? {} : { fixable: false }),
    });
    return [...health.map((h) => report(MISSING, h, h.healthCheck !== null)), ...stop.map((s) => report(STOP, s, s.stopTimeout !== null))].sort((a, b) => a.line - b.line);
  },
  fix(ctx): TextEdit[] {
    const { health, stop } = plan(ctx);
    const formatting = formattingOf(ctx.tree.root, ctx.text);
    const edits: TextEdit[] = [];
    for (const h of health) {
      if (h.healthCheck && !ctx.suppressed(MISSING, h.container.line)) edits.push(...setProperty(ctx.text, h.container, 'healthCheck', h.healthCheck, formatting));
    }
    // Two additions to one container overlap (each rewrites the end of the object): the engine applies the second on its next pass.
    for (const s of stop) {
      if (s.stopTimeout !== null && !ctx.suppressed(STOP, s.container.line)) edits.push(...setProperty(ctx.text, s.container, 'stopTimeout', s.stopTimeout, formatting));
    }
    return edits;
  },
};
