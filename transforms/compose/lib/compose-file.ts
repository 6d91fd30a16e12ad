// For the compose transforms: which workspace service a compose entry runs and
// what its image's Dockerfile says. Reading the compose file itself (entries,
// lookups through merges and extends, build, ports) is
// src/workspace/compose.ts. Read-only: the transforms decide what to change.
import path from 'node:path';
import { parseDockerfile } from '../../../src/engine/dockerfile.js';
import type { Service, WorkspaceView } from '../../../src/engine/types.js';
import type { BuildSpec, ComposeEntry } from '../../../src/workspace/compose.js';

/**
 * The workspace service an entry runs: by the Dockerfile it builds, by its
 * build context folder, then by name (entry key, package name, folder name or
 * image name).
 */
export function serviceFor(entry: ComposeEntry, build: BuildSpec | null, image: string | null, ws: WorkspaceView): Service | null {
  const services = ws.services;
  if (build?.rawDockerfile && build.dockerfile) {
    const dir = path.posix.dirname(build.dockerfile);
    const hit = services.find((s) => s.dockerfile === build.dockerfile) ?? (dir !== '.' ? services.find((s) => s.dir === dir) : undefined);
    if (hit) return hit;
  }
  if (build?.context) {
    const hit = services.find((s) => s.dir === build.context);
    if (hit) return hit;
  }
  const imageName = image ? /([^/:@]+)(?::[^/@]*)?(?:@.*)?$/.exec(image)?.[1] : undefined;
  for (const name of [entry.name, imageName]) {
    const hit = name ? services.find((s) => s.name === name || path.posix.basename(s.dir) === name) : undefined;
    if (hit) return hit;
  }
  return null;
}

/** What the image's own Dockerfile says, when shipshape can read it. */
export interface ImageFacts {
  dockerfile: string;
  /** Final stage has a HEALTHCHECK other than NONE. */
  healthcheck: boolean;
  /** The program that HEALTHCHECK runs first (`curl`, `node`), when readable. */
  healthcheckProgram: string | null;
  /** Final stage base image (stage aliases followed), lower-cased, and its tag. */
  runtimeImage: string;
  runtimeTag: string | null;
  /** Arguments of the final stage's RUN instructions, to see what it installs. */
  runs: string[];
  /** File names the final stage's COPY/ADD name (sources and destination), e.g. a static curl copied from another image. */
  copied: string[];
}

export function imageFacts(build: BuildSpec | null, service: Service | null, ws: WorkspaceView): ImageFacts | null {
  const file = build?.inline ? null : (build?.dockerfile ?? service?.dockerfile ?? null);
  const text = file ? ws.read(file) : undefined;
  if (!file || text === undefined) return null;
  const tree = parseDockerfile(text);
  const final = tree.final;
  if (!final) return null;
  // `FROM base AS runtime` runs on whatever `base` is built from.
  let base = final;
  const runs: string[] = [];
  const copied: string[] = [];
  for (let i = 0; i < tree.stages.length; i++) {
    runs.push(...base.instructions.filter((x) => x.keyword === 'RUN').map((x) => x.args));
    for (const x of base.instructions) {
      if (x.keyword === 'COPY' || x.keyword === 'ADD') copied.push(...x.node.getArguments().map((a) => path.posix.basename(a.getValue())));
    }
    const parent = tree.stages.find((s) => s.index < base.index && s.name !== null && s.name.toLowerCase() === base.image);
    if (!parent) break;
    base = parent;
  }
  const hc = [...final.instructions].reverse().find((i) => i.keyword === 'HEALTHCHECK');
  const healthcheck = !!hc && !/^\s*NONE\b/i.test(hc.args);
  const program = hc && healthcheck ? (hc.execForm?.[0] ?? tree.shellOf(hc)?.commands[0]?.args[0] ?? null) : null;
  return {
    dockerfile: file,
    healthcheck,
    healthcheckProgram: program === null ? null : path.posix.basename(program),
    runtimeImage: base.image,
    runtimeTag: base.tag,
    runs,
    copied,
  };
}

/**
 * Whether the runtime image has `binary` (curl, wget): true/false when the
 * base image makes it clear, null when shipshape cannot tell.
 */
export function imageHasBinary(facts: ImageFacts, binary: 'curl' | 'wget'): boolean | null {
  const install = new RegExp(`\\b(apk\\s+add|apt-get\\s+install|apt\\s+install|dnf\\s+install|yum\\s+install|microdnf\\s+install)\\b[^;&|]*\\b${binary}\\b`);
  if (facts.runs.some((r) => install.test(r)) || facts.copied.includes(binary)) return true;
  const image = facts.runtimeImage;
  const tag = facts.runtimeTag ?? '';
  if (image.includes('distroless')) return false;
  if (!/(^|\/)node$/.test(image)) return null;
  if (tag.includes('alpine')) return binary === 'wget'; // busybox wget, no curl
  if (tag.includes('slim')) return false;
  return true; // the full Debian-based node images ship both
}
