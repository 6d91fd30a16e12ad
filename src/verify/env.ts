// The environment verify starts the service with: what its compose service
// and Dockerfile give it, with every dependency (MongoDB, Postgres, Redis,
// Kafka, other services) pointed at a closed loopback port, secrets replaced
// by dummies and PORT set to a free loopback port. Nothing is inherited from
// the caller's shell except PATH/HOME/locale, so a developer's MONGO_URI
// cannot leak in and make a dependency look "up".
import { unusedPort } from './ports.js';
import type { Target } from './target.js';

export type DependencyKind = 'mongodb' | 'postgres' | 'mysql' | 'redis' | 'kafka' | 'amqp' | 'service' | 'url';

export const KIND_LABEL: Record<DependencyKind, string> = {
  mongodb: 'MongoDB',
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  redis: 'Redis',
  kafka: 'Kafka',
  amqp: 'RabbitMQ',
  service: 'HTTP service',
  url: 'URL',
};

/** Kinds a service's readiness may wait on; other services and plain URLs are not among them. */
export const DATA_KINDS: DependencyKind[] = ['mongodb', 'postgres', 'mysql', 'redis', 'kafka', 'amqp'];

export type EnvWhy = 'port' | 'dependency' | 'secret' | 'compose' | 'dockerfile' | 'dummy' | 'host';

export interface EnvEntry {
  name: string;
  value: string;
  why: EnvWhy;
  kind?: DependencyKind;
}

export interface Dependency {
  kind: DependencyKind;
  label: string;
  /** The closed loopback port every variable of this dependency points at. */
  port: number;
  names: string[];
}

export interface EnvPlan {
  env: Record<string, string>;
  /** The free port the service should listen on (HTTP services). */
  port: number | null;
  entries: EnvEntry[];
  dependencies: Dependency[];
}

/** Long enough for libraries that insist on 32+ character secrets. */
export const DUMMY_SECRET = 'shipshape-verify-dummy-secret-0123456789abcdef';
export const DUMMY_VALUE = 'shipshape-verify';
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SystemRoot'];

type Role = 'url' | 'host' | 'port' | 'brokers' | 'secret' | 'other';

export function roleOf(name: string): Role {
  const n = name.toUpperCase();
  if (/(SECRET|TOKEN|PASSWORD|PASSWD|PASS|_KEY|APIKEY|PRIVATE|CREDENTIALS?)$/.test(n) || /(^|_)(SECRET|PASSWORD|TOKEN)(_|$)/.test(n)) return 'secret';
  if (/(^|_)BROKERS?$|BOOTSTRAP_SERVERS?$/.test(n)) return 'brokers';
  if (/(_|^)(URL|URI|URLS|DSN|ENDPOINT|ADDR|ADDRESS|CONNECTION|CONNECTION_STRING|CONN)$/.test(n)) return 'url';
  if (/(_|^)(HOST|HOSTNAME|SERVER)$/.test(n)) return 'host';
  if (/(_|^)PORT$/.test(n)) return 'port';
  return 'other';
}

/** The dependency a variable name belongs to, from the name alone. */
export function familyOf(name: string): DependencyKind | null {
  const n = name.toUpperCase();
  if (/MONGO/.test(n)) return 'mongodb';
  if (/REDIS/.test(n)) return 'redis';
  if (/KAFKA|(^|_)BROKERS?$/.test(n)) return 'kafka';
  if (/RABBIT|AMQP/.test(n)) return 'amqp';
  if (/MYSQL|MARIADB/.test(n)) return 'mysql';
  if (/POSTGRES|(^|_)PG(_|$)|^PG|^DATABASE_URL$|^DB_(URL|HOST|PORT)$/.test(n)) return 'postgres';
  if (/_SERVICE(_[A-Z0-9]+)?_(URL|URI|HOST)$/.test(n)) return 'service';
  return null;
}

const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/([^@/?#]*@)?([^/?#]*)(.*)$/i;

/** The dependency a value's URL scheme names (mongodb://, redis://...), if any. */
export function kindOfValue(value: string | undefined): DependencyKind | null {
  const scheme = value && URL_SHAPE.exec(value.trim())?.[1]?.toLowerCase();
  if (!scheme) return null;
  if (scheme.startsWith('mongodb')) return 'mongodb';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'redis' || scheme === 'rediss') return 'redis';
  if (scheme === 'amqp' || scheme === 'amqps') return 'amqp';
  if (scheme === 'kafka') return 'kafka';
  if (scheme === 'http' || scheme === 'https') return 'url';
  return null;
}

const DEFAULT_URL: Record<DependencyKind, (port: number) => string> = {
  mongodb: (p) => `mongodb://127.0.0.1:${p}/app`,
  postgres: (p) => `postgres://verify:verify@127.0.0.1:${p}/app`,
  mysql: (p) => `mysql://verify:verify@127.0.0.1:${p}/app`,
  redis: (p) => `redis://127.0.0.1:${p}`,
  kafka: (p) => `127.0.0.1:${p}`,
  amqp: (p) => `amqp://127.0.0.1:${p}`,
  service: (p) => `http://127.0.0.1:${p}`,
  url: (p) => `http://127.0.0.1:${p}`,
};

/**
 * `value` with its host(s) replaced by 127.0.0.1:port, keeping scheme, user,
 * database path and query; TLS and SRV variants lose their TLS/SRV part since
 * nothing answers on the port anyway.
 */
export function pointAt(value: string | undefined, kind: DependencyKind, port: number): string {
  const m = value ? URL_SHAPE.exec(value.trim()) : null;
  if (!m) return DEFAULT_URL[kind](port);
  const scheme = m[1]!.toLowerCase().replace(/\+srv$/, '').replace(/^rediss$/, 'redis').replace(/^https$/, 'http');
  if (kind === 'kafka' && scheme === 'kafka') return `127.0.0.1:${port}`;
  return `${scheme}://${m[2] ?? ''}127.0.0.1:${port}${m[4] ?? ''}`;
}

function upperSnake(name: string): string {
  return name.replace(/^@[^/]+\//, '').replace(/[^a-zA-Z0-9]+/g, '_').toUpperCase();
}

/** PORT and the service's own port variables (COURSE_SERVICE_PORT for course-service). */
export function isOwnPort(name: string, serviceName: string, provided: string | undefined, knownPort: number | null): boolean {
  if (['PORT', 'HTTP_PORT', 'SERVER_PORT', 'APP_PORT', 'LISTEN_PORT'].includes(name)) return true;
  if (name === `${upperSnake(serviceName)}_PORT`) return true;
  return knownPort !== null && roleOf(name) === 'port' && familyOf(name) === null && provided === String(knownPort);
}

export async function buildEnv(target: Target, base: NodeJS.ProcessEnv = process.env): Promise<EnvPlan> {
  const { service } = target;
  const http = service.type === 'api' || service.type === 'ui';
  const compose = target.compose?.env ?? {};
  const docker = target.docker?.env ?? {};
  const required = new Set(service.requiredEnv);
  const names = [...new Set([...Object.keys(compose), ...Object.keys(docker), ...target.codeEnv, ...service.requiredEnv, ...(http ? ['PORT'] : [])])].sort();

  const env: Record<string, string> = {};
  for (const k of BASE_ENV) if (typeof base[k] === 'string') env[k] = base[k]!;
  const entries: EnvEntry[] = [];
  const groups = new Map<string, Dependency>();
  const port = http ? await unusedPort() : null;

  const closedPortFor = async (kind: DependencyKind, key: string): Promise<number> => {
    // One port per datastore/broker kind, so REDIS_HOST + REDIS_PORT + REDIS_URL agree;
    // one per variable for other services and URLs, so a log line names the culprit.
    const group = DATA_KINDS.includes(kind) ? kind : `${kind}:${key}`;
    let dep = groups.get(group);
    if (!dep) {
      dep = { kind, label: KIND_LABEL[kind], port: await unusedPort(), names: [] };
      groups.set(group, dep);
    }
    dep.names.push(key);
    return dep.port;
  };
  const set = (name: string, value: string, why: EnvWhy, kind?: DependencyKind) => {
    env[name] = value;
    entries.push({ name, value, why, ...(kind ? { kind } : {}) });
  };

  // A variable without a value borrows the database path of a sibling that has one:
  // MONGODB_URI next to MONGO_URI=mongodb://mongo/notifications gets /notifications too.
  const templates = new Map<DependencyKind, string>();
  for (const name of names) {
    const value = compose[name] ?? docker[name] ?? undefined;
    const kind = kindOfValue(value);
    if (kind && value && !templates.has(kind)) templates.set(kind, value);
  }

  for (const name of names) {
    const provided = compose[name] ?? docker[name] ?? undefined;
    const origin: EnvWhy = compose[name] != null ? 'compose' : 'dockerfile';
    const role = roleOf(name);
    if (port !== null && isOwnPort(name, service.name, provided, service.port)) {
      set(name, String(port), 'port');
      continue;
    }
    if (role === 'secret') {
      if (provided !== undefined || required.has(name) || familyOf(name) === null) set(name, DUMMY_SECRET, 'secret');
      continue;
    }
    // An http:// value of COURSE_SERVICE_URL is a service; the value's scheme wins otherwise.
    const fromValue = kindOfValue(provided);
    const kind = (fromValue === 'url' ? (familyOf(name) ?? fromValue) : fromValue) ?? familyOf(name) ?? (role === 'url' ? 'url' : null);
    if (kind && role !== 'other') {
      const p = await closedPortFor(kind, name);
      if (role === 'host') set(name, '127.0.0.1', 'dependency', kind);
      else if (role === 'port') set(name, String(p), 'dependency', kind);
      else if (role === 'brokers') set(name, `127.0.0.1:${p}`, 'dependency', kind);
      else set(name, pointAt(provided ?? templates.get(kind), kind, p), 'dependency', kind);
      continue;
    }
    if (kind && DATA_KINDS.includes(kind) && kindOfValue(provided)) {
      // e.g. CACHE=redis://cache:6379: the value says it is a dependency.
      set(name, pointAt(provided, kind, await closedPortFor(kind, name)), 'dependency', kind);
      continue;
    }
    if (provided !== undefined) set(name, provided, origin);
    else if (required.has(name)) {
      if (role === 'port') set(name, String(await unusedPort()), 'dummy');
      else if (role === 'host') set(name, '127.0.0.1', 'host');
      else set(name, DUMMY_VALUE, 'dummy');
    }
  }
  return { env, port, entries, dependencies: [...groups.values()] };
}
