// What verify needs to know about the service folder it was given: the
// workspace it belongs to (the nearest ancestor with pnpm-workspace.yaml or
// package.json#workspaces, else the folder itself), its inventory row from
// the shared analysis, and the raw material for its environment: compose
// `environment`, the final Dockerfile stage (ENV, WORKDIR, ENTRYPOINT/CMD)
// and every env var name its code reads.
import fs from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import { analyze, type Analysis } from '../engine/analyze.js';
import type { DockerfileTree } from '../engine/dockerfile.js';
import { UsageError } from '../engine/pipeline.js';
import type { AnyTransform, Service } from '../engine/types.js';
import { envName } from '../workspace/code-facts.js';
import { resolveAlias } from '../workspace/yaml-alias.js';

export interface DockerInfo {
  /** Dockerfile path relative to the workspace root. */
  path: string;
  workdir: string | null;
  /** ENTRYPOINT then CMD words as Docker would run them (shell form: ['/bin/sh', '-c', text]). */
  argv: string[];
  /** The instruction text, for evidence: `CMD ["node", "dist/index.js"]`. */
  instruction: string | null;
  /** ENV of the final stage. */
  env: Record<string, string>;
}

export interface ComposeInfo {
  file: string;
  name: string;
  /** null value: passed through from the host or an unset `${VAR}`. */
  env: Record<string, string | null>;
}

export interface Target {
  /** Absolute workspace root. */
  root: string;
  /** Absolute service dir. */
  dir: string;
  service: Service;
  docker: DockerInfo | null;
  compose: ComposeInfo | null;
  /** Every env var name the service's code reads (with or without a default). */
  codeEnv: string[];
  /** Absolute paths of the service's source files (for the stale-build check). */
  sources: string[];
}

function readManifest(dir: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8').replace(/^\ufeff/, ''));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The nearest ancestor (or the dir itself) that declares a workspace; else the dir. */
export function workspaceRootOf(dir: string): string {
  const start = path.resolve(dir);
  for (let cur = start; ; cur = path.dirname(cur)) {
    if (fs.existsSync(path.join(cur, 'pnpm-workspace.yaml'))) return cur;
    if (readManifest(cur)?.workspaces) return cur;
    if (path.dirname(cur) === cur) return start;
  }
}

/** `${X:-default}` → default, `${X}`/`$X` → nothing; null when nothing is left. */
export function interpolate(value: string): string | null {
  const out = value.replace(/\$\{(\w+)(?::?[-=]([^}]*))?\}|\$(\w+)/g, (_m, _name: string, def: string | undefined) => def ?? '');
  return out === '' ? null : out;
}

/** A compose `environment:` map or list; `<<: *anchor` merges are followed. */
function composeEnv(doc: Document, node: unknown, env: Record<string, string | null> = {}, depth = 0): Record<string, string | null> {
  if (isAlias(node)) return depth > 5 ? env : composeEnv(doc, resolveAlias(doc, node), env, depth + 1);
  if (isMap(node)) {
    const own: [string, unknown][] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (key === '<<') {
        // Merged keys come first; the map's own keys override them.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const src of sources) composeEnv(doc, src, env, depth + 1);
      } else own.push([key, pair.value]);
    }
    for (const [key, value] of own) {
      const v = isScalar(value) ? value.value : null;
      env[key] = v === null || v === undefined ? null : interpolate(String(v));
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      if (!isScalar(item)) continue;
      const text = String(item.value);
      const eq = text.indexOf('=');
      if (eq < 0) env[text] = null;
      else env[text.slice(0, eq)] = interpolate(text.slice(eq + 1));
    }
  }
  return env;
}

function findCompose(analysis: Analysis, service: Service): ComposeInfo | null {
  const baseName = path.posix.basename(service.dir);
  const candidates: ComposeInfo[] = [];
  for (const f of analysis.files) {
    if (f.parsed?.kind !== 'compose') continue;
    const services = f.parsed.doc.get('services');
    if (!isMap(services)) continue;
    const base = path.posix.dirname(f.path);
    for (const pair of services.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const svc = pair.value;
      if (!isMap(svc)) continue;
      const build: unknown = svc.get('build', true);
      const ctx = isScalar(build) ? String(build.value) : isMap(build) ? (build as { get(k: string): unknown }).get('context') : undefined;
      const context = typeof ctx === 'string' ? path.posix.normalize(path.posix.join(base, ctx)).replace(/\/$/, '') || '.' : null;
      const info = { file: f.path, name, env: composeEnv(f.parsed.doc, svc.get('environment', true)) };
      if (context === service.dir) return info;
      if (name === baseName || name === service.name) candidates.push(info);
    }
  }
  return candidates[0] ?? null;
}

function dockerInfo(file: string, tree: DockerfileTree): DockerInfo {
  const instrs = tree.final?.instructions ?? [];
  const env: Record<string, string> = {};
  let workdir: string | null = null;
  let entrypoint: (typeof instrs)[number] | undefined;
  let cmd: (typeof instrs)[number] | undefined;
  for (const i of instrs) {
    if (i.keyword === 'ENV') {
      const props = (i.node as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
      for (const p of props) env[p.getName()] = p.getValue() ?? '';
    } else if (i.keyword === 'WORKDIR') {
      const dir = i.args.trim().replace(/^["']|["']$/g, '');
      workdir = dir.startsWith('/') || !workdir ? dir : path.posix.join(workdir, dir);
    } else if (i.keyword === 'ENTRYPOINT') entrypoint = i;
    else if (i.keyword === 'CMD') cmd = i;
  }
  const words = (i: (typeof instrs)[number] | undefined): string[] => (!i ? [] : (i.execForm ?? ['/bin/sh', '-c', i.args]));
  // Docker ignores CMD after a shell-form ENTRYPOINT; an exec-form one gets CMD appended.
  const argv = entrypoint && !entrypoint.execForm ? words(entrypoint) : [...words(entrypoint), ...words(cmd)];
  const shown = [entrypoint, cmd].filter((i): i is NonNullable<typeof i> => !!i).map((i) => `${i.keyword} ${i.args}`);
  return { path: file, workdir, argv, instruction: shown.length ? shown.join(' + ') : null, env };
}

/** Env var names read through process.env.X, process.env['X'] or `const { X } = process.env`. */
function envNamesOf(analysis: Analysis, service: Service): string[] {
  const names = new Set<string>();
  for (const f of analysis.files) {
    if (f.pkg !== service.dir || f.parsed?.kind !== 'code') continue;
    const { j, root } = f.parsed;
    root.find(j.MemberExpression).forEach((p) => {
      const name = envName(p.node);
      if (name) names.add(name);
    });
    root.find(j.VariableDeclarator).forEach((p) => {
      const id = p.node.id as { type: string; properties?: { type: string; key?: { type: string; name?: string } }[] };
      const init = p.node.init as { type?: string; object?: { type?: string; name?: string }; property?: { name?: string } } | null;
      if (id.type !== 'ObjectPattern' || init?.type !== 'MemberExpression' || init.object?.name !== 'process' || init.property?.name !== 'env') return;
      for (const prop of id.properties ?? []) if (prop.key?.type === 'Identifier' && prop.key.name) names.add(prop.key.name);
    });
  }
  return [...names].sort();
}

export async function loadTarget(dirArg: string, transforms: AnyTransform[]): Promise<Target> {
  const dir = path.resolve(dirArg);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dirArg}: not a directory`);
  if (!fs.existsSync(path.join(dir, 'package.json'))) throw new UsageError(`${dirArg}: no package.json; pass the folder of one service`);
  const root = workspaceRootOf(dir);
  const analysis = await analyze(root, transforms);
  const rel = path.relative(root, dir).split(path.sep).join('/') || '.';
  const service = analysis.packages.get(rel);
  if (!service) {
    const known = analysis.ws.services.map((s) => s.dir).join(', ');
    const what = rel === '.' ? 'is the workspace root, not a service' : `is not a package of the workspace at ${root}`;
    throw new UsageError(`${dirArg} ${what}${known ? `; pass one of: ${known}` : ''}`);
  }
  if (service.type === 'lib') throw new UsageError(`${dirArg}: ${service.name} looks like a library (no listen call, no Kafka consumer, no Dockerfile): nothing to run`);
  const dockerFile = service.dockerfile ? analysis.files.find((f) => f.path === service.dockerfile) : undefined;
  const docker = dockerFile?.parsed?.kind === 'dockerfile' ? dockerInfo(dockerFile.path, dockerFile.parsed.tree) : null;
  const sources = analysis.files.filter((f) => f.pkg === service.dir && f.kind === 'code').map((f) => path.join(root, f.path));
  return { root, dir, service, docker, compose: findCompose(analysis, service), codeEnv: envNamesOf(analysis, service), sources };
}
