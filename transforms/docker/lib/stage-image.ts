// What the runtime image is made of: the chain of stages that ends in the last
// stage (`FROM build AS runtime` inherits everything `build` set), its external
// base image with global ARGs resolved, and what that base ships (curl, wget,
// an unprivileged user). Shared by the Dockerfile rules of transforms/docker/
// that reason about the final image rather than about a single line.
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../../src/engine/dockerfile.js';
import { stripWrappers } from '../../../src/engine/shell.js';

export interface ImageRef {
  /** Lower-cased repository, e.g. `node`, `gcr.io/distroless/nodejs22-debian12`. */
  image: string;
  /** Tag with global ARGs substituted; null when absent. */
  tag: string | null;
  /** True when the reference carries `@sha256:…`. */
  digest: boolean;
  /** The reference as written (after ARG substitution). */
  text: string;
}

/** Global ARG defaults (ARGs before the first FROM), the only ones FROM can see. */
function globalArgs(tree: DockerfileTree): Map<string, string> {
  const out = new Map<string, string>();
  const firstFrom = tree.stages[0]?.from.line ?? Infinity;
  for (const i of tree.instructions) {
    if (i.keyword !== 'ARG' || i.line > firstFrom) continue;
    const prop = (i.node as unknown as { getProperty(): { getName(): string; getValue(): string | null } | null }).getProperty();
    const value = prop?.getValue();
    if (prop && value !== null && value !== undefined) out.set(prop.getName(), value);
  }
  return out;
}

/** `${X}`, `$X` and `${X:-default}` from `vars`; null when a variable stays unknown. */
function substitute(text: string, vars: Map<string, string>): string | null {
  let unknown = false;
  const out = text.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (_m, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = vars.get(name) ?? fallback;
    if (value === undefined) unknown = true;
    return value ?? '';
  });
  return unknown ? null : out;
}

function parseImageRef(text: string): ImageRef {
  const [name = '', digestPart] = text.split('@');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    image: (hasTag ? name.slice(0, colon) : name).toLowerCase(),
    tag: hasTag ? name.slice(colon + 1) : null,
    digest: digestPart !== undefined,
    text,
  };
}

/** The stage an image name refers to when it names an earlier stage, else null. */
export function parentStage(tree: DockerfileTree, stage: DockerStage): DockerStage | null {
  return tree.stages.find((s) => s.index < stage.index && s.name !== null && s.name.toLowerCase() === stage.image) ?? null;
}

/** The external image a stage starts from (ARGs resolved); null for `FROM <stage>` or when unresolvable. */
export function externalRef(tree: DockerfileTree, stage: DockerStage): ImageRef | null {
  if (parentStage(tree, stage)) return null;
  const raw = stage.from.args.trim().split(/\s+/)[0] ?? '';
  const text = substitute(raw, globalArgs(tree));
  return text === null || text === '' ? null : parseImageRef(text);
}

/** The stages whose layers make up `stage` (default: the final image), base first. */
export function imageChain(tree: DockerfileTree, stage: DockerStage | undefined = tree.final): DockerStage[] {
  const chain: DockerStage[] = [];
  for (let s: DockerStage | null | undefined = stage; s && !chain.includes(s); s = parentStage(tree, s)) chain.unshift(s);
  return chain;
}

/** Every instruction that shapes the final image, base stage first. */
export function imageInstructions(tree: DockerfileTree): DockerInstruction[] {
  return imageChain(tree).flatMap((s) => s.instructions);
}

/** The external base image of the final image. */
export function baseImage(tree: DockerfileTree): ImageRef | null {
  const root = imageChain(tree)[0];
  return root ? externalRef(tree, root) : null;
}

export function isOfficialNode(ref: ImageRef | null): boolean {
  return !!ref && /^(?:(?:docker\.io\/)?library\/|[\w.-]+\.[\w.-]+\/(?:docker\/)?library\/)?node$/.test(ref.image);
}

export type OsFamily = 'alpine' | 'debian' | 'distroless' | 'chainguard' | 'unknown';

export function osFamily(ref: ImageRef | null): OsFamily {
  if (!ref) return 'unknown';
  const tag = ref.tag ?? '';
  if (ref.image.includes('distroless')) return 'distroless';
  if (ref.image.startsWith('cgr.dev/chainguard/')) return 'chainguard';
  if (/(^|\/)alpine$/.test(ref.image) || /alpine/.test(tag)) return 'alpine';
  if (/(^|\/)(debian|ubuntu)$/.test(ref.image) || /slim|bookworm|bullseye|buster|trixie|jammy|noble|focal/.test(tag)) return 'debian';
  if (isOfficialNode(ref)) return 'debian';
  return 'unknown';
}

/** The official node image without `-slim`/`-alpine`: buildpack-deps, with curl and wget. */
function isFullNodeImage(ref: ImageRef): boolean {
  return isOfficialNode(ref) && !/alpine|slim/.test(ref.tag ?? '');
}

/** True when some RUN of the image installs `pkg` with apk, apt, yum, dnf or microdnf. */
function installsPackage(tree: DockerfileTree, pkg: string): boolean {
  for (const i of imageInstructions(tree)) {
    if (i.keyword !== 'RUN') continue;
    for (const cmd of tree.shellOf(i)?.commands ?? []) {
      const [head = '', ...rest] = stripWrappers(cmd.args);
      const installs = head === 'apk' ? rest.includes('add') : ['apt-get', 'apt', 'yum', 'dnf', 'microdnf'].includes(head) && rest.includes('install');
      if (installs && rest.some((a) => a === pkg || a.startsWith(`${pkg}=`))) return true;
    }
  }
  return false;
}

/** Whether the final image has `bin`: true, false, or null when the base image is unknown. */
export function hasBinary(tree: DockerfileTree, bin: 'curl' | 'wget'): boolean | null {
  if (installsPackage(tree, bin)) return true;
  const ref = baseImage(tree);
  if (!ref) return null;
  if (isFullNodeImage(ref)) return true;
  switch (osFamily(ref)) {
    case 'alpine':
      return bin === 'wget'; // busybox wget; no curl
    case 'distroless':
    case 'chainguard':
      return false;
    case 'debian':
      return false; // slim node, debian and ubuntu bases ship neither
    default:
      return null;
  }
}

/** The last instruction with `keyword` in the final image, or undefined. */
export function lastOf(tree: DockerfileTree, keyword: string): DockerInstruction | undefined {
  return [...imageInstructions(tree)].reverse().find((i) => i.keyword === keyword);
}

/** WORKDIR in effect at `at` (an instruction of the final image); null when it uses a variable. */
export function workdirAt(tree: DockerfileTree, at: DockerInstruction): string | null {
  let dir = '/';
  for (const i of imageInstructions(tree)) {
    if (i.start >= at.start) break;
    if (i.keyword !== 'WORKDIR') continue;
    const arg = i.args.trim().replace(/^"(.*)"$/, '$1');
    if (arg.includes('$')) return null;
    dir = arg.startsWith('/') ? arg : `${dir.replace(/\/$/, '')}/${arg}`;
  }
  return dir;
}

export interface RuntimeCommand {
  /** The CMD or ENTRYPOINT that names the program. */
  instr: DockerInstruction;
  /** argv as the container starts it, wrappers (dumb-init, tini, exec) removed. */
  argv: string[];
}

function argvOf(tree: DockerfileTree, instr: DockerInstruction): string[] | null {
  if (instr.execForm) return instr.execForm;
  const first = tree.shellOf(instr)?.commands[0];
  return first ? first.args : null;
}

/** What the final image runs: ENTRYPOINT + CMD combined, wrappers removed; null when unknown. */
export function runtimeCommand(tree: DockerfileTree): RuntimeCommand | null {
  const entry = lastOf(tree, 'ENTRYPOINT');
  const cmd = lastOf(tree, 'CMD');
  if (entry) {
    const argv = argvOf(tree, entry);
    if (!argv) return null;
    const rest = entry.execForm && cmd?.execForm ? cmd.execForm : [];
    const stripped = stripWrappers([...argv, ...rest]);
    // The program is named by whichever instruction holds it.
    const instr = stripWrappers(argv).length > 0 || !cmd ? entry : cmd;
    return { instr, argv: stripped };
  }
  if (!cmd) return null;
  const argv = argvOf(tree, cmd);
  return argv ? { instr: cmd, argv: stripWrappers(argv) } : null;
}

/** The first CMD or ENTRYPOINT of the final stage itself: where runtime settings go before. */
export function startInstruction(tree: DockerfileTree): DockerInstruction | undefined {
  return tree.final?.instructions.find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
}
