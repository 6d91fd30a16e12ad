// A container that runs as root turns any RCE into root on the node's kernel
// interface, and Kubernetes `runAsNonRoot: true` refuses to start it. That
// check reads the image's USER and can only verify a number: `USER node`
// fails with "image has non-numeric user, cannot verify user is non-root".
// So the runtime image must end with a numeric `USER uid:gid`.
//
// Policy (one rule, applied in this order): reuse an unprivileged user the
// image already defines (one its RUN lines create, else `node` 1000:1000 of
// the official node image, else `nonroot` 65532 of distroless/chainguard);
// only when there is none, create `app` 1001:1001 with the distro's tools
// (busybox addgroup/adduser on Alpine, groupadd/useradd on Debian/Ubuntu).
// COPY/ADD into the runtime stage get `--chown=<uid>:<gid>`, and the USER
// line goes right before CMD/ENTRYPOINT so earlier RUN lines keep root.
// A named non-root USER is reported under runs-as-root too, and replaced by
// its numeric form when the Dockerfile says what that number is.
import type { DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, RuleMeta, TextEdit, Transform } from '../../src/engine/types.js';
import { mergeEdits } from './lib/build-text.js';
import { addFlag, endOfFinalStage, insertAfter, insertBefore, replaceInstruction } from './lib/stage-edits.js';
import { baseImage, isOfficialNode, osFamily, startInstruction } from './lib/stage-image.js';
import { accounts, baseRunsNonRoot, effectiveUser, isRootName, numericFor, type UserSpec } from './lib/stage-users.js';

const ID = 'dockerfile-non-root';

const rules: Record<string, RuleMeta> = {
  'runs-as-root': {
    id: 'runs-as-root',
    severity: 'blocking',
    description: 'final Dockerfile stage has no USER, USER root, or a USER name Kubernetes cannot verify',
    rationale: 'Root in the container is one kernel bug away from root on the host, and runAsNonRoot pods refuse a root or non-numeric USER.',
    fixedBy: ID,
  },
};

/** The unprivileged user to switch to, and the RUN that creates it when needed. */
interface Choice {
  numeric: string;
  create: string | null;
}

const APP_UID = 1001;

function chooseUser(tree: DockerfileTree): Choice | null {
  const acc = accounts(tree);
  const created = [...acc.created].reverse().find((u) => u.uid !== 0);
  if (created) return { numeric: created.gid === null ? String(created.uid) : `${created.uid}:${created.gid}`, create: null };
  const base = baseImage(tree);
  if (isOfficialNode(base)) return { numeric: '1000:1000', create: null };
  switch (osFamily(base)) {
    case 'distroless':
    case 'chainguard':
      return { numeric: '65532:65532', create: null };
    case 'alpine':
      return { numeric: `${APP_UID}:${APP_UID}`, create: `RUN addgroup -S -g ${APP_UID} app && adduser -S -u ${APP_UID} -G app app` };
    case 'debian':
      return { numeric: `${APP_UID}:${APP_UID}`, create: `RUN groupadd --system --gid ${APP_UID} app && useradd --system --uid ${APP_UID} --gid app --no-create-home app` };
    default:
      return null;
  }
}

interface Plan {
  reports: Report[];
  edits: TextEdit[];
}

/** A named non-root USER: numeric when the Dockerfile tells the uid, manual otherwise. */
function planNamed(ctx: DockerfileContext, current: UserSpec): Plan {
  const written = current.instr.args.trim();
  if (written.includes('$')) {
    return { reports: [{ rule: 'runs-as-root', line: current.instr.line, message: `manual: USER ${written} depends on a build variable: shipshape cannot tell whether it is root; write the numeric uid:gid`, fixable: false }], edits: [] };
  }
  const numeric = numericFor(accounts(ctx.tree), current);
  if (numeric === null) {
    return {
      reports: [{ rule: 'runs-as-root', line: current.instr.line, message: `manual: USER ${written} is a name and this Dockerfile does not say its uid; Kubernetes runAsNonRoot cannot verify a name: write the numeric uid:gid`, fixable: false }],
      edits: [],
    };
  }
  const reports: Report[] = [{ rule: 'runs-as-root', line: current.instr.line, message: `USER ${written} is a name: Kubernetes runAsNonRoot cannot verify it is not root; use USER ${numeric}` }];
  const edits = ctx.suppressed('runs-as-root', current.instr.line) ? [] : [replaceInstruction(current.instr, `USER ${numeric}`)];
  return { reports, edits };
}

/** No USER, or root: switch to the policy's user before the process starts. */
function planRoot(ctx: DockerfileContext, current: UserSpec | null): Plan {
  const { tree } = ctx;
  const final = tree.final!;
  const line = current ? current.instr.line : final.from.line;
  const why = current ? `USER ${current.instr.args.trim()} is the last USER of the runtime image` : 'the runtime stage has no USER';
  const choice = chooseUser(tree);
  if (!choice) {
    const image = baseImage(tree)?.text ?? final.from.args.trim();
    return { reports: [{ rule: 'runs-as-root', line, message: `manual: ${why}, so the app runs as root, and shipshape does not know how to add a user to ${image}: add one and a numeric USER uid:gid`, fixable: false }], edits: [] };
  }
  const reports: Report[] = [{ rule: 'runs-as-root', line, message: `${why}, so the app runs as root: switch to USER ${choice.numeric}` }];
  if (ctx.suppressed('runs-as-root', line)) return { reports, edits: [] };

  const edits: TextEdit[] = [];
  for (const i of final.instructions) {
    if ((i.keyword === 'COPY' || i.keyword === 'ADD') && !(i.node as unknown as { getFlags(): { getName(): string }[] }).getFlags().some((f) => f.getName() === 'chown'))
      edits.push(addFlag(tree, i, `--chown=${choice.numeric}`));
  }
  const lines = [...(choice.create ? [choice.create] : []), `USER ${choice.numeric}`];
  // `USER root` of the runtime stage with no RUN after it can simply become the new USER.
  const ownRoot = current && current.instr.stage === final.index ? current.instr : null;
  const runsAfter = ownRoot && final.instructions.some((i) => i.keyword === 'RUN' && i.start > ownRoot.start);
  if (ownRoot && !runsAfter) edits.push(replaceInstruction(ownRoot, lines.join('\n')));
  else {
    const start = startInstruction(tree);
    edits.push(start ? insertBefore(tree, start, lines) : insertAfter(tree, endOfFinalStage(tree) ?? final.from, lines));
  }
  return { reports, edits };
}

function plan(ctx: DockerfileContext): Plan {
  if (!ctx.tree.final) return { reports: [], edits: [] };
  const current = effectiveUser(ctx.tree);
  if (current && !isRootName(current.user)) return /^\d+$/.test(current.user) ? { reports: [], edits: [] } : planNamed(ctx, current);
  if (!current && baseRunsNonRoot(ctx.tree)) return { reports: [], edits: [] };
  return planRoot(ctx, current);
}

export const transform: Transform<'dockerfile'> = {
  id: ID,
  kind: 'dockerfile',
  description: 'run the runtime image as a numeric non-root USER uid:gid, with --chown copies',
  rules,
  detect: (ctx) => plan(ctx).reports,
  // One edit: the USER line and the --chown flags land together or wait together for the next pass.
  fix: (ctx) => mergeEdits(ctx.text, plan(ctx).edits),
};
