// Builds the service graph of a monorepo and checks its edges.
//
// Nodes: the services of the compose files (each matched to the package it
// builds, as the inventory matches them), the packages no compose file runs,
// the nginx configs (under the compose service that mounts or builds them),
// Kafka topics, and any host something calls that is no service at all.
// Edges: nginx `upstream` servers and `proxy_pass` targets, service URLs (the
// `*_URL` / `*_URI` / `*_HOST` values compose sets, and the code's fallback
// literals), compose `depends_on`, and topics produced and consumed.
//
// A host is judged only when it can be a service name: one DNS label. A name
// with a dot (an external host, `host.docker.internal`), an IP address, a
// loopback name (localhost-default-in-container's concern) or a value still
// holding `${…}` or an nginx `$variable` is left alone. A known host is a
// compose service (its key, `container_name`, `hostname`, network aliases,
// `links` aliases) or a package of the repo (it may run outside this compose
// file, under a Kubernetes Service of the same name). A port is judged only
// when the target's ports are known.
//
// Pure apart from reading the nginx files; the pipeline's graph stage
// (stage.ts) applies config, suppressions and shards to what this returns.
import path from 'node:path';
import { isAlias, isMap, isSeq, type Document, type Node } from 'yaml';
import { readFile } from '../engine/analyze.js';
import type { Service, UrlRead } from '../engine/types.js';
import { composeEntries, composeFacts, lineOf, lookupNode, scalarText, type ComposeEntry } from '../workspace/compose.js';
import { URL_ENV } from './code-wiring.js';
import { parseNginx, walk, type Directive } from './nginx.js';
import type { EdgeKind, GraphEdge, GraphNode, NodeKind, ServiceGraph } from './types.js';
import { resolveAlias } from '../workspace/yaml-alias.js';

export interface ComposeInput {
  path: string;
  text: string;
  doc: Document;
}

export interface GraphInput {
  root: string;
  /** Every package of the workspace, libraries included, in discovery order. */
  packages: Service[];
  compose: ComposeInput[];
  /** nginx config paths relative to root (findNginxConfigs). */
  nginx: string[];
  /** Services the config ignores: their code is not read for edges. */
  ignoreServices?: string[];
}

/** A graph finding before config, suppressions and shards apply. */
export interface RawFinding {
  rule: string;
  file: string;
  line: number;
  message: string;
  service: string | null;
  /** Indexes into graph.edges of the edges it is about. */
  edges: number[];
}

export interface BuiltGraph {
  graph: ServiceGraph;
  findings: RawFinding[];
  /** Config files that could not be read or parsed. */
  problems: { file: string; line: number; message: string }[];
}

/** Ports the official images listen on, for compose services that declare none. */
const IMAGE_PORTS: Record<string, number[]> = {
  mongo: [27017],
  redis: [6379],
  postgres: [5432],
  mysql: [3306],
  mariadb: [3306],
  rabbitmq: [5672, 15672],
  kafka: [9092],
  zookeeper: [2181],
  nats: [4222],
  memcached: [11211],
  elasticsearch: [9200, 9300],
  minio: [9000, 9001],
  nginx: [80],
  localstack: [4566],
};

/** The port a URL means when it names none. */
const SCHEME_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  grpc: 80,
  grpcs: 443,
  mongodb: 27017,
  redis: 6379,
  rediss: 6379,
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  amqp: 5672,
  amqps: 5671,
  nats: 4222,
};

const LOOPBACK = new Set(['localhost', '127.0.0.1', '0.0.0.0', '::1', '[::1]', 'ip6-localhost']);

/** A DNS label as compose names services: a candidate for a service name. */
const LABEL = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/i;

export interface Address {
  host: string;
  /** Explicit, or the scheme's default; null when neither says. */
  port: number | null;
  explicitPort: boolean;
  scheme: string | null;
}

/**
 * `http://course-service:3003/x`, `mongodb://u:p@mongo/db`, `redis:6379`,
 * `redis` → host and port, by WHATWG URL parsing; null for what no single
 * host can be read from (multi-host URLs, `unix:` sockets, garbage).
 */
export function parseAddress(value: string): Address | null {
  const v = value.trim();
  if (v === '' || v.startsWith('unix:')) return null;
  const hasScheme = v.includes('://');
  let url: URL;
  try {
    url = new URL(hasScheme ? v : `tcp://${v}`);
  } catch {
    return null;
  }
  const scheme = hasScheme ? url.protocol.replace(/:$/, '').toLowerCase() : null;
  const host = url.hostname.toLowerCase();
  if (!host) return null;
  const explicit = url.port !== '' ? Number(url.port) : null;
  // WHATWG drops a special scheme's default port (`http://x:80` reads as no port).
  const port = explicit ?? (scheme ? (SCHEME_PORTS[scheme] ?? null) : null);
  return { host, port, explicitPort: explicit !== null, scheme };
}

/** Why a host is not judged, or 'name' when it may be a service. */
function hostClass(host: string): 'loopback' | 'external' | 'name' {
  if (LOOPBACK.has(host) || host.startsWith('127.')) return 'loopback';
  if (!LABEL.test(host)) return 'external';
  return 'name';
}

/** `${VAR:-http://x:1}` → its default; a value with any other interpolation → null. */
function composeValue(raw: string): string | null {
  const whole = /^\$\{\w+:?-(.*)\}$/.exec(raw.trim());
  if (whole) return whole[1]!.includes('$') ? null : whole[1]!;
  return raw.includes('$') ? null : raw;
}

interface ComposeService {
  file: ComposeInput;
  entry: ComposeEntry;
  entries: ComposeEntry[];
  node: string;
  pkg: Service | null;
  env: Map<string, { value: string; line: number }>;
  dependsOn: Set<string>;
  dependsOnLine: number | null;
}

function portsOf(node: unknown, out: Set<number>): void {
  const add = (text: string | null) => {
    if (text === null) return;
    const v = composeValue(text);
    if (v === null) return;
    // "8080:3000", "127.0.0.1:8080:3000/tcp", "3000-3002": the container side.
    const container = v.replace(/\/(tcp|udp|sctp)$/, '').split(':').pop()!;
    const [lo, hi] = container.split('-').map(Number);
    if (!Number.isInteger(lo)) return;
    const end = Number.isInteger(hi) && hi! >= lo! && hi! - lo! <= 100 ? hi! : lo!;
    for (let p = lo!; p <= end; p++) out.add(p);
  };
  if (!isSeq(node)) return;
  for (const item of node.items) {
    if (isMap(item)) add(scalarText(item.get('target', true)));
    else add(scalarText(item));
  }
}

/** `environment:` as key → value, own keys over `<<:` merged ones, map or `KEY=value` list form. */
function environmentOf(env: Node | null, doc: Document, text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  if (isMap(env)) {
    const merged = env.get('<<', true) as unknown;
    for (const source of isSeq(merged) ? merged.items : merged === undefined ? [] : [merged]) {
      const target = isAlias(source) ? resolveAlias(doc, source) : source;
      if (isMap(target))
        for (const pair of target.items) {
          const key = scalarText(pair.key);
          const value = scalarText(pair.value);
          if (key !== null && value !== null && !out.has(key)) out.set(key, { value, line: lineOf(text, pair.value as Node) });
        }
    }
    for (const pair of env.items) {
      const key = scalarText(pair.key);
      if (key === null || key === '<<') continue;
      const value = scalarText(pair.value);
      if (value === null) out.delete(key);
      else out.set(key, { value, line: lineOf(text, pair.value as Node) });
    }
  } else if (isSeq(env)) {
    for (const item of env.items) {
      const t = scalarText(item);
      const eq = t?.indexOf('=') ?? -1;
      if (t && eq > 0) out.set(t.slice(0, eq), { value: t.slice(eq + 1), line: lineOf(text, item as Node) });
    }
  }
  return out;
}

/** Names compose gives a service on its networks besides its key. */
function aliasesOf(entry: ComposeEntry, doc: Document, entries: ComposeEntry[]): string[] {
  const out: string[] = [];
  for (const key of ['container_name', 'hostname']) {
    const v = scalarText(lookupNode(entry, key, doc, entries));
    if (v) out.push(v);
  }
  const networks = lookupNode(entry, 'networks', doc, entries);
  if (isMap(networks))
    for (const pair of networks.items) {
      const aliases = isMap(pair.value) ? pair.value.get('aliases', true) : null;
      if (isSeq(aliases)) for (const a of aliases.items) if (scalarText(a)) out.push(scalarText(a)!);
    }
  return out;
}

/** Image name without registry, tag or digest: `bitnami/kafka:3.7` → `kafka`. */
function imageBase(image: string | null): string | null {
  if (!image) return null;
  const last = image.split('@')[0]!.split('/').pop()!;
  return last.split(':')[0]!.toLowerCase();
}

/** Bind-mount sources of an entry's `volumes:`, relative to root. */
function bindSources(entry: ComposeEntry, file: ComposeInput, entries: ComposeEntry[]): string[] {
  const volumes = lookupNode(entry, 'volumes', file.doc, entries);
  if (!isSeq(volumes)) return [];
  const base = path.posix.dirname(file.path);
  const out: string[] = [];
  for (const item of volumes.items) {
    let source: string | null = null;
    if (isMap(item)) source = scalarText(item.get('type', true)) === 'bind' ? scalarText(item.get('source', true)) : null;
    else {
      const t = scalarText(item);
      if (t && (t.startsWith('.') || t.startsWith('/'))) source = t.split(':')[0]!;
    }
    if (source && source.startsWith('.')) out.push(path.posix.normalize(path.posix.join(base, source)).replace(/\/$/, '') || '.');
  }
  return out;
}

const within = (file: string, dir: string) => file === dir || (dir !== '.' && file.startsWith(`${dir}/`));

class Builder {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges: GraphEdge[] = [];
  readonly findings: RawFinding[] = [];
  readonly problems: BuiltGraph['problems'] = [];
  /** Host → node id. */
  private readonly hosts = new Map<string, string>();
  private readonly compose: ComposeService[] = [];
  private readonly byPackage = new Map<string, string>();
  private readonly composeNodes = new Set<string>();
  private readonly composeNameOf = new Map<string, string>();
  private readonly edgeKeys = new Map<string, number>();

  constructor(private readonly input: GraphInput) {}

  node(id: string, kind: NodeKind, name: string, pkg: string | null = null): GraphNode {
    let n = this.nodes.get(id);
    if (!n) this.nodes.set(id, (n = { id, kind, name, ports: [], package: pkg }));
    return n;
  }

  addPorts(id: string, ports: Iterable<number>): void {
    const n = this.nodes.get(id)!;
    n.ports = [...new Set([...n.ports, ...ports])].sort((a, b) => a - b);
  }

  edge(e: Omit<GraphEdge, 'findings'>): number {
    const key = [e.from, e.to, e.kind, e.label, e.file, e.line].join('\0');
    const known = this.edgeKeys.get(key);
    if (known !== undefined) return known;
    this.edges.push({ ...e, findings: [] });
    this.edgeKeys.set(key, this.edges.length - 1);
    return this.edges.length - 1;
  }

  finding(f: RawFinding): void {
    const same = this.findings.find((x) => x.rule === f.rule && x.file === f.file && x.line === f.line && x.message === f.message);
    if (same) same.edges.push(...f.edges.filter((e) => !same.edges.includes(e)));
    else this.findings.push(f);
  }

  /** The node a host resolves to; a `missing:` node when it is no service. */
  target(host: string): { id: string; known: boolean } {
    const id = this.hosts.get(host);
    if (id) return { id, known: true };
    this.node(`missing:${host}`, 'missing', host);
    return { id: `missing:${host}`, known: false };
  }

  build(): BuiltGraph {
    this.composeServices();
    this.packageNodes();
    this.nginx();
    this.urls();
    this.dependsOn();
    this.topics();
    const nodes = [...this.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // Edges sorted for stable output; findings follow their edges' new positions.
    const order = this.edges.map((_, i) => i).sort((a, b) => edgeOrder(this.edges[a]!, this.edges[b]!));
    const position = new Map(order.map((old, i) => [old, i]));
    const edges = order.map((i) => this.edges[i]!);
    for (const f of this.findings) f.edges = f.edges.map((e) => position.get(e)!).sort((a, b) => a - b);
    return { graph: { nodes, edges }, findings: this.findings, problems: this.problems };
  }

  private composeServices(): void {
    const packages = this.input.packages.filter((p) => p.type !== 'lib' || p.dockerfile);
    for (const file of [...this.input.compose].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const entries = composeEntries(file.doc, file.text);
      const facts = composeFacts(file.path, file.doc, file.text);
      entries.forEach((entry, i) => {
        const fact = facts[i]!;
        const pkg =
          (fact.dockerfile ? packages.find((p) => p.dockerfile === fact.dockerfile) : undefined) ??
          (fact.context && fact.context !== '.' ? packages.find((p) => p.dir === fact.context) : undefined) ??
          packages.find((p) => path.posix.basename(p.dir) === entry.name || p.name === entry.name) ??
          null;
        const id = `svc:${entry.name}`;
        const image = imageBase(scalarText(lookupNode(entry, 'image', file.doc, entries)));
        const builds = lookupNode(entry, 'build', file.doc, entries) !== null;
        this.node(id, pkg || builds ? 'service' : 'infra', entry.name, pkg?.name ?? null);
        this.composeNodes.add(id);
        this.composeNameOf.set(id, entry.name);
        if (pkg && !this.byPackage.has(pkg.dir)) this.byPackage.set(pkg.dir, id);
        for (const host of [entry.name, ...aliasesOf(entry, file.doc, entries)]) if (!this.hosts.has(host)) this.hosts.set(host, id);
        const env = environmentOf(lookupNode(entry, 'environment', file.doc, entries), file.doc, file.text);
        const ports = new Set<number>();
        const envPort = env.get('PORT');
        const declaredPort = envPort ? Number(composeValue(envPort.value)) : NaN;
        if (Number.isInteger(declaredPort) && declaredPort > 0) ports.add(declaredPort);
        else if (pkg?.port) ports.add(pkg.port);
        portsOf(lookupNode(entry, 'ports', file.doc, entries), ports);
        portsOf(lookupNode(entry, 'expose', file.doc, entries), ports);
        if (!pkg && image) for (const p of IMAGE_PORTS[image] ?? []) ports.add(p);
        this.addPorts(id, ports);
        const deps = lookupNode(entry, 'depends_on', file.doc, entries);
        const dependsOn = new Set<string>();
        if (isSeq(deps)) for (const d of deps.items) if (scalarText(d)) dependsOn.add(scalarText(d)!);
        if (isMap(deps)) for (const pair of deps.items) if (scalarText(pair.key)) dependsOn.add(scalarText(pair.key)!);
        const ownDeps = entry.map.items.find((p) => scalarText(p.key) === 'depends_on');
        this.compose.push({ file, entry, entries, node: id, pkg, env, dependsOn, dependsOnLine: ownDeps ? lineOf(file.text, ownDeps.key as Node) : null });
      });
      // links: "db:database" makes `database` resolve to db for that service; close enough to count as a name.
      for (const entry of entries) {
        const links = lookupNode(entry, 'links', file.doc, entries);
        if (isSeq(links))
          for (const l of links.items) {
            const [svc, alias] = (scalarText(l) ?? '').split(':');
            if (svc && alias && !this.hosts.has(alias) && this.hosts.has(svc)) this.hosts.set(alias, this.hosts.get(svc)!);
          }
      }
    }
    for (const c of this.compose)
      for (const d of c.dependsOn) {
        const t = this.target(d);
        this.edge({ from: c.node, to: t.id, kind: 'depends_on', label: 'depends_on', file: c.file.path, line: c.dependsOnLine ?? c.entry.line });
      }
  }

  private packageNodes(): void {
    const ignored = new Set(this.input.ignoreServices ?? []);
    for (const p of this.input.packages) {
      if (this.byPackage.has(p.dir) || ignored.has(p.name)) continue;
      const wired = !!p.wiring && (p.wiring.urls.length > 0 || p.wiring.produces.length > 0 || p.wiring.consumes.length > 0);
      if (p.type === 'lib' && !wired) continue;
      // A compose service of the same name that matched no package by build: the same service.
      const existing = this.hosts.get(p.name);
      if (existing && this.nodes.get(existing)?.kind === 'infra') {
        this.byPackage.set(p.dir, existing);
        continue;
      }
      const id = `${p.type === 'lib' ? 'lib' : 'svc'}:${p.name}`;
      this.node(id, p.type === 'lib' ? 'library' : 'service', p.name, p.name);
      if (p.port) this.addPorts(id, [p.port]);
      this.byPackage.set(p.dir, id);
      if (p.type !== 'lib' && !this.hosts.has(p.name)) this.hosts.set(p.name, id);
    }
  }

  private nodeOfPackage(p: Service): string | null {
    return this.byPackage.get(p.dir) ?? null;
  }

  private nginx(): void {
    const parsed: { file: string; directives: Directive[] }[] = [];
    for (const file of this.input.nginx) {
      const read = readFile(this.input.root, file);
      if ('problem' in read) {
        this.problems.push({ file, line: read.line ?? 1, message: read.problem });
        continue;
      }
      const r = parseNginx(read.text);
      if (!r.ok) this.problems.push({ file, line: r.line, message: `nginx config does not parse: ${r.message}` });
      else parsed.push({ file, directives: r.directives });
    }
    // Upstream names are shared by the files of one nginx (includes): any config's upstream counts.
    const upstreams = new Set<string>();
    for (const p of parsed) for (const { d } of walk(p.directives)) if (d.name === 'upstream' && d.args[0]) upstreams.add(d.args[0]);

    for (const p of parsed) {
      const owner = this.compose.find((c) => bindSources(c.entry, c.file, c.entries).some((src) => within(p.file, src)));
      const builder = owner ?? this.compose.find((c) => {
        const ctx = composeFacts(c.file.path, c.file.doc, c.file.text).find((f) => f.name === c.entry.name)?.context;
        return !!ctx && ctx !== '.' && within(p.file, ctx);
      });
      const id = builder ? builder.node : `proxy:${p.file}`;
      const node = this.node(id, 'proxy', builder ? builder.entry.name : p.file, builder?.pkg?.name ?? null);
      node.kind = 'proxy';
      const service = builder ? (builder.pkg?.name ?? builder.entry.name) : null;
      const listens: number[] = [];
      for (const { d, parents } of walk(p.directives)) {
        if (d.name === 'listen' && d.args[0]) {
          const port = Number(d.args[0].split(':').pop());
          if (Number.isInteger(port)) listens.push(port);
        }
        const inUpstream = parents.length > 0 && parents[parents.length - 1]!.name === 'upstream';
        if (inUpstream && d.name === 'server' && d.args[0]) {
          const upstream = parents[parents.length - 1]!.args[0] ?? '';
          this.checkProxyTarget(id, service, p.file, d, d.args[0], `upstream ${upstream}`, 'upstream', 80);
        }
        if (['proxy_pass', 'grpc_pass', 'fastcgi_pass', 'uwsgi_pass'].includes(d.name) && d.args[0]) {
          const value = d.args[0];
          if (value.includes('$')) continue; // resolved at request time
          const addr = parseAddress(value);
          if (!addr) continue;
          if (upstreams.has(addr.host) && !addr.explicitPort) continue; // its servers are the edges
          const location = [...parents].reverse().find((x) => x.name === 'location');
          const label = `${d.name}${location ? ` ${location.args.join(' ')}` : ''}`;
          this.checkProxyTarget(id, service, p.file, d, value, label, 'proxy_pass', d.name === 'proxy_pass' || d.name === 'grpc_pass' ? 'scheme' : null);
        }
      }
      if (listens.length) this.addPorts(id, listens);
    }
  }

  /**
   * One nginx target: an upstream `server` (port 80 when it names none), a
   * `proxy_pass`/`grpc_pass` URL (its scheme's port), or a fastcgi/uwsgi
   * address (no port of their own: judged only when written).
   */
  private checkProxyTarget(from: string, service: string | null, file: string, d: Directive, value: string, label: string, kind: EdgeKind, defaultPort: number | 'scheme' | null): void {
    const addr = parseAddress(value);
    if (!addr || hostClass(addr.host) !== 'name') return;
    const port = addr.explicitPort ? addr.port : defaultPort === 'scheme' ? addr.port : defaultPort;
    const t = this.target(addr.host);
    const e = this.edge({ from, to: t.id, kind, label: port ? `${label} :${port}` : label, file, line: d.line });
    const where = `${d.name} ${value}`;
    if (!t.known) {
      this.finding({ rule: 'upstream-target-missing', file, line: d.line, service, edges: [e], message: `${where}: no service "${addr.host}" in ${this.composeList()} or the workspace; nginx answers 502 on this route` });
      return;
    }
    const ports = this.nodes.get(t.id)!.ports;
    if (port !== null && ports.length > 0 && !ports.includes(port))
      this.finding({ rule: 'upstream-target-missing', file, line: d.line, service, edges: [e], message: `${where}: ${addr.host} listens on ${ports.join(', ')}, not ${port}; nginx answers 502 on this route` });
  }

  private composeList(): string {
    const files = [...new Set(this.compose.map((c) => c.file.path))];
    return files.length ? files.join(', ') : 'any compose file';
  }

  /** Checks one service URL; returns the edge's index, or null when the value is not judged. */
  private checkUrl(from: string | null, service: string | null, env: string, value: string, file: string, line: number, origin: 'compose' | 'code'): number | null {
    const addr = parseAddress(value);
    if (!addr || hostClass(addr.host) !== 'name') return null;
    const t = this.target(addr.host);
    const e = from ? this.edge({ from, to: t.id, kind: 'url', label: addr.port ? `${env} :${addr.port}` : env, file, line }) : null;
    const what = origin === 'compose' ? `${env}=${value}` : `${env} defaults to ${value}`;
    if (!t.known) {
      this.finding({ rule: 'service-url-mismatch', file, line, service, edges: e === null ? [] : [e], message: `${what}: no service "${addr.host}" in ${this.composeList()} or the workspace` });
      return e;
    }
    const ports = this.nodes.get(t.id)!.ports;
    if (addr.port !== null && ports.length > 0 && !ports.includes(addr.port) && t.id !== from)
      this.finding({
        rule: 'service-url-mismatch',
        file,
        line,
        service,
        edges: e === null ? [] : [e],
        message: `${what}: ${addr.host} listens on ${ports.join(', ')}, not ${addr.port}${addr.explicitPort ? '' : ` (${addr.scheme}'s default)`}`,
      });
    return e;
  }

  private urls(): void {
    for (const c of this.compose)
      for (const [env, { value, line }] of c.env) {
        if (!URL_ENV.test(env)) continue;
        const v = composeValue(value);
        if (v !== null) this.checkUrl(c.node, c.pkg?.name ?? c.entry.name, env, v, c.file.path, line, 'compose');
      }
    const ignored = new Set(this.input.ignoreServices ?? []);
    for (const p of this.input.packages) {
      if (!p.wiring || ignored.has(p.name)) continue;
      const from = this.nodeOfPackage(p);
      for (const read of p.wiring.urls)
        if (read.fallback !== null && read.fallbackLine !== null) this.checkUrl(from, p.name, read.env, read.fallback, read.file, read.fallbackLine, 'code');
    }
  }

  private dependsOn(): void {
    for (const c of this.compose) {
      if (!c.pkg?.wiring) continue;
      const seen = new Set<string>();
      const startup = new Map<string, UrlRead>();
      for (const r of c.pkg.wiring.urls) if (r.startup && !startup.has(r.env)) startup.set(r.env, r);
      for (const [env, read] of startup) {
        const set = c.env.get(env);
        const value = set ? composeValue(set.value) : read.fallback;
        const addr = value ? parseAddress(value) : null;
        if (!addr || hostClass(addr.host) !== 'name') continue;
        const to = this.hosts.get(addr.host);
        if (!to || to === c.node || !this.composeNodes.has(to)) continue;
        const name = this.composeNameOf.get(to)!;
        if (c.dependsOn.has(name) || seen.has(name)) continue;
        seen.add(name);
        const edge = this.edge({ from: c.node, to, kind: 'url', label: addr.port ? `${env} :${addr.port}` : env, file: set ? c.file.path : read.file, line: set ? set.line : (read.fallbackLine ?? read.line) });
        this.finding({
          rule: 'depends-on-missing',
          file: c.file.path,
          line: c.dependsOnLine ?? c.entry.line,
          service: c.pkg.name,
          edges: [edge],
          message: `${c.entry.name} calls ${name} while starting (${env}, read at ${read.file}:${read.line}) but has no depends_on: ${name}; compose may start it first`,
        });
      }
    }
  }

  private topics(): void {
    const ignored = new Set(this.input.ignoreServices ?? []);
    const uses: { pkg: Service; node: string; kind: 'produces' | 'consumes'; topic: string; pattern: boolean; file: string; line: number }[] = [];
    for (const p of this.input.packages) {
      if (!p.wiring || ignored.has(p.name)) continue;
      const node = this.nodeOfPackage(p);
      if (!node) continue;
      for (const u of p.wiring.produces) uses.push({ pkg: p, node, kind: 'produces', topic: u.topic, pattern: false, file: u.file, line: u.line });
      for (const u of p.wiring.consumes) uses.push({ pkg: p, node, kind: 'consumes', topic: u.topic, pattern: !!u.pattern, file: u.file, line: u.line });
    }
    const produced = new Set(uses.filter((u) => u.kind === 'produces').map((u) => u.topic));
    const consumed = new Set(uses.filter((u) => u.kind === 'consumes' && !u.pattern).map((u) => u.topic));
    const patterns = uses.filter((u) => u.kind === 'consumes' && u.pattern).flatMap((u) => {
      try {
        return [new RegExp(u.topic)];
      } catch {
        return [];
      }
    });
    const hasConsumers = uses.some((u) => u.kind === 'consumes');
    const hasProducers = produced.size > 0;
    for (const u of uses) {
      if (u.pattern) {
        // A pattern subscription consumes every produced topic it matches.
        let re: RegExp | null = null;
        try {
          re = new RegExp(u.topic);
        } catch {
          continue;
        }
        const matches = [...produced].filter((t) => re!.test(t));
        if (matches.length === 0) this.edge({ from: this.node(`topic:/${u.topic}/`, 'topic', `/${u.topic}/`).id, to: u.node, kind: 'consumes', label: 'consumes', file: u.file, line: u.line });
        for (const t of matches) this.edge({ from: this.node(`topic:${t}`, 'topic', t).id, to: u.node, kind: 'consumes', label: 'consumes', file: u.file, line: u.line });
        continue;
      }
      const topic = this.node(`topic:${u.topic}`, 'topic', u.topic).id;
      if (u.kind === 'produces') {
        const e = this.edge({ from: u.node, to: topic, kind: 'produces', label: 'produces', file: u.file, line: u.line });
        // Without any consumer in the repo, the consumers live elsewhere: nothing to compare with.
        if (hasConsumers && !consumed.has(u.topic) && !patterns.some((re) => re.test(u.topic)))
          this.finding({ rule: 'topic-without-consumer', file: u.file, line: u.line, service: u.pkg.name, edges: [e], message: `topic "${u.topic}" is produced here but no service of the repo consumes it` });
      } else {
        const e = this.edge({ from: topic, to: u.node, kind: 'consumes', label: 'consumes', file: u.file, line: u.line });
        if (hasProducers && !produced.has(u.topic))
          this.finding({ rule: 'topic-without-producer', file: u.file, line: u.line, service: u.pkg.name, edges: [e], message: `topic "${u.topic}" is consumed here but no service of the repo produces it` });
      }
    }
  }
}

const KIND_ORDER: EdgeKind[] = ['upstream', 'proxy_pass', 'url', 'depends_on', 'produces', 'consumes'];

function edgeOrder(a: GraphEdge, b: GraphEdge): number {
  const keys = (e: GraphEdge) => [e.from, e.to, String(KIND_ORDER.indexOf(e.kind)), e.file, String(e.line).padStart(8, '0'), e.label];
  const x = keys(a);
  const y = keys(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

export function buildGraph(input: GraphInput): BuiltGraph {
  return new Builder(input).build();
}

