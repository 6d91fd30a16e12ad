// compose-healthcheck: without a healthcheck, docker compose only knows that an
// HTTP container's process exists, not that it answers; and `depends_on`
// without `condition: service_healthy` starts a dependent the moment its
// dependency's process starts, so the first requests hit a server that is not
// listening yet. This adds a node-based, PORT-aware healthcheck to every HTTP
// service (no curl in the image needed) and makes `depends_on` wait for
// healthy dependencies. A healthcheck that exists but runs curl/wget the image
// lacks is its own finding (healthcheck-binary-missing, the id the Dockerfile
// rule uses for the same defect), fixed by replacing its `test`. Edits go
// through the yaml Document API, so comments, key order and anchors survive.
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq, type Document, type Node, type Pair } from 'yaml';
import { parseShell } from '../../src/engine/shell.js';
import type { Report, Service, Transform, YamlContext } from '../../src/engine/types.js';
import { buildOf, composeEntries, environmentPort, lineOf, lookup, lookupNode, publishedContainerPort, scalarText, type ComposeEntry } from '../../src/workspace/compose.js';
import { imageFacts, imageHasBinary, serviceFor, type ImageFacts } from './lib/compose-file.js';
import { resolveAlias } from '../../src/workspace/yaml-alias.js';

const MISSING = 'compose-missing-healthcheck';
const BINARY = 'healthcheck-binary-missing';
const UNHEALTHY = 'compose-depends-on-unhealthy';

/** Probe timing: the first check passes within seconds of listening; a hung server is marked unhealthy in ~35 s. */
const TIMING = { interval: '10s', timeout: '5s', retries: 3, start_period: '20s' };

/** A route shipshape will put inside a JS string literal: plain path characters only. */
const SAFE_ROUTE = /^\/[A-Za-z0-9._~/-]*$/;

interface Probe {
  port: number;
  route: string;
  /** A UI without a known health route is probed on its home page, where a redirect also means "up". */
  page: boolean;
}

/** An HTTP entry without a working healthcheck: none at all (MISSING) or one whose binary the image lacks (BINARY). */
interface MissingHealthcheck {
  rule: typeof MISSING | typeof BINARY;
  /** The entry's line for MISSING; the line of the broken `test` for BINARY. */
  line: number;
  entry: ComposeEntry;
  probe: Probe | null;
  /** The entry's own healthcheck whose `test` gets replaced; null to add a whole healthcheck. */
  replace: YAMLMap | null;
  message: string;
}

interface UnhealthyDependency {
  owner: ComposeEntry;
  dependency: string;
  line: number;
  /** Null when the fixer declines the shape (the message says why). */
  form: 'list' | 'map' | null;
  message: string;
}

interface Plan {
  missing: MissingHealthcheck[];
  dependencies: UnhealthyDependency[];
  /** The workspace service each entry runs, by entry name. */
  serviceOf: Map<string, Service | null>;
}

/**
 * `broken`: the probe runs a binary the image lacks; `own` is the entry's own
 * healthcheck map to repair, `test` the key it is written under (null for the
 * image's HEALTHCHECK), `fromImage` when the probe is the image's HEALTHCHECK.
 */
type HealthState = 'yes' | 'disabled' | 'no' | { external: string } | { broken: string; own: YAMLMap | null; test: Node | null; fromImage: boolean };

function lacks(facts: ImageFacts | null, program: string | null): program is 'curl' | 'wget' {
  return !!facts && (program === 'curl' || program === 'wget') && imageHasBinary(facts, program) === false;
}

/** The program a healthcheck `test` runs first: `curl` in `["CMD", "curl", …]` or `"curl -f … || exit 1"`. */
function probeProgram(test: unknown): string | null {
  const words = isSeq(test) ? test.items.map(scalarText) : [scalarText(test)];
  const [first, second] = words;
  const shell = isSeq(test) ? (first === 'CMD-SHELL' ? second : null) : first;
  if (isSeq(test) && first === 'CMD') return second ? path.posix.basename(second) : null;
  if (!shell) return null;
  try {
    const head = parseShell(shell).commands[0]?.args[0];
    return head ? path.posix.basename(head) : null;
  } catch {
    return null;
  }
}

function healthState(entry: ComposeEntry, doc: Document, entries: ComposeEntry[], facts: ImageFacts | null): HealthState {
  const found = lookup(entry, 'healthcheck', doc, entries);
  if (found && 'external' in found) return { external: found.external };
  if (found) {
    const hc = found.node;
    const test = isMap(hc) ? hc.get('test', true) : null;
    const none = isSeq(test) && scalarText(test.items[0]) === 'NONE';
    if (isMap(hc) && (hc.get('disable') === true || none)) return 'disabled';
    // A probe with a binary the image lacks fails forever: as good as none, and worse for depends_on.
    const program = probeProgram(test);
    const testKey = isMap(hc) ? ((hc.items.find((p) => scalarText(p.key) === 'test')?.key as Node | undefined) ?? null) : null;
    if (lacks(facts, program)) return { broken: program, own: found.via === 'own' && isMap(hc) && !hc.anchor ? hc : null, test: testKey, fromImage: false };
    return 'yes';
  }
  // An image HEALTHCHECK applies to the compose service too.
  if (lacks(facts, facts?.healthcheckProgram ?? null)) return { broken: facts!.healthcheckProgram!, own: null, test: null, fromImage: true };
  return facts?.healthcheck ? 'yes' : 'no';
}

function portOf(entry: ComposeEntry, doc: Document, entries: ComposeEntry[], service: Service): number | null {
  const node = (key: string) => lookupNode(entry, key, doc, entries);
  return environmentPort(node('environment'), doc) ?? publishedContainerPort(node('ports')) ?? publishedContainerPort(node('expose')) ?? service.port;
}

/** Decides, for one HTTP entry without a working healthcheck, the probe to add or why not. */
function missingHealthcheck(at: Pick<MissingHealthcheck, 'rule' | 'line' | 'entry'>, ctx: YamlContext, entries: ComposeEntry[], service: Service, facts: ImageFacts | null, problem: string, broken: boolean): MissingHealthcheck {
  const { entry } = at;
  const name = entry.name;
  const port = portOf(entry, ctx.doc, entries, service);
  const route = service.health ?? (service.type === 'ui' ? '/' : '/health');
  const manual = (why: string) => ({ ...at, probe: null, replace: null, message: `manual: compose service "${name}" ${problem}, and ${why}` });
  if (facts && !facts.runtimeImage.includes('node')) return manual(`its runtime image (${facts.runtimeImage}) may have no node binary for a node-based probe; add a healthcheck with a tool that image has`);
  if (port === null) return manual("shipshape cannot tell its port (no PORT in environment, no ports, none in the service's code or Dockerfile); add a healthcheck on its port");
  if (!SAFE_ROUTE.test(route)) return manual(`its health route ${JSON.stringify(route)} is not a plain path; add a healthcheck by hand`);
  return {
    ...at,
    probe: { port, route, page: service.type === 'ui' && !service.health },
    replace: null,
    message: broken
      ? `compose service "${name}" (HTTP on port ${port}) ${problem}; probe ${route} with node instead`
      : `compose service "${name}" (HTTP on port ${port}) ${problem}: compose cannot tell a hung or still-starting server from a healthy one; add a node-based probe of ${route}`,
  };
}

/** Entries other services wait on with `service_completed_successfully`: one-off jobs (migrations, seeds), not servers. */
function oneOffJobs(entries: ComposeEntry[]): Set<string> {
  const jobs = new Set<string>();
  for (const entry of entries) {
    const deps = entry.map.get('depends_on', true);
    if (!isMap(deps)) continue;
    for (const pair of deps.items) if (conditionOf(pair.value) === 'service_completed_successfully') jobs.add(scalarText(pair.key) ?? '');
  }
  return jobs;
}

/** The finding for an HTTP entry whose state is not 'yes', with the probe to write when shipshape can. */
function httpFinding(entry: ComposeEntry, state: Exclude<HealthState, 'yes'>, ctx: YamlContext, entries: ComposeEntry[], service: Service, facts: ImageFacts | null): MissingHealthcheck {
  const missing = { rule: MISSING, line: entry.line, entry } as const;
  const manual = (message: string) => ({ ...missing, probe: null, replace: null, message: `manual: compose service "${entry.name}" ${message}` });
  if (state === 'disabled') return manual('is an HTTP service with its healthcheck disabled; remove `disable: true` (or test NONE) if nothing else watches it');
  if (typeof state === 'object' && 'external' in state) return manual(`extends a service in ${state.external}, which shipshape does not read; make sure one of them has a healthcheck`);
  if (state === 'no') return missingHealthcheck(missing, ctx, entries, service, facts, 'has no healthcheck', false);
  const image = `${facts?.runtimeImage}:${facts?.runtimeTag ?? 'latest'}`;
  // The image's own broken HEALTHCHECK is reported on the Dockerfile; here the entry only lacks a healthcheck that works.
  if (state.fromImage) {
    const problem = `has no healthcheck of its own, and its image's HEALTHCHECK runs ${state.broken}, which ${image} does not have, so it never turns healthy`;
    return missingHealthcheck(missing, ctx, entries, service, facts, problem, true);
  }
  const broken = { rule: BINARY, line: lineOf(ctx.text, state.test, entry.line), entry } as const;
  const problem = `has a healthcheck that runs ${state.broken}, which its runtime image (${image}) does not have, so it never turns healthy`;
  const m = missingHealthcheck(broken, ctx, entries, service, facts, problem, true);
  if (!m.probe) return m;
  // A broken probe of the entry's own gets its `test` replaced; an inherited one is changed where it is defined.
  return state.own
    ? { ...m, replace: state.own }
    : { ...broken, probe: null, replace: null, message: `manual: compose service "${entry.name}" ${problem}; it is inherited (anchor or extends), so replace the probe where it is defined` };
}

function plan(ctx: YamlContext): Plan {
  const entries = composeEntries(ctx.doc, ctx.text);
  const jobs = oneOffJobs(entries);
  const missing: MissingHealthcheck[] = [];
  const healthy = new Set<string>();
  const serviceOf = new Map<string, Service | null>();
  for (const entry of entries) {
    const build = buildOf(entry, ctx.path, ctx.doc, entries);
    const service = serviceFor(entry, build, scalarText(lookupNode(entry, 'image', ctx.doc, entries)), ctx.workspace);
    serviceOf.set(entry.name, service);
    const facts = service || build ? imageFacts(build, service, ctx.workspace) : null;
    const state = healthState(entry, ctx.doc, entries, facts);
    if (state === 'yes') healthy.add(entry.name);
    if (state === 'yes' || !service || (service.type !== 'api' && service.type !== 'ui') || jobs.has(entry.name)) continue;
    const m = httpFinding(entry, state, ctx, entries, service, facts);
    missing.push(m);
    if (m.probe && !ctx.suppressed(m.rule, m.line)) healthy.add(entry.name);
  }
  const dependencies = entries.flatMap((entry) => unhealthyDependencies(entry, ctx, healthy));
  return { missing, dependencies, serviceOf };
}

function conditionOf(value: unknown): string | null {
  return isMap(value) ? scalarText(value.get('condition', true)) : null;
}

/** `depends_on` entries that point at a service with a healthcheck but do not wait for it. */
function unhealthyDependencies(entry: ComposeEntry, ctx: YamlContext, healthy: Set<string>): UnhealthyDependency[] {
  const keyPair = entry.map.items.find((p) => scalarText(p.key) === 'depends_on');
  if (!keyPair) return [];
  const raw = keyPair.value as Node | null;
  const shared = isAlias(raw)
    ? 'its depends_on is a YAML alias; add the condition where the anchor is defined'
    : raw?.anchor
      ? 'its depends_on is an anchor other services share; change it there'
      : undefined;
  const node = isAlias(raw) ? resolveAlias(ctx.doc, raw) : raw;
  const out: UnhealthyDependency[] = [];
  const report = (dependency: string, at: unknown, form: UnhealthyDependency['form'], why?: string) =>
    out.push({
      owner: entry,
      dependency,
      line: lineOf(ctx.text, shared ? (keyPair.key as Node) : (at as Node), entry.line),
      form: why ? null : form,
      message: why
        ? `manual: "${entry.name}" depends on "${dependency}" without condition: service_healthy, and ${why}`
        : `"${entry.name}" depends on "${dependency}" without condition: service_healthy: compose starts "${entry.name}" as soon as "${dependency}"'s process exists, before it answers`,
    });
  if (isSeq(node)) {
    const names = node.items.map(scalarText);
    const mixed = names.includes(null) ? 'the list holds entries that are not plain names' : undefined;
    // The compose schema wants depends_on entries unique and rejects the file otherwise; the map form would
    // repeat a key, which YAML rejects too, so the user picks which entry stays.
    const repeated = [...new Set(names.filter((n, i): n is string => n !== null && names.indexOf(n) !== i))];
    const duplicate = repeated.length
      ? `the list names ${repeated.map((n) => `"${n}"`).join(', ')} more than once, which compose rejects (depends_on entries must be unique); remove the repeat`
      : undefined;
    const seen = new Set<string>();
    for (const item of node.items) {
      const dependency = scalarText(item);
      if (dependency === null || !healthy.has(dependency) || seen.has(dependency)) continue;
      seen.add(dependency);
      report(dependency, item, 'list', shared ?? mixed ?? duplicate);
    }
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const dependency = scalarText(pair.key);
      if (dependency === null || !healthy.has(dependency)) continue;
      const condition = conditionOf(isAlias(pair.value) ? resolveAlias(ctx.doc, pair.value) : pair.value);
      if (condition === 'service_healthy' || condition === 'service_completed_successfully') continue;
      const plain = pair.value === null || (isScalar(pair.value) && pair.value.value === null) || (isMap(pair.value) && !pair.value.anchor);
      report(dependency, pair.key, 'map', shared ?? (plain ? undefined : 'its settings are a shared YAML anchor; change it there'));
    }
  }
  return out;
}

/** An exec-form `test` (no shell or curl needed in the image) probing 127.0.0.1 on PORT. */
function testNode(probe: Probe): YAMLSeq {
  const ok = probe.page ? 'r.statusCode<400' : 'r.statusCode===200';
  const js = `require('http').get('http://127.0.0.1:'+(process.env.PORT||${probe.port})+'${probe.route}',r=>process.exit(${ok}?0:1)).on('error',()=>process.exit(1))`;
  const test = new YAMLSeq();
  test.flow = true;
  for (const word of ['CMD', 'node', '-e', js]) {
    const s = new Scalar(word);
    s.type = Scalar.QUOTE_DOUBLE;
    test.items.push(s);
  }
  return test;
}

/** The healthcheck map: the probe and explicit timing. */
function healthcheckNode(doc: Document, probe: Probe): YAMLMap {
  const map = doc.createNode(TIMING) as YAMLMap;
  map.items.unshift(doc.createPair('test', testNode(probe)));
  return map;
}

function conditionNode(doc: Document, condition: string): YAMLMap {
  return doc.createNode({ condition }) as YAMLMap;
}

/** `depends_on: [a, b]` becomes the map form, healthy dependencies waiting for health; item comments move along. */
function listToMap(doc: Document, seq: YAMLSeq, waitFor: Set<string>): YAMLMap {
  const map = new YAMLMap();
  for (const item of seq.items) {
    const name = scalarText(item)!;
    const key = new Scalar(name);
    const value = conditionNode(doc, waitFor.has(name) ? 'service_healthy' : 'service_started');
    if (isScalar(item)) {
      key.commentBefore = item.commentBefore;
      key.spaceBefore = item.spaceBefore;
      // A trailing `- api # why` comment stays on that dependency's line.
      const condition = value.items[0]?.value;
      if (isScalar(condition)) condition.comment = item.comment;
    }
    map.items.push(doc.createPair(key, value) as Pair<unknown, unknown>);
  }
  map.commentBefore = seq.commentBefore;
  map.comment = seq.comment;
  return map;
}

function fixDependencies(ctx: YamlContext, found: UnhealthyDependency[]): boolean {
  let changed = false;
  const owners = new Set(found.map((d) => d.owner));
  for (const owner of owners) {
    const mine = found.filter((d) => d.owner === owner && d.form !== null && !ctx.suppressed(UNHEALTHY, d.line));
    if (mine.length === 0) continue;
    const node = owner.map.get('depends_on', true);
    const waitFor = new Set(mine.map((d) => d.dependency));
    if (isSeq(node)) {
      owner.map.set('depends_on', listToMap(ctx.doc, node, waitFor));
      changed = true;
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (!waitFor.has(scalarText(pair.key) ?? '')) continue;
        if (isMap(pair.value)) pair.value.set('condition', 'service_healthy');
        else pair.value = conditionNode(ctx.doc, 'service_healthy');
        changed = true;
      }
    }
  }
  return changed;
}

export const transform: Transform<'compose'> = {
  id: 'compose-healthcheck',
  kind: 'compose',
  description: 'node-based PORT-aware healthcheck for every HTTP compose service; depends_on waits for healthy dependencies',
  rules: {
    [MISSING]: {
      id: MISSING,
      severity: 'risky',
      description: 'compose service of an HTTP image without healthcheck',
      rationale: 'Without a healthcheck compose (and anything reading container health) treats a hung or still-starting server as up, and depends_on cannot wait for it.',
      fixedBy: 'compose-healthcheck',
    },
    [BINARY]: {
      id: BINARY,
      severity: 'blocking',
      description: 'compose healthcheck calls curl/wget that the runtime image does not have',
      rationale: 'The probe fails with "not found" on every run, so the container is marked unhealthy forever and every service that waits for it never starts.',
      fixedBy: 'compose-healthcheck',
    },
    [UNHEALTHY]: {
      id: UNHEALTHY,
      severity: 'info',
      description: '`depends_on` without `condition: service_healthy` on a service that has a healthcheck',
      rationale: 'The plain form only waits for the dependency process to start, so the dependent\'s first connections hit a server that is not listening yet.',
      fixedBy: 'compose-healthcheck',
    },
  },
  detect(ctx): Report[] {
    const { missing, dependencies, serviceOf } = plan(ctx);
    // Each finding names the workspace service its compose entry runs, so reports group it with that service.
    const about = (entry: ComposeEntry) => {
      const service = serviceOf.get(entry.name);
      return service ? { service: service.name } : {};
    };
    return [
      ...missing.map((m) => ({ rule: m.rule, line: m.line, message: m.message, ...about(m.entry), ...(m.probe ? {} : { fixable: false }) })),
      ...dependencies.map((d) => ({ rule: UNHEALTHY, line: d.line, message: d.message, ...about(d.owner), ...(d.form ? {} : { fixable: false }) })),
    ];
  },
  fix(ctx) {
    const { missing, dependencies } = plan(ctx);
    let changed = false;
    for (const m of missing) {
      if (!m.probe || ctx.suppressed(m.rule, m.line)) continue;
      if (m.replace) m.replace.set('test', testNode(m.probe));
      else m.entry.map.set('healthcheck', healthcheckNode(ctx.doc, m.probe));
      changed = true;
    }
    return fixDependencies(ctx, dependencies) || changed;
  },
};
