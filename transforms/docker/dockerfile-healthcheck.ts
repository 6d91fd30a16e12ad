// An HTTP service image must say where it listens and how to tell it is alive:
// ECS, Docker and compose only restart or route around a container whose
// HEALTHCHECK fails, and a check that cannot run (curl missing from an alpine
// or slim image) or asks the wrong port (literal 3000 while the task sets
// PORT=8080) marks a healthy container unhealthy forever. For API services this
// module sets `ENV PORT=<port>` and writes one exec-form, node-only HEALTHCHECK
// that reads process.env.PORT; workers are worker-no-expose's concern and UI
// images keep their own check (findings there are reported as manual).
import type { DockerInstruction } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, RuleMeta, TextEdit, Transform } from '../../src/engine/types.js';
import { insertBefore, insertAfter, replaceInstruction, endOfFinalStage } from './lib/stage-edits.js';
import {
  activeHealthcheck,
  hardcodedPort,
  healthcheckInstruction,
  isNone,
  nodeProbe,
  probeBinary,
  probeFlags,
} from './lib/stage-healthcheck.js';
import { baseImage, hasBinary, imageInstructions, startInstruction } from './lib/stage-image.js';

const ID = 'dockerfile-healthcheck';

const rules: Record<string, RuleMeta> = {
  'healthcheck-port-hardcoded': {
    id: 'healthcheck-port-hardcoded',
    severity: 'risky',
    description: 'HEALTHCHECK uses a literal port instead of process.env.PORT',
    rationale: 'When the platform sets another PORT the app moves and the check keeps probing the old port: healthy tasks get killed.',
    fixedBy: ID,
  },
  'missing-healthcheck': {
    id: 'missing-healthcheck',
    severity: 'risky',
    description: 'HTTP service image and compose service both lack a healthcheck',
    rationale: 'Without a healthcheck a hung process keeps receiving traffic and depends_on cannot wait for readiness.',
    fixedBy: ID,
  },
  'missing-env-port': {
    id: 'missing-env-port',
    severity: 'risky',
    description: 'HTTP image sets no ENV PORT default',
    rationale: 'Code that requires PORT crashes at startup when the task definition forgets it; the image should carry the default.',
    fixedBy: ID,
  },
  'healthcheck-binary-missing': {
    id: 'healthcheck-binary-missing',
    severity: 'blocking',
    description: 'HEALTHCHECK calls curl/wget that the runtime image does not have',
    rationale: 'The check fails with "not found" on every run, so the container is marked unhealthy forever and restarted or never routed to.',
    fixedBy: ID,
  },
};

interface Plan {
  reports: Report[];
  edits: TextEdit[];
}

function envPort(instrs: DockerInstruction[]): { instr: DockerInstruction; value: string | null } | null {
  for (const i of [...instrs].reverse()) {
    if (i.keyword !== 'ENV') continue;
    const props = (i.node as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
    const port = props.find((p) => p.getName() === 'PORT');
    if (port) return { instr: i, value: port.getValue() };
  }
  return null;
}

function exposedPort(instrs: DockerInstruction[]): number | null {
  const expose = instrs.find((i) => i.keyword === 'EXPOSE');
  const m = expose && /^\s*(\d{2,5})\b/.exec(expose.args);
  return m ? Number(m[1]) : null;
}

/** The port the image's default PORT should be: ENV PORT, the service's port, EXPOSE, else 3000. */
function portFor(ctx: DockerfileContext, instrs: DockerInstruction[], probePort: number | null): number {
  const env = envPort(instrs)?.value;
  if (env && /^\d+$/.test(env)) return Number(env);
  return ctx.service?.port ?? exposedPort(instrs) ?? probePort ?? 3000;
}

type Reporter = (rule: string, line: number, message: string, fixable?: boolean) => void;

/** Problems of an existing check: a binary the image lacks, a literal port. Returns whether to replace it. */
function checkProbe(ctx: DockerfileContext, hc: DockerInstruction, report: Reporter, fixing: (rule: string, line: number) => boolean) {
  const { tree } = ctx;
  let replace = false;
  const bin = probeBinary(tree, hc);
  if (bin && hasBinary(tree, bin) === false) {
    const image = baseImage(tree)?.text ?? 'the base image';
    report('healthcheck-binary-missing', hc.line, `HEALTHCHECK calls ${bin}, which ${image} does not have: the container is marked unhealthy forever; use a node-based check`);
    replace ||= fixing('healthcheck-binary-missing', hc.line);
  }
  const port = hardcodedPort(hc);
  if (port !== null) {
    report('healthcheck-port-hardcoded', hc.line, `HEALTHCHECK probes the literal port ${port}; when PORT changes it probes the wrong port: read process.env.PORT`);
    replace ||= fixing('healthcheck-port-hardcoded', hc.line);
  }
  return { replace, port };
}

function plan(ctx: DockerfileContext): Plan {
  const out: Plan = { reports: [], edits: [] };
  const { tree, service } = ctx;
  const final = tree.final;
  if (!final || !service || (service.type !== 'api' && service.type !== 'ui')) return out;
  const api = service.type === 'api';
  const manual = api ? 'manual: ' : 'manual: UI images keep their own healthcheck; ';
  const report: Reporter = (rule, line, message, fixable = api) =>
    out.reports.push({ rule, line, message: fixable ? message : `${manual}${message}`, ...(fixable ? {} : { fixable: false }) });
  const fixing = (rule: string, line: number) => api && !ctx.suppressed(rule, line);

  const hc = activeHealthcheck(tree);
  const probeState = hc && !isNone(hc) ? checkProbe(ctx, hc, report, fixing) : { replace: false, port: null };
  if (!api) return out;

  const instrs = imageInstructions(tree);
  const fromLine = final.from.line;
  const port = portFor(ctx, instrs, probeState.port);
  let addProbe = false;
  if ((!hc || isNone(hc)) && !service.healthcheck) {
    if (hc) report('missing-healthcheck', hc.line, 'HEALTHCHECK NONE switches the health check off and compose defines none: decide on a check (node-based, PORT-aware) or keep NONE with a shipshape-ignore', false);
    else report('missing-healthcheck', fromLine, `the runtime image has no HEALTHCHECK and neither has its compose service: add a node-based check on ${service.health ?? '/health'}`);
    addProbe = !hc && fixing('missing-healthcheck', fromLine);
  }
  let addEnv = false;
  if (!envPort(instrs)) {
    report('missing-env-port', fromLine, `the runtime image sets no ENV PORT: code that requires PORT crashes when the platform does not set it; add ENV PORT=${port}`);
    addEnv = fixing('missing-env-port', fromLine);
  }

  // ENV PORT goes above EXPOSE, else above the HEALTHCHECK, else with the new check before CMD.
  const probe = () => healthcheckInstruction(tree, probeFlags(tree, hc), nodeProbe(port, service.health));
  const envLine = `ENV PORT=${port}`;
  const envAnchor = final.instructions.find((i) => i.keyword === 'EXPOSE') ?? hc;
  if (addEnv && envAnchor) out.edits.push(insertBefore(tree, envAnchor, [envLine]));
  const lines = [...(addEnv && !envAnchor ? [envLine] : []), ...(addProbe ? [probe()] : [])];
  if (probeState.replace && hc) out.edits.push(replaceInstruction(hc, probe()));
  else if (lines.length > 0) {
    const start = startInstruction(tree);
    out.edits.push(start ? insertBefore(tree, start, lines) : insertAfter(tree, endOfFinalStage(tree) ?? final.from, lines));
  }
  return out;
}

export const transform: Transform<'dockerfile'> = {
  id: ID,
  kind: 'dockerfile',
  description: 'API images: ENV PORT default and an exec-form, node-based HEALTHCHECK that reads process.env.PORT',
  rules,
  detect: (ctx) => plan(ctx).reports,
  fix: (ctx) => plan(ctx).edits,
};
