// `shipshape graph [root] --format mermaid|dot|json|svg`: the service graph of
// a monorepo (services, nginx, compose wiring, Kafka topics), edges with a
// finding in red. It runs the scan that builds it, so the graph and its
// findings are exactly what `scan` reports. Exit 0 once drawn (the findings
// are scan's to gate on), 2 on usage errors.
import fs from 'node:fs';
import { loadTransforms } from '../../transforms/registry.js';
import { runScan, UsageError } from '../engine/pipeline.js';
import { defaultJobs } from '../engine/pool.js';
import { findNginxConfigs } from '../graph/nginx.js';
import { graphSvg, toDot, toJson, toMermaid } from '../graph/render.js';
import { GRAPH_RULE_IDS } from '../graph/rules.js';

export const GRAPH_FORMATS = ['mermaid', 'dot', 'json', 'svg'];

export interface GraphOptions {
  format: string;
  output?: string;
  jobs?: number;
}

export async function graphToString(root: string, opts: GraphOptions): Promise<string> {
  if (!GRAPH_FORMATS.includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${GRAPH_FORMATS.join(', ')}`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root}: not a directory`);
  const result = await runScan(root, await loadTransforms(), { jobs: opts.jobs ?? defaultJobs() });
  switch (opts.format) {
    case 'mermaid':
      return toMermaid(result.graph);
    case 'dot':
      return toDot(result.graph);
    case 'svg':
      return graphSvg(result.graph);
    default: {
      const configs = new Set(findNginxConfigs(result.analysis.ws.root));
      return toJson(
        result.graph,
        result.findings.filter((f) => GRAPH_RULE_IDS.has(f.rule) || (f.rule === 'parse-error' && configs.has(f.file))),
      );
    }
  }
}

export async function graphCommand(root: string, opts: GraphOptions): Promise<number> {
  const text = await graphToString(root, opts);
  if (opts.output) {
    try {
      fs.writeFileSync(opts.output, text);
    } catch (err) {
      throw new UsageError(`--output ${opts.output}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else process.stdout.write(text);
  return 0;
}
