// The service graph as data: what `shipshape graph --format json` prints and
// what the mermaid, DOT and SVG renderers draw. Plain, sorted, deterministic.

/**
 * - service: a compose service built from a package of the repo, or a package
 *   with no compose entry; library: a package that is not a service but
 *   produces, consumes or calls something;
 * - infra: a compose service run from an image only (mongo, kafka);
 * - proxy: a reverse proxy config (nginx), under the compose service that
 *   mounts or builds it when there is one;
 * - topic: a Kafka topic; missing: a host something calls that is no service.
 */
export type NodeKind = 'service' | 'library' | 'infra' | 'proxy' | 'topic' | 'missing';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** Host name, topic name, or the config's path for a proxy no compose service runs. */
  name: string;
  /** Ports it listens on, as far as the repo says (code, Dockerfile, compose, nginx `listen`). */
  ports: number[];
  /** The package it is built from, by service name. */
  package: string | null;
}

export type EdgeKind = 'upstream' | 'proxy_pass' | 'url' | 'depends_on' | 'produces' | 'consumes';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** `upstream api_backend`, `COURSE_SERVICE_URL :3003`, a topic's direction. */
  label: string;
  /** Where the edge is written. */
  file: string;
  line: number;
  /** Rules reported on this edge: the renderers draw it red. */
  findings: string[];
}

export interface ServiceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}
