// Deployment manifests for a new package, when the monorepo deploys with
// them: an ECS task definition and a Kubernetes Deployment (+ Service), each
// written the way the repo's existing ones are (same folder and file naming,
// same task shape, labels, namespace, resources, log configuration), with the
// health wiring the platform actually runs. ECS ignores the image's
// HEALTHCHECK and Kubernetes ignores it entirely, so the container definition
// carries the Dockerfile's probe command and the pods get HTTP probes; the
// stop timeout and grace period outlast the code's force-exit timer.
import path from 'node:path';
import { applyEdits, modify, type FormattingOptions } from 'jsonc-parser';
import { Document, Scalar, visit, type ToStringOptions } from 'yaml';
import type { LoadedFile } from '../../src/engine/analyze.js';
import { parseDockerfile } from '../../src/engine/dockerfile.js';
import { restore } from '../../src/engine/text.js';
import type { FileChange } from '../../src/engine/pipeline.js';
import type { Service, ServiceType } from '../../src/engine/types.js';
import { imageRepoName, serviceOfContainer } from '../../transforms/lib/deploy-target.js';
import type { Monorepo } from './monorepo.js';
import type { Kind } from './options.js';
import type { NewPackage, Wiring } from './wiring.js';
import { printOptions, stringScalar } from './yaml-edit.js';

/** What the templates build into every package: its routes and the force-exit timer of its shutdown handler. */
export const RUNTIME = { healthPath: '/health', readyPath: '/ready', shutdownTimeoutMs: 8000 } as const;

// Timings are the ones the ecs-healthcheck and k8s-probes fixers write, so a
// generated manifest and a fixed one read the same.
/** Seconds between the force-exit timer and the platform's SIGKILL: exit handlers, log flush. */
const KILL_MARGIN_S = 5;
/**
 * Seconds a pod keeps serving after it is marked terminating, before SIGTERM:
 * endpoint removal reaches kube-proxy and the ingress asynchronously, and a
 * pod that stops at once drops the requests still routed to it.
 */
export const PRESTOP_SLEEP_S = 5;
/** Probe timing: liveness restarts after ~30 s of silence, readiness drops a pod within ~15 s, startup allows 60 s. */
const PROBE_TIMING = {
  livenessProbe: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  readinessProbe: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  startupProbe: { periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
};

const TYPE: Record<Kind, ServiceType> = { service: 'api', worker: 'worker' };

/** The Dockerfile's HEALTHCHECK, as ECS's healthCheck wants it (seconds). */
export interface ImageHealthcheck {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const seconds = (ms: number) => Math.ceil(ms / 1000);

/** Docker's duration flags (`30s`, `1m30s`, `500ms`) in whole seconds, rounded up; null when it is not one. */
function durationSeconds(text: string | null): number | null {
  if (!text) return null;
  let total = 0;
  let rest = text;
  const units: [string, number][] = [['ms', 0.001], ['h', 3600], ['m', 60], ['s', 1]];
  while (rest.length > 0) {
    let digits = 0;
    while (digits < rest.length && rest[digits]! >= '0' && rest[digits]! <= '9') digits++;
    const unit = units.find(([u]) => rest.startsWith(u, digits));
    if (digits === 0 || !unit) return null;
    total += Number(rest.slice(0, digits)) * unit[1];
    rest = rest.slice(digits + unit[0].length);
  }
  return Math.ceil(total);
}

/** The exec-form HEALTHCHECK of the generated Dockerfile's runtime stage, with its flags; null when it has none (workers). */
export function imageHealthcheck(dockerfile: string): ImageHealthcheck | null {
  const tree = parseDockerfile(dockerfile);
  const instr = tree.final?.instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!instr?.execForm) return null;
  const flags = new Map((instr.node as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags().map((f) => [f.getName(), f.getValue()]));
  // Docker's own defaults for a flag the instruction leaves out.
  return {
    command: ['CMD', ...instr.execForm],
    interval: durationSeconds(flags.get('interval') ?? null) ?? 30,
    timeout: durationSeconds(flags.get('timeout') ?? null) ?? 30,
    retries: Number(flags.get('retries') ?? 3),
    startPeriod: durationSeconds(flags.get('start-period') ?? null) ?? 0,
  };
}

/**
 * `text` with every occurrence of `from` that is not part of a longer word
 * replaced by `to`: `/ecs/orders` and `orders-task` for `orders`, not
 * `reorders` or `orders2`. Kebab-case suffixes count as separate words, since
 * per-service names are built that way (`<service>-task`, `<service>-logs`).
 */
export function swapName(text: string, from: string, to: string): string {
  if (from === '') return text;
  const wordChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
  let out = '';
  let at = 0;
  for (let i = text.indexOf(from); i >= 0; i = text.indexOf(from, i + from.length)) {
    if (wordChar(text[i - 1]) || wordChar(text[i + from.length])) continue;
    out += text.slice(at, i) + to;
    at = i + from.length;
  }
  return out + text.slice(at);
}

/** A JSON value with the sibling's name swapped in every string. */
function swapDeep(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return swapName(value, from, to);
  if (Array.isArray(value)) return value.map((v) => swapDeep(v, from, to));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapDeep(v, from, to)]));
  return value;
}

/** The sibling's image with its repository name replaced (tag kept, digest dropped: it pins the sibling's image); null when the image does not name the sibling. */
export function siblingImage(image: unknown, sibling: string, name: string): string | null {
  if (typeof image !== 'string' || imageRepoName(image) !== sibling.toLowerCase()) return null;
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const last = noDigest.slice(slash + 1);
  const colon = last.indexOf(':');
  const tag = colon >= 0 ? last.slice(colon) : '';
  return `${noDigest.slice(0, slash + 1)}${name}${tag || (image.includes('@') ? ':latest' : '')}`;
}

/** A path for the new package's manifest beside the sibling's: the sibling's name swapped in the file name, else in the folders, else `<folder>/<name>.<ext>`. */
function siblingPath(file: string, sibling: string, name: string): string {
  const dir = path.posix.dirname(file);
  const base = path.posix.basename(file);
  const swappedBase = swapName(base, sibling, name);
  if (swappedBase !== base) return path.posix.join(dir, swappedBase);
  const swappedDir = dir.split('/').map((s) => swapName(s, sibling, name)).join('/');
  if (swappedDir !== dir) return path.posix.join(swappedDir, base);
  return path.posix.join(dir, `${name}${path.posix.extname(base)}`);
}

/** The manifest to follow, among candidates in their order (by path, then position): the last of the same type, else the last. */
function pickSibling<T extends { service: Service }>(candidates: T[], kind: Kind): T | undefined {
  return candidates.filter((c) => c.service.type === TYPE[kind]).pop() ?? candidates[candidates.length - 1];
}

const byPath = <T extends { path: string }>(items: T[]) => [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** The env vars the new package refuses to start without (PORT has a default), as its compose entry sets them. */
function requiredEnv(pkg: NewPackage): string[] {
  return pkg.env.map(([k]) => k).filter((k) => k !== 'PORT');
}

/** The broker list is shared infrastructure; every other required variable points at the package's own data. */
const SHARED_ENV = new Set(['KAFKA_BROKERS']);

/**
 * Env entries (`{ name, value }` or a secret reference) for the new package's
 * required variables, taken from the sibling's as its convention: a shared
 * one (the broker list) as it is, from any container that has it; one that
 * names the sibling (`/course-service/mongo-uri`, `course-service-secrets`)
 * with the new name in its place. Anything else is the sibling's own database:
 * never copied. `renamed` lists the entries whose reference was renamed, whose
 * secret someone has to create.
 */
function inheritEnv(sibling: Json[], everyone: Json[], pkg: NewPackage, sibName: string): { entries: Json[]; renamed: Json[] } {
  const entries: Json[] = [];
  const renamed: Json[] = [];
  for (const key of requiredEnv(pkg)) {
    const own = sibling.find((e) => e.name === key);
    const swapped = own && (swapDeep(own, sibName, pkg.name) as Json);
    if (own && swapped && JSON.stringify(swapped) !== JSON.stringify(own)) {
      entries.push(swapped);
      if (swapped.valueFrom !== undefined) renamed.push(swapped);
    } else if (SHARED_ENV.has(key)) {
      const shared = own ?? everyone.find((e) => e.name === key);
      if (shared) entries.push(shared);
    }
  }
  return { entries, renamed };
}

/** What the notes say about the required variables: which are still unset, which secrets to create. */
function envNotes(file: string, pkg: NewPackage, provided: Json[], renamed: Json[], where: string): string[] {
  const notes: string[] = [];
  const missing = requiredEnv(pkg).filter((k) => !provided.some((e) => e.name === k));
  if (missing.length > 0) notes.push(`${file}: give the ${pkg.name} container ${missing.join(' and ')} (${where}) before deploying`);
  for (const e of renamed) notes.push(`${file}: ${String(e.name)} comes from ${JSON.stringify(e.valueFrom)}, named like its neighbour's: create it before deploying`);
  return notes;
}

// ---------------------------------------------------------------- ECS

interface TaskFile {
  file: LoadedFile;
  /** JSON path of the task definition in the file: [] or ['taskDefinition'] (describe-task-definition output). */
  prefix: string[];
  def: Json;
  containers: Json[];
  /** Container definitions that run a service of the workspace, with their index in containerDefinitions. */
  apps: { index: number; container: Json; service: Service }[];
  /** The others: log routers, agents, proxies. */
  sidecars: Json[];
}

function taskFiles(mono: Monorepo): TaskFile[] {
  const out: TaskFile[] = [];
  for (const file of mono.analysis.files) {
    if (file.parsed?.kind !== 'ecs' || !isObject(file.parsed.tree.value)) continue;
    const value = file.parsed.tree.value;
    const prefix = Array.isArray(value.containerDefinitions) ? [] : isObject(value.taskDefinition) && Array.isArray(value.taskDefinition.containerDefinitions) ? ['taskDefinition'] : null;
    if (!prefix) continue;
    const def = prefix.length > 0 ? (value.taskDefinition as Json) : value;
    const list = def.containerDefinitions as unknown[];
    const apps: TaskFile['apps'] = [];
    const sidecars: Json[] = [];
    list.forEach((container, index) => {
      if (!isObject(container)) return;
      const service = serviceOfContainer(mono.analysis.ws.services, container);
      if (service) apps.push({ index, container, service });
      else sidecars.push(container);
    });
    out.push({ file, prefix, def, containers: list.filter(isObject), apps, sidecars });
  }
  return out;
}

/** Indentation of a JSON file (its text as loaded: LF line ends), for text that sits beside its own. */
export function jsonFormatting(text: string): FormattingOptions & { indent: string } {
  const lines = text.split('\n');
  let indent = '  ';
  for (let i = 1; i < lines.length; i++) {
    const lead = lines[i]!.slice(0, lines[i]!.length - lines[i]!.trimStart().length);
    if (lead.length > 0 && lines[i]!.trim() !== '' && /[[{]\s*$/.test(lines[i - 1]!)) {
      indent = lead;
      break;
    }
  }
  const tabs = indent.startsWith('\t');
  return { indent, insertSpaces: !tabs, tabSize: tabs ? 1 : indent.length, eol: '\n', insertFinalNewline: text.endsWith('\n') };
}

/** A port mapping like the sibling's first one (its protocol, Service Connect name and app protocol, fixed or dynamic host port), for `port`. */
function portMapping(sibling: Json, sibName: string, pkg: NewPackage, port: number): Json {
  const m = objects(sibling.portMappings)[0] ?? {};
  const out: Json = {};
  for (const [key, value] of Object.entries(m)) {
    if (key === 'containerPort') out.containerPort = port;
    // awsvpc needs hostPort equal to containerPort; bridge mode's 0 asks for a dynamic one.
    else if (key === 'hostPort') out.hostPort = value === 0 ? 0 : port;
    // A Service Connect name is unique in the task: a neighbour's, renamed, or `http`.
    else if (key === 'name' && typeof value === 'string') out.name = swapName(value, sibName, pkg.name) !== value ? swapName(value, sibName, pkg.name) : 'http';
    else if (key === 'protocol' || key === 'appProtocol') out[key] = value;
  }
  out.containerPort = port;
  out.protocol ??= 'tcp';
  return out;
}

/** The new package's container definition, shaped like the sibling's, and what the user still has to do for it. */
function ecsContainer(tasks: TaskFile[], task: TaskFile, sibling: TaskFile['apps'][number], pkg: NewPackage, health: ImageHealthcheck | null, file: string): { container: Json; notes: string[] } {
  const sib = sibling.container;
  const sibName = sibling.service.name;
  const c: Json = { name: pkg.name, image: siblingImage(sib.image, sibName, pkg.name) ?? `${pkg.name}:latest` };
  c.essential = true;
  // Without task-level cpu/memory (EC2 launch type) a container must reserve its own.
  for (const key of ['cpu', 'memory', 'memoryReservation']) if (typeof sib[key] === 'number') c[key] = sib[key];
  if (pkg.port !== null) c.portMappings = [portMapping(sib, sibName, pkg, pkg.port)];
  const all = tasks.flatMap((t) => t.containers);
  const plain = inheritEnv(objects(sib.environment), all.flatMap((x) => objects(x.environment)), pkg, sibName);
  const secret = inheritEnv(objects(sib.secrets), all.flatMap((x) => objects(x.secrets)), pkg, sibName);
  const environment: Json[] = [...(pkg.port !== null ? [{ name: 'PORT', value: String(pkg.port) }] : []), ...plain.entries];
  // ECS refuses a variable set both ways: the plain value wins.
  const secrets = secret.entries.filter((s) => !environment.some((e) => e.name === s.name));
  if (environment.length > 0) c.environment = environment;
  if (secrets.length > 0) c.secrets = secrets;
  // The sidecars it runs with (log router, agent) start first, as for the sibling.
  const sidecars = new Set(task.sidecars.map((x) => x.name));
  const dependsOn = objects(sib.dependsOn).filter((d) => sidecars.has(d.containerName));
  if (dependsOn.length > 0) c.dependsOn = dependsOn;
  if (pkg.port !== null && health) c.healthCheck = { command: health.command, interval: health.interval, timeout: health.timeout, retries: health.retries, startPeriod: health.startPeriod };
  c.stopTimeout = seconds(RUNTIME.shutdownTimeoutMs) + KILL_MARGIN_S;
  if (isObject(sib.logConfiguration)) c.logConfiguration = swapDeep(sib.logConfiguration, sibName, pkg.name);
  const renamed = [...plain.renamed, ...secret.renamed.filter((s) => secrets.includes(s))];
  const notes = envNotes(file, pkg, [...environment, ...secrets], renamed, 'environment or secrets');
  if (!siblingImage(sib.image, sibName, pkg.name)) notes.push(`${file}: set the image of ${pkg.name} (${sibName}'s does not name its repository, so ${pkg.name}:latest stands in)`);
  return { container: c, notes };
}

/** Top-level fields describe-task-definition adds that register-task-definition refuses: never copied. */
const READ_ONLY = new Set(['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt']);

/** A task definition for the new package: the sibling's fields in the sibling's order, its container replaced, its sidecars kept. */
function ecsTaskDefinition(task: TaskFile, sibling: TaskFile['apps'][number], pkg: NewPackage, container: Json): Json {
  const sibName = sibling.service.name;
  const def: Json = {};
  for (const [key, value] of Object.entries(task.def)) {
    if (READ_ONLY.has(key)) continue;
    if (key === 'containerDefinitions') def[key] = task.containers.flatMap((x) => (x === sibling.container ? [container] : task.sidecars.includes(x) ? [swapDeep(x, sibName, pkg.name)] : []));
    else if (key === 'family') def[key] = typeof value === 'string' && swapName(value, sibName, pkg.name) !== value ? swapName(value, sibName, pkg.name) : pkg.name;
    // Volumes belong to the sibling's mount points; the new container mounts none.
    else if (key === 'volumes') continue;
    // The execution role pulls images and reads secrets for every task: shared. The task role is a service's own permissions, renamed below when it names the sibling.
    else if (key === 'executionRoleArn') def[key] = value;
    else def[key] = swapDeep(value, sibName, pkg.name);
  }
  if (task.prefix.length === 0) return def;
  const root = task.file.parsed?.kind === 'ecs' ? (task.file.parsed.tree.value as Json) : {};
  return Object.fromEntries(Object.entries(root).map(([k, v]) => [k, k === 'taskDefinition' ? def : swapDeep(v, sibName, pkg.name)]));
}

/** The file with a container definition inserted at `at`, through jsonc-parser in the file's own formatting (everything else keeps its bytes). */
function insertContainer(task: TaskFile, at: number, container: Json): string {
  const text = task.file.text;
  const { indent: _indent, ...formatting } = jsonFormatting(text);
  const edits = modify(text, [...task.prefix, 'containerDefinitions', at], container, { isArrayInsertion: true, formattingOptions: formatting });
  return applyEdits(text, edits);
}

export function ecsWiring(mono: Monorepo, pkg: NewPackage, health: ImageHealthcheck | null): Wiring {
  const out: Wiring = { changes: [], conflicts: [], notes: [] };
  const tasks = taskFiles(mono);
  if (tasks.length === 0) return out;
  for (const t of tasks)
    for (const c of t.containers)
      if (c.name === pkg.name || (typeof c.image === 'string' && imageRepoName(c.image) === pkg.name))
        out.conflicts.push(`${t.file.path}: a container definition for ${pkg.name} already exists`);
  const withApps = tasks.filter((t) => t.apps.length > 0);
  if (withApps.length === 0) {
    out.notes.push(`no ECS task definition runs a package of this monorepo (${tasks[0]!.file.path}, …): add a task definition for ${pkg.name} by hand`);
    return out;
  }
  if (out.conflicts.length > 0) return out;

  // One task that runs every service, or one task definition per service.
  const shared = withApps.filter((t) => t.apps.length >= 2);
  if (shared.length * 2 > withApps.length) {
    const task = [...shared].sort((a, b) => b.apps.length - a.apps.length)[0]!;
    // Inserted right after the container it is modelled on.
    const sibling = pickSibling(task.apps, pkg.kind)!;
    const { container, notes } = ecsContainer(tasks, task, sibling, pkg, health, task.file.path);
    // Loaded text has LF line ends and no BOM: the file's own come back on both sides (`before` is also what a failed write restores).
    const { shape } = task.file;
    out.changes.push({ path: task.file.path, before: restore(task.file.text, shape), after: restore(insertContainer(task, sibling.index + 1, container), shape), applied: [pkg.kind] });
    out.notes.push(...notes);
    return out;
  }
  const sibling = pickSibling(byPath(withApps.flatMap((task) => task.apps.map((a) => ({ ...a, task, path: task.file.path })))), pkg.kind)!;
  const file = siblingPath(sibling.task.file.path, sibling.service.name, pkg.name);
  if (mono.analysis.ws.exists(file)) {
    out.conflicts.push(`${file} already exists`);
    return out;
  }
  const { container, notes } = ecsContainer(tasks, sibling.task, sibling, pkg, health, file);
  const def = ecsTaskDefinition(sibling.task, sibling, pkg, container);
  const fmt = jsonFormatting(sibling.task.file.text);
  const text = JSON.stringify(def, null, fmt.indent) + (fmt.insertFinalNewline ? '\n' : '');
  out.changes.push({ path: file, before: null, after: restore(text, sibling.task.file.shape), applied: [pkg.kind] });
  out.notes.push(...notes);
  const role = get(def, ...sibling.task.prefix, 'taskRoleArn');
  if (typeof role === 'string' && role !== sibling.task.def.taskRoleArn) out.notes.push(`${file}: create the task role ${role} (named like ${sibling.service.name}'s), or point taskRoleArn at an existing one`);
  return out;
}

// ---------------------------------------------------------------- Kubernetes

interface Workload {
  file: LoadedFile;
  path: string;
  obj: Json;
  container: Json;
  service: Service;
}

interface K8sObject {
  file: LoadedFile;
  obj: Json;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

function k8sObjects(mono: Monorepo): K8sObject[] {
  const out: K8sObject[] = [];
  for (const file of mono.analysis.files) {
    if (file.parsed?.kind !== 'k8s') continue;
    for (const doc of file.parsed.docs) {
      const obj: unknown = doc.toJS();
      if (isObject(obj)) out.push({ file, obj });
    }
  }
  return out;
}

const get = (obj: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), obj);

/** Labels of the sibling for the new package: values naming the sibling swapped, and one that names the new package for sure (else the selector would match the sibling's pods). */
function labelsFor(labels: unknown, sibName: string, name: string, must: boolean): Json {
  const out: Json = {};
  let named = false;
  for (const [k, v] of Object.entries(isObject(labels) ? labels : {})) {
    if (typeof v !== 'string') continue;
    out[k] = swapName(v, sibName, name);
    named ||= out[k] === name;
  }
  if (must && !named) out['app.kubernetes.io/name'] = name;
  return out;
}

function httpProbe(route: string, timing: Json): Json {
  return { httpGet: { path: route, port: 'http' }, ...timing };
}

/** The Deployment (and for an HTTP service the Service) of the new package, shaped like the sibling's. */
function k8sObjectsFor(sibling: Workload, services: K8sObject[], pkg: NewPackage, inherited: Json[], envFrom: Json[]): Json[] {
  const sibName = sibling.service.name;
  const w = sibling.obj;
  const namespace = get(w, 'metadata', 'namespace');
  const selector = labelsFor(get(w, 'spec', 'selector', 'matchLabels'), sibName, pkg.name, true);
  const podLabels = { ...labelsFor(get(w, 'spec', 'template', 'metadata', 'labels'), sibName, pkg.name, false), ...selector };
  const labels = isObject(get(w, 'metadata', 'labels')) ? labelsFor(get(w, 'metadata', 'labels'), sibName, pkg.name, true) : selector;
  const metadata = (): Json => ({ name: pkg.name, ...(typeof namespace === 'string' ? { namespace } : {}), labels });

  const sib = sibling.container;
  const c: Json = { name: pkg.name, image: siblingImage(sib.image, sibName, pkg.name) ?? `${pkg.name}:latest` };
  if (typeof sib.imagePullPolicy === 'string') c.imagePullPolicy = sib.imagePullPolicy;
  if (pkg.port !== null) c.ports = [{ name: 'http', containerPort: pkg.port }];
  const env: Json[] = [...(pkg.port !== null ? [{ name: 'PORT', value: String(pkg.port) }] : []), ...inherited];
  if (env.length > 0) c.env = env;
  if (envFrom.length > 0) c.envFrom = envFrom;
  for (const key of ['resources', 'securityContext']) if (isObject(sib[key])) c[key] = sib[key];
  let grace = seconds(RUNTIME.shutdownTimeoutMs) + KILL_MARGIN_S;
  if (pkg.port !== null) {
    // /health answers as soon as the process is up and never checks a dependency; /ready only once every dependency has connected.
    c.livenessProbe = httpProbe(RUNTIME.healthPath, PROBE_TIMING.livenessProbe);
    c.readinessProbe = httpProbe(RUNTIME.readyPath, PROBE_TIMING.readinessProbe);
    c.startupProbe = httpProbe(RUNTIME.healthPath, PROBE_TIMING.startupProbe);
    // The kubelet's own sleep action (Kubernetes 1.30+): an exec `sleep` would need a sleep binary in the image.
    c.lifecycle = { preStop: { sleep: { seconds: PRESTOP_SLEEP_S } } };
    grace += PRESTOP_SLEEP_S;
  }
  const podSpec: Json = {};
  for (const key of ['imagePullSecrets', 'securityContext']) {
    const value = get(w, 'spec', 'template', 'spec', key);
    if (value !== undefined) podSpec[key] = value;
  }
  // The grace period covers the preStop sleep and then the shutdown handler's force-exit timer.
  podSpec.terminationGracePeriodSeconds = grace;
  podSpec.containers = [c];
  const spec: Json = {};
  if (typeof get(w, 'spec', 'replicas') === 'number') spec.replicas = get(w, 'spec', 'replicas');
  spec.selector = { matchLabels: selector };
  spec.template = { metadata: { labels: podLabels }, spec: podSpec };
  const deployment: Json = { apiVersion: typeof w.apiVersion === 'string' ? w.apiVersion : 'apps/v1', kind: 'Deployment', metadata: metadata(), spec };
  if (pkg.port === null) return [deployment];

  // The sibling's Service: the one whose selector picks its pods.
  const sibLabels = get(w, 'spec', 'template', 'metadata', 'labels');
  const sibService = services.find(({ obj }) => {
    const sel = get(obj, 'spec', 'selector');
    return isObject(sel) && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => isObject(sibLabels) && sibLabels[k] === v);
  })?.obj;
  const sibPort = objects(get(sibService, 'spec', 'ports'))[0];
  const sibContainerPort = objects(sib.ports)[0]?.containerPort;
  // A Service that fronts every service on one port (80) keeps doing so; one that exposes the container port exposes the new one.
  const port = typeof sibPort?.port === 'number' && sibPort.port !== sibContainerPort ? sibPort.port : pkg.port;
  const serviceSpec: Json = {};
  if (typeof get(sibService, 'spec', 'type') === 'string') serviceSpec.type = get(sibService, 'spec', 'type');
  serviceSpec.selector = selector;
  serviceSpec.ports = [{ name: 'http', port, targetPort: 'http', ...(typeof sibPort?.protocol === 'string' ? { protocol: sibPort.protocol } : {}) }];
  return [deployment, { apiVersion: 'v1', kind: 'Service', metadata: metadata(), spec: serviceSpec }];
}

/** YAML text of objects, one document each, every string quoted where a YAML 1.1 or 1.2 reader would take it for something else. */
export function yamlDocuments(objs: Json[], options: ToStringOptions, leadingMarker: boolean): string {
  const docs = objs.map((obj) => {
    const doc = new Document(obj);
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && stringScalar(node.value).type === Scalar.QUOTE_DOUBLE) node.type = Scalar.QUOTE_DOUBLE;
      },
    });
    return doc.toString(options);
  });
  return (leadingMarker ? '---\n' : '') + docs.join('---\n');
}

export function k8sWiring(mono: Monorepo, pkg: NewPackage): Wiring {
  const out: Wiring = { changes: [], conflicts: [], notes: [] };
  const all = k8sObjects(mono);
  const workloads: Workload[] = [];
  for (const { file, obj } of all) {
    if (!WORKLOADS.has(String(obj.kind))) continue;
    for (const container of objects(get(obj, 'spec', 'template', 'spec', 'containers'))) {
      const service = serviceOfContainer(mono.analysis.ws.services, container);
      if (service) workloads.push({ file, path: file.path, obj, container, service });
      if (container.name === pkg.name || (typeof container.image === 'string' && imageRepoName(container.image) === pkg.name))
        out.conflicts.push(`${file.path}: a container for ${pkg.name} already exists`);
    }
  }
  if (all.length === 0) return out;
  for (const { file, obj } of all)
    if ((WORKLOADS.has(String(obj.kind)) || obj.kind === 'Service') && get(obj, 'metadata', 'name') === pkg.name) out.conflicts.push(`${file.path}: a ${String(obj.kind)} named ${pkg.name} already exists`);
  const sibling = pickSibling(byPath(workloads), pkg.kind);
  if (!sibling) {
    out.notes.push(`no Kubernetes workload runs a package of this monorepo (${all[0]!.file.path}, …): add a Deployment for ${pkg.name} by hand`);
    return out;
  }
  // Service and container names are DNS labels (RFC 1035): 63 characters at most.
  if (pkg.name.length > 63) out.conflicts.push(`"${pkg.name}" is longer than 63 characters, which Kubernetes refuses as a Deployment, Service or container name: choose a shorter --name`);
  const file = siblingPath(sibling.path, sibling.service.name, pkg.name);
  if (mono.analysis.ws.exists(file)) out.conflicts.push(`${file} already exists`);
  if (out.conflicts.length > 0) return out;
  const sibName = sibling.service.name;
  const { entries, renamed } = inheritEnv(objects(sibling.container.env), workloads.flatMap((w) => objects(w.container.env)), pkg, sibName);
  // Whole ConfigMaps and Secrets the sibling loads: a shared one as it is, its own one renamed for the new package.
  const envFrom = objects(sibling.container.envFrom).map((e) => swapDeep(e, sibName, pkg.name) as Json);
  const services = all.filter(({ obj }) => obj.kind === 'Service' && get(obj, 'metadata', 'namespace') === get(sibling.obj, 'metadata', 'namespace'));
  const objs = k8sObjectsFor(sibling, services, pkg, entries, envFrom);
  const text = sibling.file.text;
  out.changes.push({ path: file, before: null, after: restore(yamlDocuments(objs, printOptions(text), text.startsWith('---')), sibling.file.shape), applied: [pkg.kind] });
  out.notes.push(...envNotes(file, pkg, entries, renamed, envFrom.length > 0 ? 'unless its envFrom sources hold them' : 'from a Secret, e.g.'));
  for (const e of envFrom) if (JSON.stringify(e) !== JSON.stringify(objects(sibling.container.envFrom)[envFrom.indexOf(e)])) out.notes.push(`${file}: envFrom ${JSON.stringify(e)} is named like ${sibName}'s: create it before deploying`);
  if (!siblingImage(sibling.container.image, sibName, pkg.name)) out.notes.push(`${file}: set the image of ${pkg.name} (${sibName}'s does not name its repository, so ${pkg.name}:latest stands in)`);
  return out;
}
