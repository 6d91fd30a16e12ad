// The service graph drawn: mermaid (markdown report, GitHub renders it), DOT
// (Graphviz), SVG (DOT rendered offline by Graphviz compiled to wasm,
// @viz-js/viz, for the HTML review page) and JSON. Edges with a finding are
// red; hosts that are no service are dashed red boxes. Same graph, same bytes.
import type { Finding } from '../engine/types.js';
import type { GraphEdge, GraphNode, ServiceGraph } from './types.js';

const RED = '#d32f2f';

function caption(n: GraphNode): string {
  const ports = n.ports.length ? ` :${n.ports.join(', :')}` : '';
  if (n.kind === 'missing') return `${n.name} (no such service)`;
  if (n.kind === 'topic') return n.name;
  if (n.kind === 'proxy' && n.name.includes('/')) return `nginx ${n.name}${ports}`;
  return `${n.name}${ports}`;
}

/** Mermaid text inside `"…"`: quotes and markup characters as entities. */
function mermaidText(s: string): string {
  return s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

const MERMAID_SHAPE: Record<GraphNode['kind'], [string, string]> = {
  service: ['["', '"]'],
  library: ['["', '"]'],
  infra: ['[("', '")]'],
  proxy: ['{{"', '"}}'],
  topic: ['[/"', '"/]'],
  missing: ['["', '"]'],
};

const arrow = (e: GraphEdge) => (e.kind === 'depends_on' ? '-.->' : '-->');

/**
 * One drawn edge per (from, to, kind, label): compose's value and the code's
 * fallback for the same URL are two edges in the data, one arrow in a picture,
 * red when either has a finding.
 */
function drawn(graph: ServiceGraph): GraphEdge[] {
  const out = new Map<string, GraphEdge>();
  for (const e of graph.edges) {
    const key = [e.from, e.to, e.kind, e.label].join('\0');
    const seen = out.get(key);
    if (!seen) out.set(key, { ...e, findings: [...e.findings] });
    else for (const f of e.findings) if (!seen.findings.includes(f)) seen.findings.push(f);
  }
  return [...out.values()];
}

export function toMermaid(graph: ServiceGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) {
    const [open, close] = MERMAID_SHAPE[n.kind];
    lines.push(`  ${ids.get(n.id)}${open}${mermaidText(caption(n))}${close}${n.kind === 'missing' ? ':::missing' : ''}`);
  }
  const edges = drawn(graph);
  edges.forEach((e) => lines.push(`  ${ids.get(e.from)} ${arrow(e)}|"${mermaidText(e.label)}"| ${ids.get(e.to)}`));
  const red = edges.flatMap((e, i) => (e.findings.length ? [i] : []));
  if (red.length) lines.push(`  linkStyle ${red.join(',')} stroke:${RED},stroke-width:2px,color:${RED}`);
  if (graph.nodes.some((n) => n.kind === 'missing')) lines.push(`  classDef missing stroke:${RED},stroke-dasharray:5 3,color:${RED}`);
  return `${lines.join('\n')}\n`;
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const DOT_SHAPE: Record<GraphNode['kind'], string> = {
  service: 'box',
  library: 'box',
  infra: 'cylinder',
  proxy: 'hexagon',
  topic: 'parallelogram',
  missing: 'box',
};

export function toDot(graph: ServiceGraph): string {
  const lines = ['digraph services {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=9];'];
  for (const n of graph.nodes) {
    const attrs = [`label=${dotString(caption(n))}`, `shape=${DOT_SHAPE[n.kind]}`];
    if (n.kind === 'missing') attrs.push('style=dashed', `color=${dotString(RED)}`, `fontcolor=${dotString(RED)}`);
    if (n.kind === 'library') attrs.push('style=rounded');
    lines.push(`  ${dotString(n.id)} [${attrs.join(', ')}];`);
  }
  for (const e of drawn(graph)) {
    const attrs = [`label=${dotString(e.label)}`];
    if (e.kind === 'depends_on') attrs.push('style=dashed');
    if (e.findings.length) attrs.push(`color=${dotString(RED)}`, `fontcolor=${dotString(RED)}`, 'penwidth=2', `tooltip=${dotString(e.findings.join(', '))}`);
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export interface GraphJson extends ServiceGraph {
  version: 1;
  /** The graph rules' findings (and nginx parse errors) of the run, as scan reports them. */
  findings: Finding[];
}

export function toJson(graph: ServiceGraph, findings: Finding[] = []): string {
  const out: GraphJson = { version: 1, nodes: graph.nodes, edges: graph.edges, findings };
  return `${JSON.stringify(out, null, 2)}\n`;
}

type Viz = { renderString(src: string, opts: { format: 'svg' }): string };
let viz: Promise<Viz> | undefined;

/** The graph as an SVG document, rendered offline (Graphviz as wasm); one Graphviz instance per process. */
export async function graphSvg(graph: ServiceGraph): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance() as Promise<Viz>);
  return (await viz).renderString(toDot(graph), { format: 'svg' });
}
