// The workloads of a Kubernetes manifest file as the k8s rules read them:
// every Deployment and StatefulSet of every document, its pod spec
// (spec.template.spec) and containers. Other kinds in the same file
// (Service, ConfigMap, Job, CronJob, Ingress) are not workloads whose
// containers take traffic behind a rollout, so they are not listed and stay
// untouched. Read-only, pure over yaml nodes.
import { isMap, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { lineOf, scalarText } from '../../../src/workspace/compose.js';

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet']);

export interface Container {
  map: YAMLMap;
  name: string | null;
  image: string | null;
  /** 1-based line of the container's first key (the `- name:` line). */
  line: number;
  /** Written as `{ … }` (or inside a `[ … ]` list): block keys cannot go into it. */
  flow: boolean;
}

export interface Workload {
  doc: Document;
  kind: string;
  name: string;
  podSpec: YAMLMap;
  containers: Container[];
}

function mapAt(map: YAMLMap, key: string): YAMLMap | null {
  const node = map.get(key, true) as unknown;
  return isMap(node) ? node : null;
}

export function workloads(docs: readonly Document[], text: string): Workload[] {
  const out: Workload[] = [];
  for (const doc of docs) {
    const top = doc.contents;
    if (!isMap(top)) continue;
    const kind = scalarText(top.get('kind', true));
    if (kind === null || !WORKLOAD_KINDS.has(kind)) continue;
    const spec = mapAt(top, 'spec');
    const template = spec && mapAt(spec, 'template');
    const podSpec = template && mapAt(template, 'spec');
    // A Deployment without spec.template.spec is invalid: the API server rejects it, not ours to judge.
    if (!podSpec) continue;
    const list = podSpec.get('containers', true) as unknown;
    const containers: Container[] = [];
    if (isSeq(list)) {
      for (const item of list.items) {
        if (!isMap(item)) continue;
        containers.push({
          map: item,
          name: scalarText(item.get('name', true)),
          image: scalarText(item.get('image', true)),
          line: lineOf(text, item as Node),
          flow: !!item.flow || !!list.flow,
        });
      }
    }
    const metadata = mapAt(top, 'metadata');
    out.push({ doc, kind, name: (metadata && scalarText(metadata.get('name', true))) ?? '(unnamed)', podSpec, containers });
  }
  return out;
}

/** The container's `PORT` environment variable when it is a literal number (not `valueFrom`). */
export function envPort(container: YAMLMap): number | null {
  const env = container.get('env', true) as unknown;
  if (!isSeq(env)) return null;
  for (const item of env.items) {
    if (!isMap(item) || scalarText(item.get('name', true)) !== 'PORT') continue;
    const value = scalarText(item.get('value', true));
    return value !== null && /^\d{1,5}$/.test(value) ? Number(value) : null;
  }
  return null;
}

export interface ContainerPort {
  number: number;
  name: string | null;
}

/** `ports:` of a container: each `containerPort` with its name, when it has one. */
export function containerPorts(container: YAMLMap): ContainerPort[] {
  const ports = container.get('ports', true) as unknown;
  if (!isSeq(ports)) return [];
  const out: ContainerPort[] = [];
  for (const item of ports.items) {
    if (!isMap(item)) continue;
    const value = scalarText(item.get('containerPort', true));
    if (value === null || !/^\d{1,5}$/.test(value)) continue;
    out.push({ number: Number(value), name: scalarText(item.get('name', true)) });
  }
  return out;
}
