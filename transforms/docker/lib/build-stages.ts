// Stage facts the build fixers need: which earlier stage a `FROM <stage>`
// builds on, what the real base image is (node major, alpine or debian), and
// which WORKDIR is in effect at an instruction. Multi-stage aware: the last
// stage is the runtime image.
import path from 'node:path';
import { isAlpine, nodeMajor, type DockerInstruction, type DockerStage, type DockerfileTree } from '../../../src/engine/dockerfile.js';

/** The stage a `--from=` or `FROM` reference names, if it is an earlier stage of this file. */
export function findStage(tree: DockerfileTree, ref: string, before = Infinity): DockerStage | undefined {
  const want = ref.toLowerCase();
  return tree.stages.find((s) => s.index < before && ((s.name ?? '').toLowerCase() === want || String(s.index) === want));
}

/** The earlier stage this stage is built `FROM`, if any. */
export function parentStage(tree: DockerfileTree, stage: DockerStage): DockerStage | undefined {
  const ref = stage.tag ? `${stage.image}:${stage.tag}` : stage.image;
  return findStage(tree, ref, stage.index);
}

/** The stage and its ancestors, root-most first. */
export function lineage(tree: DockerfileTree, stage: DockerStage): DockerStage[] {
  const out: DockerStage[] = [stage];
  for (let p = parentStage(tree, stage); p && !out.includes(p); p = parentStage(tree, p)) out.unshift(p);
  return out;
}

/** The stage whose FROM names a real image. */
export function imageStage(tree: DockerfileTree, stage: DockerStage): DockerStage {
  return lineage(tree, stage)[0]!;
}

/** Instructions that built this stage's filesystem, ancestors included, in order. */
export function lineageInstructions(tree: DockerfileTree, stage: DockerStage): DockerInstruction[] {
  return lineage(tree, stage).flatMap((s) => s.instructions);
}

export type OsFamily = 'alpine' | 'debian' | 'distroless' | 'unknown';

/** The package manager family of the stage's base image. */
export function osFamily(tree: DockerfileTree, stage: DockerStage): OsFamily {
  const base = imageStage(tree, stage);
  if (/distroless|chainguard|wolfi/.test(base.image)) return 'distroless';
  if (isAlpine(base) || /(^|\/)alpine$/.test(base.image)) return 'alpine';
  if (/(^|\/)(node|debian|ubuntu)$/.test(base.image)) return 'debian';
  return 'unknown';
}

const LTS_CODENAMES = ['lts', 'hydrogen', 'iron', 'jod', 'krypton'];

/**
 * Whether the base image ships corepack: official node images up to 24 do,
 * Node 25 and later dropped it. An unknown or `latest` tag is treated as
 * current Node (no corepack); an `lts` tag as the active LTS (corepack).
 */
export function shipsCorepack(tree: DockerfileTree, stage: DockerStage): boolean {
  const base = imageStage(tree, stage);
  const major = nodeMajor(base);
  if (major !== null) return major <= 24;
  return /(^|\/)node$/.test(base.image) && LTS_CODENAMES.some((c) => (base.tag ?? '').startsWith(c));
}

/** True when the base is an official node image (it has npm, but not a pnpm binary). */
export function isNodeImage(tree: DockerfileTree, stage: DockerStage): boolean {
  return /(^|\/)node$/.test(imageStage(tree, stage).image);
}

/**
 * Absolute WORKDIR in effect before `at` (or at the end of the stage), '/'
 * when none was set, null when a WORKDIR uses a variable.
 */
export function workdirAt(tree: DockerfileTree, stage: DockerStage, at?: DockerInstruction): string | null {
  let dir: string | null = '/';
  for (const i of lineageInstructions(tree, stage)) {
    if (at && i === at) break;
    if (i.keyword !== 'WORKDIR') continue;
    const value = i.args.trim().replace(/^["']|["']$/g, '');
    if (dir === null || /\$/.test(value)) dir = null;
    else dir = path.posix.resolve(dir, value);
  }
  return dir;
}

/** An image path resolved against a WORKDIR; a trailing slash is dropped. */
export function resolveIn(workdir: string, p: string): string {
  return path.posix.resolve(workdir, p);
}

/** True when `p` is `dir` or inside it. */
export function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);
}
