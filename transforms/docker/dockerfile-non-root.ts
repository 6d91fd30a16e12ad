// A container that runs as root turns any RCE into root on the node's kernel
// interface, and Kubernetes `runAsNonRoot: true` refuses to start it. That
// check reads the image's USER and can only verify a number: `USER node`
// fails with "image has non-numeric user, cannot verify user is non-root".
// So the runtime image must end with a numeric `USER uid:gid`.
//
// Two rules, because the two defects differ in kind: no USER, root or a name
// whose uid is 0 really runs as root (runs-as-root, blocking); a named
// non-root user (`USER nodejs`) does not, and only a cluster that enforces
// runAsNonRoot objects to it (user-not-numeric, info). Both are fixed the
// same way.
//
// Policy for an image that runs as root (applied in this order): reuse an
// unprivileged user the image already defines (one its RUN lines create, else
// `node` 1000:1000 of the official node image, else `nonroot` 65532 of
// distroless/chainguard); only when there is none, create `app` 1001:1001 with
// the distro's tools (busybox addgroup/adduser on Alpine, groupadd/useradd on
// Debian/Ubuntu).
// COPY/ADD into the runtime stage get `--chown=<uid>:<gid>`, and the USER
// line goes right before CMD/ENTRYPOINT so earlier RUN lines keep root.
// A named non-root USER is replaced by its numeric form when the Dockerfile or
// its base image says what that number is, and `--chown` flags naming the same
// user follow it, so the file states one owner in one notation.
import type { Flag } from 'dockerfile-ast';
import type { DockerfileTree } from '../../src/engine/dockerfile.js';
import type { DockerfileContext, Report, RuleMeta, TextEdit, Transform } from '../../src/engine/types.js';
import { mergeEdits } from './lib/build-text.js';
import { addFlag, endOfFinalStage, insertAfter, insertBefore, replaceInstruction } from './lib/stage-edits.js';
import { baseImage, imageInstructions, isOfficialNode, osFamily, startInstruction } from './lib/stage-image.js';
import { accounts, baseRunsNonRoot, effectiveUser, numericChown, numericFor, offsetAt, uidOf, whyUnknown, type Accounts, type UserSpec } from './lib/stage-users.js';

const ID = 'dockerfile-non-root';
const ROOT = 'runs-as-root';
const NAMED = 'user-not-numeric';

const rules: Record<string, RuleMeta> = {
  [ROOT]: {
    id: ROOT,
    severity: 'blocking',
    description: 'final Dockerfile stage has no USER, or USER root / uid 0',
    rationale: 'Root in the container is one kernel bug away from root on the host, and runAsNonRoot pods refuse to start it.',
    fixedBy: ID,
  },
  [NAMED]: {
    id: NAMED,
    severity: 'info',
    description: 'final stage runs as a named non-root user (USER node): Kubernetes runAsNonRoot cannot verify a name; use uid:gid',
    rationale: 'The process is not root, but a pod with runAsNonRoot: true refuses an image whose USER is a name ("image has non-numeric user, cannot verify user is non-root"); a number it can check.',
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

const manual = (rule: string, line: number, message: string): Plan => ({ reports: [{ rule, line, message: `manual: ${message}`, fixable: false }], edits: [] });

const NAME_UNVERIFIABLE = 'Kubernetes runAsNonRoot cannot verify a name ("image has non-numeric user")';

/** `--chown=<user>[:<group>]` flags of the image that name `user`, rewritten in numbers. */
function chownEdits(ctx: DockerfileContext, acc: Accounts, user: string): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const i of imageInstructions(ctx.tree)) {
    if (i.keyword !== 'COPY' && i.keyword !== 'ADD') continue;
    const flags = (i.node as unknown as { getFlags(): Flag[] }).getFlags();
    const chown = flags.find((f) => f.getName() === 'chown');
    const value = chown?.getValue();
    const range = chown?.getValueRange();
    if (!value || !range || value.includes('$') || value.split(':')[0] !== user) continue;
    const numeric = numericChown(acc, value);
    if (numeric !== null) edits.push({ start: offsetAt(ctx.text, range.start), end: offsetAt(ctx.text, range.end), text: numeric });
  }
  return edits;
}

/** A named non-root USER: numeric when the Dockerfile or its base image tells the uid, manual otherwise. */
function planNamed(ctx: DockerfileContext, current: UserSpec, acc: Accounts): Plan {
  const spec = current.resolved!;
  const { line } = current.instr;
  const numeric = numericFor(acc, spec);
  if (current.variable) {
    const name = spec.group === null ? spec.user : `${spec.user}:${spec.group}`;
    const use = numeric ? ` (${numeric})` : '';
    return manual(NAMED, line, `USER ${current.written} defaults to the name ${name}: not root, but ${NAME_UNVERIFIABLE}; make the build variable's default numeric${use}`);
  }
  if (numeric === null) {
    const image = baseImage(ctx.tree)?.text ?? ctx.tree.final!.from.args.trim();
    return manual(NAMED, line, `USER ${current.written} is not root, but ${NAME_UNVERIFIABLE}, and ${whyUnknown(acc, spec, image)}: write the numeric uid:gid`);
  }
  const reports: Report[] = [{ rule: NAMED, line, message: `USER ${current.written} is not root, but ${NAME_UNVERIFIABLE}; use USER ${numeric}` }];
  if (ctx.suppressed(NAMED, line)) return { reports, edits: [] };
  return { reports, edits: [replaceInstruction(current.instr, `USER ${numeric}`), ...chownEdits(ctx, acc, spec.user)] };
}

/** No USER, or root: switch to the policy's user before the process starts. */
function planRoot(ctx: DockerfileContext, current: UserSpec | null): Plan {
  const { tree } = ctx;
  const final = tree.final!;
  const line = current ? current.instr.line : final.from.line;
  // `USER admin` after `useradd -o -u 0 admin` is root under another name: say why it counts.
  const alias = current !== null && !/^(?:root|\d+)$/.test(current.resolved!.user);
  const why = current ? `USER ${current.written}${alias ? ' (uid 0 in this Dockerfile)' : ''} is the last USER of the runtime image` : 'the runtime stage has no USER';
  const choice = chooseUser(tree);
  if (!choice) {
    const image = baseImage(tree)?.text ?? final.from.args.trim();
    return { reports: [{ rule: ROOT, line, message: `manual: ${why}, so the app runs as root, and shipshape does not know how to add a user to ${image}: add one and a numeric USER uid:gid`, fixable: false }], edits: [] };
  }
  const reports: Report[] = [{ rule: ROOT, line, message: `${why}, so the app runs as root: switch to USER ${choice.numeric}` }];
  if (ctx.suppressed(ROOT, line)) return { reports, edits: [] };

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

const NONE: Plan = { reports: [], edits: [] };

function plan(ctx: DockerfileContext): Plan {
  const { tree } = ctx;
  if (!tree.final) return NONE;
  const current = effectiveUser(tree);
  if (!current) return baseRunsNonRoot(tree) ? NONE : planRoot(ctx, null);
  const { line } = current.instr;
  // Without a stated default nothing says who this is; a guess of root would be a blocking finding on no evidence.
  if (!current.resolved) return manual(NAMED, line, `USER ${current.written} depends on a build variable this Dockerfile gives no default: shipshape cannot tell which user it is; default it to a numeric non-root uid:gid`);
  const acc = accounts(tree);
  if (uidOf(acc, current.resolved.user) === 0) {
    return current.variable
      ? manual(ROOT, line, `USER ${current.written} defaults to root, so the app runs as root unless every build passes another value: default it to a numeric non-root uid:gid`)
      : planRoot(ctx, current);
  }
  if (/^\d+$/.test(current.resolved.user)) return NONE;
  return planNamed(ctx, current, acc);
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
