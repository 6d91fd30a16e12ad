// The service graph: built in the pipeline's graph stage (stage.ts) from the
// inventory's wiring facts, compose and nginx; drawn by render.ts.
export { buildGraph, parseAddress, type BuiltGraph, type GraphInput } from './build.js';
export { findNginxConfigs, parseNginx } from './nginx.js';
export { graphSvg, toDot, toJson, toMermaid } from './render.js';
export { GRAPH_RULES, GRAPH_RULE_IDS } from './rules.js';
export type { EdgeKind, GraphEdge, GraphNode, NodeKind, ServiceGraph } from './types.js';
