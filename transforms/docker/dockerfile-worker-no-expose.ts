// A worker (Kafka consumer, queue job) serves no HTTP. An `EXPOSE` makes ECS
// service discovery, compose and load-balancer wizards treat it as a web
// service and wire a target group that never passes; an HTTP HEALTHCHECK on
// a process that listens nowhere marks it unhealthy forever, so the platform
// restarts a worker that was doing its job. Workers lose both; non-HTTP
// checks (a heartbeat file, a node script) stay.
import type { DockerfileContext, Report, RuleMeta, TextEdit, Transform } from '../../src/engine/types.js';
import { removeInstruction } from './lib/stage-edits.js';
import { isHttpProbe } from './lib/stage-healthcheck.js';
import { imageInstructions } from './lib/stage-image.js';

const ID = 'dockerfile-worker-no-expose';

const rules: Record<string, RuleMeta> = {
  'worker-exposes-port': {
    id: 'worker-exposes-port',
    severity: 'risky',
    description: 'worker image has EXPOSE (or an HTTP HEALTHCHECK)',
    rationale: 'Nothing listens in a worker: an exposed port invites a load balancer that never turns healthy, and an HTTP healthcheck restarts a working consumer.',
    fixedBy: ID,
  },
};

interface Plan {
  reports: Report[];
  edits: TextEdit[];
}

function plan(ctx: DockerfileContext): Plan {
  const out: Plan = { reports: [], edits: [] };
  if (ctx.service?.type !== 'worker' || !ctx.tree.final) return out;
  for (const instr of imageInstructions(ctx.tree)) {
    let message: string;
    if (instr.keyword === 'EXPOSE') message = `worker image exposes ${instr.args.trim()}, but a worker serves no HTTP: remove EXPOSE`;
    else if (instr.keyword === 'HEALTHCHECK' && isHttpProbe(ctx.tree, instr))
      message = 'worker image has an HTTP HEALTHCHECK, but nothing listens in a worker: the container is marked unhealthy forever; remove it';
    else continue;
    out.reports.push({ rule: 'worker-exposes-port', line: instr.line, message });
    if (!ctx.suppressed('worker-exposes-port', instr.line)) out.edits.push(removeInstruction(ctx.tree, instr));
  }
  return out;
}

export const transform: Transform<'dockerfile'> = {
  id: ID,
  kind: 'dockerfile',
  description: 'workers: no EXPOSE and no HTTP HEALTHCHECK',
  rules,
  detect: (ctx) => plan(ctx).reports,
  fix: (ctx) => plan(ctx).edits,
};
