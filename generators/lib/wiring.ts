// Wires a new package into the monorepo: its compose service entry, its row
// in the CI image-build matrix, and the pnpm workspace globs when they do not
// cover its folder. Every edit goes through the yaml Document API (comments,
// anchors and key order survive) and lands next to the entries of the same
// kind, written the way the neighbours are written (same build context, the
// same shared `<<: *anchor` environment).
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Alias, type Document, type Node } from 'yaml';
import { lookupNode, scalarText, type ComposeEntry } from '../../src/workspace/compose.js';
import type { FileChange } from '../../src/engine/pipeline.js';
import type { ServiceType } from '../../src/engine/types.js';
import { entryType, envValues, type ComposeFile, type Monorepo } from './monorepo.js';
import type { Kind } from './options.js';
import { editable, print, stringScalar } from './yaml-edit.js';

/** What the wiring needs to know about the new package. */
export interface NewPackage {
  kind: Kind;
  name: string;
  /** Package folder relative to the root, e.g. `services/billing-service`. */
  dir: string;
  port: number | null;
  /** Environment the compose entry sets, in order (values are literal strings or numbers). */
  env: [string, string | number][];
  /** Compose services to wait for. */
  dependsOn: { name: string; healthy: boolean }[];
}

export interface Wiring {
  changes: FileChange[];
  conflicts: string[];
  /** Things the user should know or do by hand. */
  notes: string[];
}

const TYPE: Record<Kind, ServiceType> = { service: 'api', worker: 'worker' };

/** Same probe as the compose-healthcheck transform: exec form, node only, 127.0.0.1, PORT from the environment. */
function probe(port: number): YAMLSeq {
  const js = `require('http').get('http://127.0.0.1:'+(process.env.PORT||${port})+'/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`;
  const test = new YAMLSeq();
  test.flow = true;
  for (const word of ['CMD', 'node', '-e', js]) {
    const s = new Scalar(word);
    s.type = Scalar.QUOTE_DOUBLE;
    test.items.push(s);
  }
  return test;
}

/** The `<<: *anchor` most build entries merge into their environment, when most of them share one. */
function sharedEnvironment(file: ComposeFile, builds: ComposeEntry[]): { alias: Alias; provides: Map<string, string> } | null {
  const sources = builds.flatMap((e) => {
    const env = e.map.get('environment', true);
    const merged = isMap(env) ? env.get('<<', true) : null;
    return isAlias(merged) ? [merged] : [];
  });
  const byAnchor = new Map<string, Alias[]>();
  for (const a of sources) byAnchor.set(a.source, [...(byAnchor.get(a.source) ?? []), a]);
  const [anchor, uses] = [...byAnchor].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
  if (!anchor || !uses || uses.length * 2 < builds.length) return null;
  const target = uses[0]!.resolve(file.doc);
  if (!isMap(target)) return null;
  return { alias: file.doc.createAlias(target as Node as YAMLMap), provides: envValues(target, file.doc) };
}

function hasBuild(entry: ComposeEntry, file: ComposeFile): boolean {
  return lookupNode(entry, 'build', file.doc, file.entries) !== null;
}

/** Index after which to insert: the last entry of the same type, else the last one with a build, else the end. */
function insertAfter<T>(items: T[], typeOf: (item: T) => ServiceType | null, built: (item: T) => boolean, type: ServiceType): number {
  for (const pick of [(i: T) => typeOf(i) === type, built])
    for (let i = items.length - 1; i >= 0; i--) if (pick(items[i]!)) return i;
  return items.length - 1;
}

export function composeWiring(mono: Monorepo, pkg: NewPackage): Wiring {
  const out: Wiring = { changes: [], conflicts: [], notes: [] };
  const file = mono.compose;
  if (!file) {
    out.notes.push('no docker compose file with services found: add a compose entry by hand if you run the stack with compose');
    return out;
  }
  const doc = editable(file.path, file.text);
  const entries = file.entries.map((e) => ({ ...e, map: findEntry(doc, e.name) ?? e.map }));
  const view: ComposeFile = { ...file, doc, entries };
  if (entries.some((e) => e.name === pkg.name)) {
    out.conflicts.push(`${file.path}: services.${pkg.name} already exists`);
    return out;
  }
  const builds = entries.filter((e) => hasBuild(e, view));
  const shared = sharedEnvironment(view, builds);
  const composeDir = path.posix.dirname(file.path);
  const context = path.posix.relative(composeDir, '.') || '.';

  const entry = new YAMLMap();
  entry.set('build', doc.createNode({ context, dockerfile: `${pkg.dir}/Dockerfile` }));
  if (pkg.port !== null) {
    const mapping = new Scalar(`${pkg.port}:${pkg.port}`);
    mapping.type = Scalar.QUOTE_DOUBLE;
    entry.set('ports', doc.createNode([mapping]));
  }
  const vars = [['NODE_ENV', 'production'] as [string, string | number], ...pkg.env].filter(([key, value]) => shared?.provides.get(key) !== String(value));
  // `KEY=value` lists when that is how most neighbours write it, else a map (with their shared anchor).
  const lists = builds.filter((e) => isSeq(e.map.get('environment', true))).length;
  if (!shared && lists * 2 > builds.length) entry.set('environment', doc.createNode(vars.map(([k, v]) => `${k}=${v}`)));
  else {
    const env = new YAMLMap();
    if (shared) env.items.push(new Pair(new Scalar('<<'), shared.alias));
    for (const [key, value] of vars) env.set(key, value);
    entry.set('environment', env);
  }
  if (pkg.port !== null) {
    const hc = doc.createNode({ interval: '10s', timeout: '5s', retries: 3, start_period: '20s' }) as YAMLMap;
    hc.items.unshift(new Pair(new Scalar('test'), probe(pkg.port)));
    entry.set('healthcheck', hc);
  }
  if (pkg.dependsOn.length > 0)
    entry.set('depends_on', doc.createNode(Object.fromEntries(pkg.dependsOn.map((d) => [d.name, { condition: d.healthy ? 'service_healthy' : 'service_started' }]))));

  const services = doc.get('services', true) as YAMLMap;
  const index = insertAfter(entries, (e) => entryType(e, view, mono.analysis), (e) => hasBuild(e, view), TYPE[pkg.kind]);
  const at = index < 0 ? services.items.length : services.items.findIndex((p) => scalarText(p.key) === entries[index]!.name) + 1;
  const key = stringScalar(pkg.name);
  // Entries separated by blank lines get one too.
  key.spaceBefore = services.items.slice(1).some((p) => (p.key as Scalar).spaceBefore);
  services.items.splice(at, 0, new Pair(key, entry));
  out.changes.push({ path: file.path, before: file.text, after: print(doc, file.text), applied: [pkg.kind] });
  return out;
}

function findEntry(doc: Document, name: string): YAMLMap | null {
  const services = doc.get('services', true);
  const value = isMap(services) ? services.get(name, true) : null;
  return isMap(value) ? value : null;
}

/** A matrix row (map) that builds one of the workspace's services, and which one. */
function rowService(row: unknown, mono: Monorepo): { name: string; dir: string; type: ServiceType } | null {
  if (!isMap(row)) return null;
  const values = row.items.map((p) => scalarText(p.value)).filter((v): v is string => v !== null);
  for (const s of mono.analysis.ws.services)
    if (values.some((v) => v === s.name || v === s.dockerfile || v === s.dir)) return { name: s.name, dir: s.dir, type: s.type };
  return null;
}

/** A copy of `row` for the new package: the old service's name and folder swapped for the new ones. */
function cloneRow(doc: Document, row: YAMLMap, from: { name: string; dir: string }, pkg: NewPackage): YAMLMap {
  const copy = new YAMLMap();
  for (const pair of row.items) {
    const key = scalarText(pair.key);
    if (key === null) continue;
    const value = isScalar(pair.value) && typeof pair.value.value === 'string' ? pair.value.value : null;
    if (value === null) copy.set(key, doc.createNode((pair.value as Node | null)?.toJSON?.() ?? null));
    else copy.set(key, stringScalar(value === from.name ? pkg.name : value.split(from.dir).join(pkg.dir).split(from.name).join(pkg.name)));
  }
  return copy;
}

export function ciWiring(mono: Monorepo, pkg: NewPackage): Wiring {
  const out: Wiring = { changes: [], conflicts: [], notes: [] };
  for (const f of mono.analysis.files) {
    if (f.parsed?.kind !== 'workflow') continue;
    const doc = editable(f.path, f.text);
    let changed = false;
    const jobs = doc.get('jobs', true);
    for (const job of isMap(jobs) ? jobs.items : []) {
      const strategy = isMap(job.value) ? job.value.get('strategy', true) : null;
      const matrix = isMap(strategy) ? strategy.get('matrix', true) : null;
      if (!isMap(matrix)) continue;
      for (const pair of matrix.items) {
        const key = scalarText(pair.key);
        const list = pair.value;
        if (!isSeq(list)) continue;
        if (key === 'include') {
          const rows = list.items.map((r) => ({ row: r, service: rowService(r, mono) }));
          const known = rows.filter((r) => r.service !== null);
          if (known.length === 0) continue;
          if (list.items.some((r) => isMap(r) && r.items.some((p) => scalarText(p.value) === pkg.name))) {
            out.conflicts.push(`${f.path}: the ${scalarText(job.key)} matrix already lists ${pkg.name}`);
            continue;
          }
          // Prefer a row built like the new package (from the repo root), of the same kind.
          const rootBuilt = known.filter((r) => isMap(r.row) && r.row.items.some((p) => scalarText(p.value) === '.'));
          const pool = rootBuilt.length > 0 ? rootBuilt : known;
          const template = pool.filter((r) => r.service!.type === TYPE[pkg.kind]).pop() ?? pool[pool.length - 1]!;
          const index = insertAfter(rows, (r) => r.service?.type ?? null, (r) => r.service !== null, TYPE[pkg.kind]);
          list.items.splice(index + 1, 0, cloneRow(doc, template.row as YAMLMap, template.service!, pkg));
          changed = true;
        } else if (key !== 'exclude' && list.items.some((i) => mono.analysis.ws.services.some((s) => s.name === scalarText(i)))) {
          if (list.items.some((i) => scalarText(i) === pkg.name)) {
            out.conflicts.push(`${f.path}: the ${scalarText(job.key)} matrix already lists ${pkg.name}`);
            continue;
          }
          // A bare name list only works when the steps find every package the same way (`packages/${{ matrix.service }}`).
          const listed = mono.analysis.ws.services.filter((s) => list.items.some((i) => scalarText(i) === s.name));
          const parents = new Set(listed.map((s) => path.posix.dirname(s.dir)));
          if (parents.size === 1 && !parents.has(path.posix.dirname(pkg.dir))) {
            out.notes.push(`${f.path}: the ${scalarText(job.key)} matrix lists names of packages in ${[...parents][0]}/, and ${pkg.name} is in ${path.posix.dirname(pkg.dir)}/: add its image build by hand`);
            continue;
          }
          const typeOf = (i: unknown) => mono.analysis.ws.services.find((s) => s.name === scalarText(i))?.type ?? null;
          const index = insertAfter(list.items, typeOf, (i) => typeOf(i) !== null, TYPE[pkg.kind]);
          list.items.splice(index + 1, 0, stringScalar(pkg.name));
          changed = true;
        }
      }
    }
    if (changed) out.changes.push({ path: f.path, before: f.text, after: print(doc, f.text), applied: [pkg.kind] });
  }
  if (out.changes.length === 0 && out.conflicts.length === 0 && out.notes.length === 0)
    out.notes.push('no CI image-build matrix that lists the services was found in .github/workflows: add the new image to your CI by hand');
  return out;
}

/** A pnpm workspace glob as a RegExp: `*` one folder level, `**` any depth, `{a,b}` alternatives. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*' && g[i + 1] === '*') {
      re += g[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += g[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',' && re.includes('(?:')) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function workspaceWiring(mono: Monorepo, pkg: NewPackage): Wiring {
  const out: Wiring = { changes: [], conflicts: [], notes: [] };
  const file = 'pnpm-workspace.yaml';
  const text = mono.analysis.ws.read(file);
  if (text === undefined) return out;
  const doc = editable(file, text);
  const packages = doc.get('packages', true);
  if (!isSeq(packages)) {
    out.notes.push(`${file} has no packages list: add ${pkg.dir} to it by hand`);
    return out;
  }
  const globs = packages.items.map(scalarText).filter((g): g is string => g !== null);
  const covered = globs.filter((g) => !g.startsWith('!')).some((g) => globRegExp(g).test(pkg.dir));
  const excluded = globs.filter((g) => g.startsWith('!')).some((g) => globRegExp(g.slice(1)).test(pkg.dir));
  if (covered && !excluded) return out;
  if (excluded) {
    out.conflicts.push(`${file}: ${pkg.dir} is excluded by a "!" pattern`);
    return out;
  }
  const parent = path.posix.dirname(pkg.dir);
  const glob = doc.createNode(parent === '.' ? pkg.dir : `${parent}/*`) as Scalar;
  // Quoted like the entries before it.
  const last = packages.items[packages.items.length - 1];
  if (last instanceof Scalar && last.type) glob.type = last.type;
  packages.items.push(glob);
  out.changes.push({ path: file, before: text, after: print(doc, text), applied: [pkg.kind] });
  return out;
}

