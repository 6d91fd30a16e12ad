// What a generator needs to know about the target monorepo, read once: the
// pinned pnpm, the Node image its Dockerfiles use, the ports its services
// already take, where its services live, which database and Kafka its
// compose stack runs. Defaults come from here, not from constants, so a new
// service looks like its neighbours (minus their defects).
import path from 'node:path';
import { isAlias, isMap, isSeq, type Document, type Node } from 'yaml';
import { loadTransforms } from '../../transforms/registry.js';
import { buildOf, composeEntries, lookup, lookupNode, scalarText, type ComposeEntry } from '../../src/workspace/compose.js';
import { serviceFor } from '../../transforms/compose/lib/compose-file.js';
import { analyze, type Analysis } from '../../src/engine/analyze.js';
import type { DockerfileTree } from '../../src/engine/dockerfile.js';
import type { ServiceType } from '../../src/engine/types.js';

export class InputError extends Error {}

export type Db = 'mongo' | 'postgres' | 'none';

/**
 * Node LTS lines (nodejs.org/en/about/previous-releases): when each became
 * LTS and when it reaches end of life. Generated images use one of these.
 */
export const NODE_LTS = [
  { major: 22, lts: '2024-10-29', eol: '2027-04-30' },
  { major: 24, lts: '2025-10-28', eol: '2028-04-30' },
];

export interface NodeImage {
  /** `node:22-alpine` */
  ref: string;
  major: number;
  alpine: boolean;
  /** Where it came from, for the summary: `as in <Dockerfile>`, the config, or the current LTS. */
  source: string;
}

export interface ComposeFile {
  path: string;
  text: string;
  doc: Document;
  entries: ComposeEntry[];
}

export interface Infra {
  /** The compose service key, used as the host name. */
  name: string;
  port: number;
  healthcheck: boolean;
}

export interface Monorepo {
  root: string;
  analysis: Analysis;
  pnpmVersion: string;
  nodeImage: NodeImage;
  /** Port -> who uses it (`compose service "api-gateway"`). */
  ports: Map<number, string>;
  nextPort: number;
  /** Ports the config pins per service name (`defaults.ports`). */
  configPorts: Record<string, number>;
  defaultDir: string;
  defaultDb: Db;
  /** Package names, compose keys and folders that a new name must not collide with. */
  packageNames: Set<string>;
  compose: ComposeFile | null;
  mongo: Infra | null;
  postgres: Infra | null;
  kafka: Infra | null;
  /** `KAFKA_BROKERS` as the existing compose services set it, when they do. */
  kafkaBrokers: string | null;
  /** Dependency ranges the workspace already uses (most common range per package). */
  versions: Record<string, string>;
  /** Files at the root that exist (lockfile, workspace file, .npmrc). */
  rootFiles: Set<string>;
}

/** `node:22-alpine` / `node:22.11.0-bookworm-slim` -> major and variant. */
function parseNodeTag(tag: string | null): { major: number; variant: string | null } | null {
  // A tag with a build arg (node:22-${VARIANT}) or anything but a plain variant name is not one to copy into a new Dockerfile.
  const m = /^(\d+)(?:\.\d+){0,2}(?:-([a-z0-9][a-z0-9._-]*))?$/.exec(tag ?? '');
  return m ? { major: Number(m[1]), variant: m[2] ?? null } : null;
}

/** True for an LTS line that has started and not yet reached end of life on `today`. */
export function supportedLts(major: number, today: string): boolean {
  const line = NODE_LTS.find((l) => l.major === major);
  if (line) return line.lts <= today && today < line.eol;
  // A newer even line than this table knows is an LTS once it is the newest.
  return major > Math.max(...NODE_LTS.map((l) => l.major)) && major % 2 === 0;
}

export function currentLts(today: string): number {
  const live = NODE_LTS.filter((l) => l.lts <= today && today < l.eol);
  return (live[live.length - 1] ?? NODE_LTS[NODE_LTS.length - 1]!).major;
}

function mostCommon<T>(items: T[], key: (t: T) => string = String): T | undefined {
  const counts = new Map<string, { item: T; n: number }>();
  for (const item of items) {
    const seen = counts.get(key(item));
    counts.set(key(item), { item: seen?.item ?? item, n: (seen?.n ?? 0) + 1 });
  }
  // Ties go to the first seen, so the pick is stable across runs.
  let best: { item: T; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best?.item;
}

/**
 * The Node image to generate: the one the monorepo's Dockerfiles use most
 * among supported LTS lines (newest first on a tie); else the current LTS
 * with the variant (alpine, slim…) the monorepo uses most.
 */
export function pickNodeImage(dockerfiles: { path: string; tree: DockerfileTree }[], configMajor: string | undefined, today: string): NodeImage {
  const used: { path: string; major: number; variant: string | null; tag: string }[] = [];
  for (const f of dockerfiles)
    for (const s of f.tree.stages) {
      const parsed = s.image === 'node' ? parseNodeTag(s.tag) : null;
      if (parsed) used.push({ path: f.path, ...parsed, tag: s.tag! });
    }
  const variant = mostCommon(used.map((u) => u.variant ?? ''));
  const make = (major: number, tag: string, source: string): NodeImage => ({ ref: `node:${tag}`, major, alpine: tag.includes('alpine'), source });
  const wanted = configMajor ? Number(/^\d+/.exec(configMajor)?.[0]) : null;
  if (wanted !== null && supportedLts(wanted, today)) {
    const same = mostCommon(used.filter((u) => u.major === wanted), (u) => u.tag);
    return make(wanted, same?.tag ?? (variant ? `${wanted}-${variant}` : `${wanted}`), 'defaults.nodeVersion in the shipshape config');
  }
  const supported = used.filter((u) => supportedLts(u.major, today)).sort((a, b) => b.major - a.major);
  const best = mostCommon(supported, (u) => u.tag);
  if (best) return make(best.major, best.tag, `as in ${best.path}`);
  const lts = currentLts(today);
  return make(lts, variant ? `${lts}-${variant}` : `${lts}`, used.length > 0 ? 'the current LTS: the repo uses only end-of-life Node' : 'the current LTS');
}

const PORT_IN_TEXT = /:(\d{2,5})(?=$|[/?#,\s"'])/g;

function portsOfEntry(entry: ComposeEntry, file: ComposeFile): number[] {
  const out: number[] = [];
  // A bare number is a port in `ports:`/`expose:` and in PORT-named variables; any value can name one in a URL.
  const add = (v: string | null, bare = true) => {
    if (v === null) return;
    for (const m of v.matchAll(PORT_IN_TEXT)) out.push(Number(m[1]));
    const n = bare ? /^\$\{\w+:?-(\d+)\}$|^(\d+)$/.exec(v.trim()) : null;
    if (n) out.push(Number(n[1] ?? n[2]));
  };
  const node = (key: string) => lookupNode(entry, key, file.doc, file.entries);
  for (const key of ['ports', 'expose']) {
    const seq = node(key);
    if (!isSeq(seq)) continue;
    for (const item of seq.items) {
      if (isMap(item)) ['target', 'published'].forEach((k) => add(scalarText(item.get(k, true))));
      else for (const part of (scalarText(item) ?? '').replace(/\/\w+$/, '').split(':')) add(part);
    }
  }
  // PORT=…, and ports inside URLs other services are told about.
  for (const [key, value] of envValues(node('environment'), file.doc)) add(value, /(^|_)PORT$/.test(key));
  return out.filter((p) => p > 0 && p <= 65535);
}

/** An `environment:` node (map, `<<` merges, or `KEY=value` list) as name -> value. */
export function envValues(env: Node | null, doc: Document): Map<string, string> {
  const out = new Map<string, string>();
  if (isMap(env)) {
    const merged = env.get('<<', true) as unknown;
    for (const source of isSeq(merged) ? merged.items : merged === undefined ? [] : [merged]) {
      const target = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(target)) for (const [k, v] of envValues(target, doc)) out.set(k, v);
    }
    for (const pair of env.items) {
      const key = scalarText(pair.key);
      const value = scalarText(pair.value);
      if (key !== null && key !== '<<' && value !== null) out.set(key, value);
    }
  } else if (isSeq(env)) {
    for (const item of env.items) {
      const text = scalarText(item);
      const eq = text?.indexOf('=') ?? -1;
      if (text && eq > 0) out.set(text.slice(0, eq), text.slice(eq + 1));
    }
  }
  return out;
}

function imageOf(entry: ComposeEntry, file: ComposeFile): string | null {
  return scalarText(lookupNode(entry, 'image', file.doc, file.entries));
}

function infra(file: ComposeFile | null, pattern: RegExp, port: number): Infra | null {
  if (!file) return null;
  const entry = file.entries.find((e) => pattern.test(imageOf(e, file) ?? ''));
  if (!entry) return null;
  const hc = lookup(entry, 'healthcheck', file.doc, file.entries);
  return { name: entry.name, port, healthcheck: !!hc && 'node' in hc && isMap(hc.node) && hc.node.get('disable') !== true };
}

/** The compose file to wire new services into: the conventional name first, then the one with most services. */
function mainCompose(analysis: Analysis): ComposeFile | null {
  const files: ComposeFile[] = [];
  for (const f of analysis.files)
    if (f.parsed?.kind === 'compose') files.push({ path: f.path, text: f.text, doc: f.parsed.doc, entries: composeEntries(f.parsed.doc, f.text) });
  const rank = (f: ComposeFile) => (/^(docker-)?compose\.ya?ml$/.test(f.path) ? 1000 : 0) + f.entries.length;
  return files.filter((f) => f.entries.length > 0).sort((a, b) => rank(b) - rank(a))[0] ?? null;
}

/** The service type of a compose entry, via the same mapping the compose transforms use. */
export function entryType(entry: ComposeEntry, file: ComposeFile, analysis: Analysis): ServiceType | null {
  const build = buildOf(entry, file.path, file.doc, file.entries);
  if (!build) return null;
  return serviceFor(entry, build, imageOf(entry, file), analysis.ws)?.type ?? null;
}

function dependencyVersions(analysis: Analysis): Record<string, string> {
  const seen = new Map<string, string[]>();
  for (const pkg of analysis.discovery.packages)
    for (const field of ['dependencies', 'devDependencies'])
      for (const [name, range] of Object.entries((pkg.manifest[field] as Record<string, unknown> | undefined) ?? {}))
        if (typeof range === 'string' && /^[\^~]?\d/.test(range)) seen.set(name, [...(seen.get(name) ?? []), range]);
  return Object.fromEntries([...seen].map(([name, ranges]) => [name, mostCommon(ranges)!]));
}

export async function readMonorepo(rootArg: string, today = new Date().toISOString().slice(0, 10)): Promise<Monorepo> {
  const analysis = await analyze(rootArg, await loadTransforms());
  const { ws, discovery } = analysis;
  const root = ws.root;
  const pm = ws.packageManager;
  if (pm.name !== 'pnpm')
    throw new InputError(`${rootArg}: shipshape new scaffolds into pnpm monorepos, and this one uses ${pm.name} (pin pnpm with "packageManager": "pnpm@<version>" in package.json)`);
  if (!pm.version)
    throw new InputError(`${rootArg}: no pinned pnpm version: set "packageManager": "pnpm@<version>" in package.json (or defaults.pnpmVersion in the shipshape config)`);

  if (!ws.exists('pnpm-workspace.yaml'))
    throw new InputError(`${rootArg}: no pnpm-workspace.yaml: shipshape new adds packages to a pnpm workspace, and its Dockerfile builds them with pnpm --filter from the root`);
  // The generator edits these files: one that does not parse is fixed first, not skipped.
  const broken = analysis.files.find((f) => (f.kind === 'compose' || f.kind === 'workflow') && f.problem);
  if (broken) throw new InputError(`${broken.path}:${broken.problem!.line}: ${broken.problem!.message}; fix it first (shipshape new adds the new package to it)`);

  const dockerfiles = analysis.files.flatMap((f) => (f.parsed?.kind === 'dockerfile' ? [{ path: f.path, tree: f.parsed.tree }] : []));
  const compose = mainCompose(analysis);
  const ports = new Map<number, string>();
  const take = (port: number | null | undefined, owner: string) => {
    if (port && !ports.has(port)) ports.set(port, owner);
  };
  const appPorts: number[] = [];
  for (const s of ws.services) {
    take(s.port, `service ${s.name} (${s.dir})`);
    if (s.port) appPorts.push(s.port);
  }
  if (compose)
    for (const e of compose.entries) {
      const mine = portsOfEntry(e, compose);
      mine.forEach((p) => take(p, `compose service "${e.name}" (${compose.path})`));
      if (buildOf(e, compose.path, compose.doc, compose.entries)) appPorts.push(...mine.filter((p) => p >= 1024));
    }
  const configPorts = ws.config.defaults.ports ?? {};
  for (const [name, port] of Object.entries(configPorts)) take(port, `defaults.ports.${name} in the shipshape config`);
  // The first free port from the lowest one the services use (3000 in a repo without any).
  const high = appPorts.filter((p) => p >= 1024);
  let nextPort = high.length > 0 ? Math.min(...high) : 3000;
  while (ports.has(nextPort) && nextPort < 65535) nextPort++;

  // Services live where most of them already are.
  const parents = ws.services.filter((s) => s.type === 'api' || s.type === 'worker').map((s) => path.posix.dirname(s.dir)).filter((d) => d !== '.');
  const defaultDir = mostCommon(parents.sort()) ?? 'services';

  const mongo = infra(compose, /(^|\/)mongo(:|$)/, 27017);
  const postgres = infra(compose, /(^|\/)(postgres|postgis\/postgis)(:|$)/, 5432);
  const kafka = infra(compose, /kafka|redpanda/, 9092);
  const defaultDb: Db = mongo && !postgres ? 'mongo' : postgres && !mongo ? 'postgres' : mongo && postgres ? dbUsedMost(compose!, mongo, postgres) : 'none';
  let kafkaBrokers: string | null = null;
  if (compose)
    for (const e of compose.entries) {
      const found = lookup(e, 'environment', compose.doc, compose.entries);
      kafkaBrokers ??= (found && 'node' in found ? envValues(found.node, compose.doc).get('KAFKA_BROKERS') : undefined) ?? null;
    }

  const packageNames = new Set<string>();
  for (const s of analysis.packages.values()) packageNames.add(s.name);
  for (const p of discovery.packages) if (typeof p.manifest.name === 'string') packageNames.add(p.manifest.name);
  compose?.entries.forEach((e) => packageNames.add(e.name));

  return {
    root,
    analysis,
    pnpmVersion: pm.version,
    nodeImage: pickNodeImage(dockerfiles, ws.config.defaults.nodeVersion, today),
    ports,
    nextPort,
    configPorts,
    defaultDir,
    defaultDb,
    packageNames,
    compose,
    mongo,
    postgres,
    kafka,
    kafkaBrokers,
    versions: dependencyVersions(analysis),
    rootFiles: new Set(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc'].filter((f) => ws.exists(f))),
  };
}

/** With both databases in the stack, the one more services depend on. */
function dbUsedMost(file: ComposeFile, mongo: Infra, postgres: Infra): Db {
  const uses = (name: string) =>
    file.entries.filter((e) => {
      const deps = e.map.get('depends_on', true);
      return (isSeq(deps) && deps.items.some((i) => scalarText(i) === name)) || (isMap(deps) && deps.has(name));
    }).length;
  return uses(postgres.name) > uses(mongo.name) ? 'postgres' : 'mongo';
}

