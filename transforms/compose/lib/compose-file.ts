// A compose file read the way `docker compose` reads it, for the compose
// transforms: service entries with their `build` resolved against the compose
// file's folder, keys looked up through `<<` merge keys and same-file
// `extends`, and each entry mapped to a workspace service. Read-only: the
// transforms decide what to change.
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { parseDockerfile } from '../../../src/engine/dockerfile.js';
import { lineAt } from '../../../src/engine/text.js';
import type { Service, WorkspaceView } from '../../../src/engine/types.js';

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
    const target = isAlias(s) ? s.resolve(doc) : s;
    if (isMap(target)) out.push(target);
  }
  return out;
}

/** Looks `key` up on an entry the way compose resolves it: own key, `<<` merges, then same-file `extends`. */
export function lookup(entry: ComposeEntry, key: string, doc: Document, entries: ComposeEntry[], depth = 0): Lookup {
  const value = (map: YAMLMap) => {
    const node = map.get(key, true) as Node | null;
    return isAlias(node) ? (node.resolve(doc) ?? null) : node;
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

/**
 * The workspace service an entry runs: by the Dockerfile it builds, by its
 * build context folder, then by name (entry key, package name, folder name or
 * image name).
 */
export function serviceFor(entry: ComposeEntry, build: BuildSpec | null, image: string | null, ws: WorkspaceView): Service | null {
  const services = ws.services;
  if (build?.rawDockerfile && build.dockerfile) {
    const dir = path.posix.dirname(build.dockerfile);
    const hit = services.find((s) => s.dockerfile === build.dockerfile) ?? (dir !== '.' ? services.find((s) => s.dir === dir) : undefined);
    if (hit) return hit;
  }
  if (build?.context) {
    const hit = services.find((s) => s.dir === build.context);
    if (hit) return hit;
  }
  const imageName = image ? /([^/:@]+)(?::[^/@]*)?(?:@.*)?$/.exec(image)?.[1] : undefined;
  for (const name of [entry.name, imageName]) {
    const hit = name ? services.find((s) => s.name === name || path.posix.basename(s.dir) === name) : undefined;
    if (hit) return hit;
  }
  return null;
}

/** What the image's own Dockerfile says, when shipshape can read it. */
export interface ImageFacts {
  dockerfile: string;
  /** Final stage has a HEALTHCHECK other than NONE. */
  healthcheck: boolean;
  /** The program that HEALTHCHECK runs first (`curl`, `node`), when readable. */
  healthcheckProgram: string | null;
  /** Final stage base image (stage aliases followed), lower-cased, and its tag. */
  runtimeImage: string;
  runtimeTag: string | null;
  /** Arguments of the final stage's RUN instructions, to see what it installs. */
  runs: string[];
}

export function imageFacts(build: BuildSpec | null, service: Service | null, ws: WorkspaceView): ImageFacts | null {
  const file = build?.inline ? null : (build?.dockerfile ?? service?.dockerfile ?? null);
  const text = file ? ws.read(file) : undefined;
  if (!file || text === undefined) return null;
  const tree = parseDockerfile(text);
  const final = tree.final;
  if (!final) return null;
  // `FROM base AS runtime` runs on whatever `base` is built from.
  let base = final;
  const runs: string[] = [];
  for (let i = 0; i < tree.stages.length; i++) {
    runs.push(...base.instructions.filter((x) => x.keyword === 'RUN').map((x) => x.args));
    const parent = tree.stages.find((s) => s.index < base.index && s.name !== null && s.name.toLowerCase() === base.image);
    if (!parent) break;
    base = parent;
  }
  const hc = [...final.instructions].reverse().find((i) => i.keyword === 'HEALTHCHECK');
  const healthcheck = !!hc && !/^\s*NONE\b/i.test(hc.args);
  const program = hc && healthcheck ? (hc.execForm?.[0] ?? tree.shellOf(hc)?.commands[0]?.args[0] ?? null) : null;
  return {
    dockerfile: file,
    healthcheck,
    healthcheckProgram: program === null ? null : path.posix.basename(program),
    runtimeImage: base.image,
    runtimeTag: base.tag,
    runs,
  };
}

/**
 * Whether the runtime image has `binary` (curl, wget): true/false when the
 * base image makes it clear, null when shipshape cannot tell.
 */
export function imageHasBinary(facts: ImageFacts, binary: 'curl' | 'wget'): boolean | null {
  const install = new RegExp(`\\b(apk\\s+add|apt-get\\s+install|apt\\s+install|dnf\\s+install|yum\\s+install|microdnf\\s+install)\\b[^;&|]*\\b${binary}\\b`);
  if (facts.runs.some((r) => install.test(r))) return true;
  const image = facts.runtimeImage;
  const tag = facts.runtimeTag ?? '';
  if (image.includes('distroless')) return false;
  if (!/(^|\/)node$/.test(image)) return null;
  if (tag.includes('alpine')) return binary === 'wget'; // busybox wget, no curl
  if (tag.includes('slim')) return false;
  return true; // the full Debian-based node images ship both
}
