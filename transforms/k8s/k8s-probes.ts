// k8s-probes: Kubernetes ignores a Dockerfile HEALTHCHECK. Without a
// readinessProbe a pod takes traffic the moment its process starts, before it
// listens; without a livenessProbe a hung server is never restarted. A
// liveness probe on the readiness route turns a database outage into a
// restart of every pod at once. And on shutdown Kubernetes sends SIGTERM while
// endpoints and load balancers still route to the pod, then SIGKILLs it when
// terminationGracePeriodSeconds runs out, whatever the shutdown handler's own
// timer says. This gives every HTTP container of a Deployment or StatefulSet
// httpGet probes on its health and ready routes, moves a liveness probe off
// the ready route, adds a preStop delay for endpoint removal and raises the
// grace period so that delay plus the shutdown timer fit. Edits go through
// the yaml Document API: comments, key order and the other documents of the
// file survive.
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseShell } from '../../src/engine/shell.js';
import type { K8sContext, Report, Service, Transform } from '../../src/engine/types.js';
import { lineOf, scalarText } from '../../src/workspace/compose.js';
import { serviceOfContainer } from '../lib/deploy-target.js';
import { keepSourceStyle } from './lib/style.js';
import { containerPorts, envPort, workloads, type Container, type Workload } from './lib/workloads.js';

const MISSING = 'k8s-missing-probes';
const LIVENESS = 'k8s-liveness-on-ready';
const GRACE = 'k8s-grace-too-short';

const PROBE_KEYS = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
type ProbeKey = (typeof PROBE_KEYS)[number];

/** Kubernetes' default when a pod spec does not set terminationGracePeriodSeconds. */
const DEFAULT_GRACE_S = 30;
/** How long a pod keeps serving after SIGTERM is due: time for its endpoint removal to reach kube-proxy, ingress and load balancers. */
const PRESTOP_S = 5;
/** Room between the shutdown handler's forced exit and SIGKILL: exit handlers, log flush, the kubelet's own slack. */
const GRACE_HEADROOM_S = 5;

/**
 * Probe timing. timeoutSeconds above the 1 s default: a Node process in a GC
 * pause or a busy tick answers late, and a late answer must not count as
 * dead. Liveness restarts after ~30 s of silence; readiness takes a pod out
 * of rotation within ~15 s. The startup probe polls every 2 s for up to 60 s
 * and holds liveness off until the server first answers.
 */
const TIMING: Record<ProbeKey, Record<string, number>> = {
  livenessProbe: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  readinessProbe: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  startupProbe: { periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
};

interface Target {
  workload: Workload;
  container: Container;
  service: Service;
  /** `Deployment "shop" container "orders"`, for messages. */
  label: string;
}

interface Routes {
  /** Liveness and startup: the route that never touches a dependency. */
  health: string;
  /** Readiness: where dependency state lives; the health route when the service has none. */
  ready: string;
  /**
   * The service serves before its dependencies are up (a ready route distinct
   * from health): it gets a startupProbe too.
   */
  startup: boolean;
}

interface MissingProbes {
  target: Target;
  line: number;
  missing: ProbeKey[];
  /** What the fixer writes; null when it declines (the message says why). */
  write: { port: number | string; routes: Routes } | null;
  message: string;
}

interface LivenessOnReady {
  target: Target;
  line: number;
  path: Node;
  health: string;
  message: string;
}

interface NoPreStop {
  target: Target;
  line: number;
  fixable: boolean;
  message: string;
}

interface GraceShort {
  target: Target;
  line: number;
  fixable: boolean;
  message: string;
}

interface Plan {
  targets: Target[];
  missing: MissingProbes[];
  liveness: LivenessOnReady[];
  preStop: NoPreStop[];
  grace: GraceShort[];
}

/** Probes and a preStop delay are for containers that serve HTTP; a worker's liveness is its own matter. */
function isHttp(service: Service): boolean {
  if (service.type === 'worker' || service.type === 'lib') return false;
  return service.type === 'api' || service.port !== null;
}

function routesOf(service: Service): Routes {
  // A UI without a known health route is probed on its page, where any status below 400 means "up".
  const health = service.health ?? (service.type === 'ui' ? '/' : '/health');
  const ready = service.ready ?? health;
  return { health, ready, startup: ready !== health };
}

/**
 * The port the container listens on: its PORT env (what the code reads), else
 * the service's known port, else its only containerPort. A probe names it by
 * the container port's name when one declares that number.
 */
function probePort(container: YAMLMap, service: Service): { number: number; ref: number | string } | null {
  const declared = containerPorts(container);
  const only = declared.length === 1 ? declared[0]!.number : null;
  const port = envPort(container) ?? service.port ?? only;
  if (port === null) return null;
  return { number: port, ref: declared.find((p) => p.number === port && p.name)?.name ?? port };
}

function map(node: unknown): YAMLMap | null {
  return isMap(node) ? node : null;
}

/** The `path` node of a probe's httpGet, when it is one. */
function httpGetPath(probe: unknown): Node | null {
  const httpGet = map(map(probe)?.get('httpGet', true));
  const path = httpGet?.get('path', true) as unknown;
  return isScalar(path) ? path : null;
}

/** The route part of a probe path: `/ready?full=1` is `/ready`. */
function routeOf(path: Node): string | null {
  const text = scalarText(path);
  return text === null ? null : (text.split('?')[0] ?? '');
}

/** Seconds a preStop hook holds SIGTERM back: the native sleep action, or an exec `sleep N`. */
function preStopSeconds(container: YAMLMap): number {
  const preStop = map(map(container.get('lifecycle', true))?.get('preStop', true));
  if (!preStop) return 0;
  const sleep = scalarText(map(preStop.get('sleep', true))?.get('seconds', true));
  if (sleep !== null && /^\d+$/.test(sleep)) return Number(sleep);
  const command = map(preStop.get('exec', true))?.get('command', true) as unknown;
  if (!isSeq(command)) return 0;
  const argv = command.items.map(scalarText);
  const script = argv[1] === '-c' && argv[2] ? argv[2] : argv.every((a) => a !== null) ? argv.join(' ') : null;
  if (script === null) return 0;
  try {
    let total = 0;
    for (const cmd of parseShell(script).commands) {
      const [program, seconds] = cmd.args;
      if (program && /(^|\/)sleep$/.test(program) && seconds && /^\d+$/.test(seconds)) total += Number(seconds);
    }
    return total;
  } catch {
    return 0;
  }
}

function hasPreStop(container: YAMLMap): boolean {
  return map(container.get('lifecycle', true))?.has('preStop') ?? false;
}

/** The pod's terminationGracePeriodSeconds: its node (null when unset) and value (null when not a whole number). */
function gracePeriod(podSpec: YAMLMap): { node: Node | null; seconds: number | null } {
  const node = podSpec.get('terminationGracePeriodSeconds', true) as Node | undefined;
  if (node === undefined) return { node: null, seconds: DEFAULT_GRACE_S };
  const text = isScalar(node) && typeof node.value === 'number' ? String(node.value) : null;
  return { node, seconds: text !== null && /^\d+$/.test(text) ? Number(text) : null };
}

function missingProbes(target: Target): MissingProbes | null {
  const { container, service, label } = target;
  const missing = (['livenessProbe', 'readinessProbe'] as const).filter((k) => !container.map.has(k));
  if (missing.length === 0) return null;
  const routes = routesOf(service);
  const what = missing.length === 2 ? 'no livenessProbe and no readinessProbe' : `no ${missing[0]}`;
  const harm = [
    missing.includes('readinessProbe') ? 'Kubernetes sends it traffic before it answers' : null,
    missing.includes('livenessProbe') ? 'a hung server is never restarted' : null,
  ]
    .filter(Boolean)
    .join(', and ');
  const at = { target, line: container.line, missing };
  const manual = (why: string) => ({ ...at, write: null, message: `manual: ${label} (service ${service.name}) has ${what}, and ${why}` });
  if (container.flow) return manual('it is written in flow style ({ … }), where block probes cannot go without rewriting it onto one line; add the probes by hand or write the container as a block map');
  const port = probePort(container.map, service);
  if (port === null) return manual("shipshape cannot tell its port (no PORT in its env, no port in the service's code or Dockerfile, not exactly one containerPort); add httpGet probes on its port");
  const probes = missing.map((k) => `${k === 'livenessProbe' ? 'liveness' : 'readiness'} on ${k === 'livenessProbe' ? routes.health : routes.ready}`).join(', ');
  const on = port.ref === port.number ? `${port.number}` : `${port.number}, named ${port.ref}`;
  return { ...at, write: { port: port.ref, routes }, message: `${label} (service ${service.name}, HTTP on port ${on}) has ${what}: ${harm}; add httpGet ${probes}` };
}

function livenessOnReady(target: Target, ctx: K8sContext): LivenessOnReady | null {
  const { container, service, label } = target;
  const path = httpGetPath(container.map.get('livenessProbe', true));
  if (!path) return null;
  const route = routeOf(path);
  const { health } = routesOf(service);
  const ready = service.ready ?? '/ready';
  if (route !== ready || route === health) return null;
  return {
    target,
    line: lineOf(ctx.text, path, container.line),
    path,
    health,
    message: `${label}: livenessProbe checks ${route}, the readiness route: when a dependency is down every pod fails it and Kubernetes restarts them all; point liveness at ${health} and keep ${route} for readiness`,
  };
}

function noPreStop(target: Target): NoPreStop | null {
  const { container, service, label } = target;
  if (!isHttp(service) || hasPreStop(container.map)) return null;
  const problem = `${label} (service ${service.name}) has no preStop delay: Kubernetes sends SIGTERM while endpoints and load balancers still route to the pod, so requests fail during every rollout`;
  if (container.flow) return { target, line: container.line, fixable: false, message: `manual: ${problem}; it is written in flow style ({ … }), so add lifecycle.preStop.sleep.seconds: ${PRESTOP_S} by hand` };
  return { target, line: container.line, fixable: true, message: `${problem}; add a ${PRESTOP_S} s preStop sleep` };
}

function graceShort(target: Target, ctx: K8sContext): GraceShort | null {
  const { container, service, workload, label } = target;
  if (service.shutdownTimeoutMs === null) return null;
  const { node, seconds } = gracePeriod(workload.podSpec);
  const line = node ? lineOf(ctx.text, node, container.line) : container.line;
  const delay = preStopSeconds(container.map);
  const need = service.shutdownTimeoutMs + delay * 1000;
  const timer = `${label}'s shutdown handler forces exit after ${service.shutdownTimeoutMs} ms${delay ? ` (after a ${delay} s preStop)` : ''}`;
  if (seconds === null) return { target, line, fixable: false, message: `manual: ${timer}, and terminationGracePeriodSeconds is not a whole number of seconds; set it above ${Math.ceil(need / 1000)}` };
  if (seconds * 1000 > need) return null;
  const set = node ? `is ${seconds}` : `is unset (${DEFAULT_GRACE_S} s)`;
  const problem = `terminationGracePeriodSeconds ${set} but ${timer}: Kubernetes SIGKILLs the pod before the handler finishes draining`;
  if (workload.podSpec.flow) return { target, line, fixable: false, message: `manual: ${problem}; the pod spec is written in flow style, so raise it by hand` };
  return { target, line, fixable: true, message: `${problem}; raise it to ${graceFor(need)}` };
}

function graceFor(needMs: number): number {
  return Math.ceil(needMs / 1000) + GRACE_HEADROOM_S;
}

function plan(ctx: K8sContext): Plan {
  const out: Plan = { targets: [], missing: [], liveness: [], preStop: [], grace: [] };
  for (const workload of workloads(ctx.docs, ctx.text)) {
    for (const container of workload.containers) {
      // A container no service of the workspace runs is a sidecar: not ours to judge.
      const service = serviceOfContainer(ctx.workspace.services, container);
      if (!service) continue;
      const target = { workload, container, service, label: `${workload.kind} "${workload.name}" container "${container.name ?? '(unnamed)'}"` };
      out.targets.push(target);
      const grace = graceShort(target, ctx);
      if (grace) out.grace.push(grace);
      if (!isHttp(service)) continue;
      const missing = missingProbes(target);
      if (missing) out.missing.push(missing);
      const liveness = livenessOnReady(target, ctx);
      if (liveness) out.liveness.push(liveness);
      const preStop = noPreStop(target);
      if (preStop) out.preStop.push(preStop);
    }
  }
  return out;
}

/**
 * Inserts pairs where a reader expects them: after the container's existing
 * probes, else after `ports`, else after `image`, else at the end.
 */
function insertNear(container: YAMLMap, pairs: Pair[], after: readonly string[]): void {
  const keys = container.items.map((p) => scalarText(p.key));
  let at = -1;
  for (const group of [PROBE_KEYS as readonly string[], ...after.map((k) => [k])]) {
    for (let i = 0; i < keys.length; i++) if (group.includes(keys[i] ?? '')) at = i;
    if (at !== -1) break;
  }
  container.items.splice(at === -1 ? container.items.length : at + 1, 0, ...pairs);
}

function probeNode(doc: Document, key: ProbeKey, path: string, port: number | string): Node {
  return doc.createNode({ httpGet: { path, port }, ...TIMING[key] }) as Node;
}

function addProbes(doc: Document, m: MissingProbes): void {
  const { port, routes } = m.write!;
  const container = m.target.container.map;
  const wanted: ProbeKey[] = [...m.missing];
  if (routes.startup && !container.has('startupProbe')) wanted.push('startupProbe');
  const pairs = PROBE_KEYS.filter((k) => wanted.includes(k)).map((k) => doc.createPair(k, probeNode(doc, k, k === 'readinessProbe' ? routes.ready : routes.health, port)) as Pair);
  insertNear(container, pairs, ['ports', 'image']);
}

/**
 * The native sleep action (Kubernetes 1.30+, beta and on by default; GA in
 * 1.34), not `exec: sleep`: the kubelet runs it, so it needs nothing from the
 * image. An exec `sleep` fails in a distroless or scratch image (no shell, no
 * sleep binary), and a failed preStop hook only logs an event: SIGTERM follows
 * at once, the delay silently never happens. An API server too old for the
 * sleep action rejects the manifest at apply time instead: loud, at deploy.
 */
function addPreStop(doc: Document, container: YAMLMap): void {
  const preStop = doc.createNode({ sleep: { seconds: PRESTOP_S } }) as Node;
  const lifecycle = map(container.get('lifecycle', true));
  if (lifecycle) lifecycle.set('preStop', preStop);
  else insertNear(container, [doc.createPair('lifecycle', doc.createNode({ preStop: { sleep: { seconds: PRESTOP_S } } })) as Pair], ['ports', 'image']);
}

/** Raises the pod's grace period to fit each placed container's preStop delay plus its shutdown timer (never lowers it). */
function fitGrace(ctx: K8sContext, p: Plan, workload: Workload): boolean {
  const skipped = new Set(p.grace.filter((g) => g.target.workload === workload && (!g.fixable || ctx.suppressed(GRACE, g.line))).map((g) => g.target.container));
  if (workload.podSpec.flow) return false;
  let need = 0;
  for (const t of p.targets) {
    if (t.workload !== workload || skipped.has(t.container) || t.service.shutdownTimeoutMs === null) continue;
    need = Math.max(need, t.service.shutdownTimeoutMs + preStopSeconds(t.container.map) * 1000);
  }
  const { node, seconds } = gracePeriod(workload.podSpec);
  if (need === 0 || seconds === null || seconds * 1000 > need) return false;
  const value = graceFor(need);
  if (node && isScalar(node)) node.value = value;
  else {
    const pairs = workload.podSpec.items;
    const containers = pairs.findIndex((pair) => scalarText(pair.key) === 'containers');
    pairs.splice(containers === -1 ? pairs.length : containers + 1, 0, workload.doc.createPair('terminationGracePeriodSeconds', value) as Pair<unknown, unknown>);
  }
  return true;
}

export const transform: Transform<'k8s'> = {
  id: 'k8s-probes',
  kind: 'k8s',
  description: 'httpGet liveness/readiness (and startup) probes for every HTTP container of a Deployment or StatefulSet; liveness off the ready route; a preStop delay and a grace period that fits the shutdown timer',
  needles: ['containers'],
  rules: {
    [MISSING]: {
      id: MISSING,
      severity: 'risky',
      description: 'Kubernetes container of an HTTP service without readinessProbe or livenessProbe',
      rationale: 'Kubernetes ignores the Dockerfile HEALTHCHECK: without a readinessProbe the pod takes traffic before it listens, without a livenessProbe a hung server is never restarted.',
      fixedBy: 'k8s-probes',
    },
    [LIVENESS]: {
      id: LIVENESS,
      severity: 'risky',
      description: 'Kubernetes livenessProbe on the readiness route',
      rationale: 'The ready route fails while a dependency is down, on every pod at once: Kubernetes then restarts them all, and a database outage becomes a restart storm.',
      fixedBy: 'k8s-probes',
    },
    [GRACE]: {
      id: GRACE,
      severity: 'info',
      description: 'terminationGracePeriodSeconds below the shutdown timer plus preStop delay, or no preStop delay on an HTTP container',
      rationale: 'Kubernetes SIGKILLs the pod when the grace period ends, whatever the shutdown handler is still draining; and without a preStop delay SIGTERM arrives while endpoints still route requests to the pod.',
      fixedBy: 'k8s-probes',
    },
  },
  detect(ctx): Report[] {
    const p = plan(ctx);
    const about = (t: Target) => ({ service: t.service.name });
    return [
      ...p.missing.map((m) => ({ rule: MISSING, line: m.line, message: m.message, ...about(m.target), ...(m.write ? {} : { fixable: false }) })),
      ...p.liveness.map((l) => ({ rule: LIVENESS, line: l.line, message: l.message, ...about(l.target) })),
      ...p.preStop.map((s) => ({ rule: GRACE, line: s.line, message: s.message, ...about(s.target), ...(s.fixable ? {} : { fixable: false }) })),
      ...p.grace.map((g) => ({ rule: GRACE, line: g.line, message: g.message, ...about(g.target), ...(g.fixable ? {} : { fixable: false }) })),
    ];
  },
  fix(ctx) {
    const p = plan(ctx);
    // Set before any node is added: the style is read from the source positions.
    for (const doc of ctx.docs) keepSourceStyle(doc, ctx.text);
    let changed = false;
    for (const m of p.missing) {
      if (!m.write || ctx.suppressed(MISSING, m.line)) continue;
      addProbes(m.target.workload.doc, m);
      changed = true;
    }
    for (const l of p.liveness) {
      if (ctx.suppressed(LIVENESS, l.line) || !isScalar(l.path)) continue;
      // The scalar keeps its quoting; only the route changes (a query string goes with the old route).
      l.path.value = l.health;
      changed = true;
    }
    for (const s of p.preStop) {
      if (!s.fixable || ctx.suppressed(GRACE, s.line)) continue;
      addPreStop(s.target.workload.doc, s.target.container.map);
      changed = true;
    }
    for (const workload of new Set(p.targets.map((t) => t.workload))) if (fitGrace(ctx, p, workload)) changed = true;
    return changed;
  },
};
