// A compose file read the way `docker compose` reads it: service entries,
// keys looked up through `<<` merge keys and same-file `extends`, `build`
// resolved against the compose file's folder, the port a service listens on
// inside its container. Read-only, pure over yaml nodes. The inventory
// (composeFacts below), the compose transforms and the build-context
// inference all read compose files through this one module.
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { lineAt } from '../engine/text.js';
import { resolveAlias } from './yaml-alias.js';

export interface ComposeEntry {
  /** The key under `services:`. */
  name: string;
  /** 1-based line of that key. */
  line: number;
  map: YAMLMap;
}

/** `build:` of an entry, paths relative to the workspace root ('/'-separated). */
export interface BuildSpec {
  /** As written; null when `build` has no context (invalid, compose rejects it). */
  rawContext: string | null;
  context: string | null;
  contextNode: Node | null;
  rawDockerfile: string | null;
  /** The Dockerfile compose will use: `dockerfile` resolved in the context, else `<context>/Dockerfile`. */
  dockerfile: string | null;
  dockerfileNode: Node | null;
  /** `dockerfile_inline:` is set: there is no Dockerfile on disk to find. */
  inline: boolean;
}

/** A value found for a key, and where it came from. */
export type Lookup = { node: Node | null; via: 'own' | 'merge' | 'extends' } | { external: string } | undefined;

/** 1-based line where a node starts in `text`; `fallback` for nodes the fixer created. */
export function lineOf(text: string, node: Node | null | undefined, fallback = 1): number {
  const start = node?.range?.[0];
  return start === undefined ? fallback : lineAt(text, start);
}

/** The string value of a scalar node (numbers included), else null. */
export function scalarText(node: unknown): string | null {
  if (!isScalar(node)) return null;
  return typeof node.value === 'string' || typeof node.value === 'number' ? String(node.value) : null;
}

/** Every `services.<name>` whose value is a map, in file order. */
export function composeEntries(doc: Document, text: string): ComposeEntry[] {
  const services = doc.get('services', true);
  if (!isMap(services)) return [];
  const out: ComposeEntry[] = [];
  for (const pair of services.items) {
    const name = scalarText(pair.key);
    if (name === null || !isMap(pair.value)) continue;
    out.push({ name, line: lineOf(text, pair.key as Node), map: pair.value });
  }
  return out;
}

/** The maps a `<<:` key merges in (one alias or a list of aliases). */
function merged(map: YAMLMap, doc: Document): YAMLMap[] {
  const value = map.get('<<', true) as unknown;
  const sources = isSeq(value) ? value.items : value === undefined ? [] : [value];
  const out: YAMLMap[] = [];
  for (const s of sources) {
    const target = isAlias(s) ? resolveAlias(doc, s) : s;
    if (isMap(target)) out.push(target);
  }
  return out;
}

/** Looks `key` up on an entry the way compose resolves it: own key, `<<` merges, then same-file `extends`. */
export function lookup(entry: ComposeEntry, key: string, doc: Document, entries: ComposeEntry[], depth = 0): Lookup {
  const value = (map: YAMLMap) => {
    const node = map.get(key, true) as Node | null;
    return isAlias(node) ? (resolveAlias(doc, node) ?? null) : node;
  };
  if (entry.map.has(key)) return { node: value(entry.map), via: 'own' };
  for (const m of merged(entry.map, doc)) if (m.has(key)) return { node: value(m), via: 'merge' };
  const ext = entry.map.get('extends', true) as unknown;
  if (ext === undefined || depth > 5) return undefined;
  const base = isMap(ext) ? { service: scalarText(ext.get('service', true)), file: scalarText(ext.get('file', true)) } : { service: scalarText(ext), file: null };
  if (base.file) return { external: base.file };
  const parent = entries.find((e) => e.name === base.service);
  const found = parent ? lookup(parent, key, doc, entries, depth + 1) : undefined;
  return found && 'node' in found ? { node: found.node, via: 'extends' } : found;
}

/** The node `lookup` finds for a key, or null when the key is absent, null, or lives in another file. */
export function lookupNode(entry: ComposeEntry, key: string, doc: Document, entries: ComposeEntry[]): Node | null {
  const found = lookup(entry, key, doc, entries);
  return found && 'node' in found ? found.node : null;
}

/** `build:` of an entry (own or merged), or null when the entry is image-only. */
export function buildOf(entry: ComposeEntry, composePath: string, doc: Document, entries: ComposeEntry[]): BuildSpec | null {
  const found = lookup(entry, 'build', doc, entries);
  if (!found || !('node' in found) || found.node === null) return null;
  const base = path.posix.dirname(composePath);
  const build = found.node;
  const contextNode = isMap(build) ? ((build.get('context', true) as Node | undefined) ?? null) : build;
  const dockerfileNode = isMap(build) ? ((build.get('dockerfile', true) as Node | undefined) ?? null) : null;
  const rawContext = scalarText(contextNode);
  const rawDockerfile = scalarText(dockerfileNode);
  const context = rawContext === null ? null : resolve(base, rawContext);
  return {
    rawContext,
    context,
    contextNode,
    rawDockerfile,
    dockerfile: context === null ? null : resolve(context, rawDockerfile ?? 'Dockerfile'),
    dockerfileNode,
    inline: isMap(build) && build.has('dockerfile_inline'),
  };
}

function resolve(dir: string, rel: string): string {
  return path.posix.normalize(path.posix.join(dir, rel)).replace(/\/$/, '') || '.';
}

const PORT = /^\d{2,5}$/;
/** `${VAR:-3000}` / `${VAR-3000}`: compose's default wins when VAR is unset. */
const DEFAULTED = /^\$\{\w+:?-(\d{2,5})\}$/;

function portValue(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (PORT.test(v)) return Number(v);
  const m = DEFAULTED.exec(v);
  return m ? Number(m[1]) : null;
}

/** `PORT` from `environment:` in map (own key or `<<:` merged anchor) or `KEY=value` list form. */
export function environmentPort(env: unknown, doc: Document): number | null {
  if (isMap(env)) {
    if (env.has('PORT')) return portValue(scalarText(env.get('PORT', true)));
    const merged = env.get('<<', true);
    for (const source of isSeq(merged) ? merged.items : [merged]) {
      const target = isAlias(source) ? resolveAlias(doc, source) : source;
      if (isMap(target) && target.has('PORT')) return portValue(scalarText(target.get('PORT', true)));
    }
    return null;
  }
  if (isSeq(env))
    for (const item of env.items) {
      const text = scalarText(item);
      if (text?.startsWith('PORT=')) return portValue(text.slice('PORT='.length));
    }
  return null;
}

/** Container side of the first `ports:` entry: `3000`, `"8080:3000"`, `"127.0.0.1:8080:3000/tcp"`, `{target: 3000}`. */
export function publishedContainerPort(ports: unknown): number | null {
  if (!isSeq(ports)) return null;
  for (const item of ports.items) {
    if (isMap(item)) {
      const target = portValue(scalarText(item.get('target', true)));
      if (target !== null) return target;
      continue;
    }
    if (!isScalar(item)) continue;
    const text = scalarText(item);
    const last = text?.replace(/\/(tcp|udp|sctp)$/, '').split(':').pop() ?? null;
    const port = portValue(last);
    if (port !== null) return port;
  }
  return null;
}

/** What the inventory takes from one compose entry. */
export interface ComposeServiceFacts {
  name: string;
  /** Build context and Dockerfile relative to the workspace root, when it builds one. */
  context: string | null;
  dockerfile: string | null;
  healthcheck: boolean;
  port: number | null;
}

export function composeFacts(file: string, doc: Document, text: string): ComposeServiceFacts[] {
  const entries = composeEntries(doc, text);
  return entries.map((entry) => {
    const build = buildOf(entry, file, doc, entries);
    const hc = lookupNode(entry, 'healthcheck', doc, entries);
    const test = isMap(hc) ? hc.get('test', true) : null;
    // `disable: true` or `test: ["NONE"]` turn an inherited healthcheck off.
    const disabled = isMap(hc) && (hc.get('disable') === true || (isSeq(test) && scalarText(test.items[0]) === 'NONE'));
    return {
      name: entry.name,
      context: build?.context ?? null,
      dockerfile: build && !build.inline ? build.dockerfile : null,
      healthcheck: hc !== null && !disabled,
      port: environmentPort(lookupNode(entry, 'environment', doc, entries), doc) ?? publishedContainerPort(lookupNode(entry, 'ports', doc, entries)),
    };
  });
}
