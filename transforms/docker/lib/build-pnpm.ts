// The one definition of "pnpm pinned" shared by dockerfile-pin-pnpm (which
// owns the activation line) and dockerfile-lockfile (which adds that same line
// when it turns an npm install into a pnpm one). Both emit exactly the text
// below, so neither ever rewrites the other's output.
import { nodeMajor, type DockerInstruction, type DockerStage, type DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { pnpmSetupOf, runCommands, type PnpmSetup } from './build-commands.js';
import { imageStage, lineage, shipsCorepack } from './build-stages.js';

/** The exact pnpm version to pin: root package.json#packageManager, else the config default. */
export function expectedPnpmVersion(ws: WorkspaceView): string | null {
  return expectedPnpm(ws)?.version ?? null;
}

/** The version to pin and where it comes from, for messages. */
export function expectedPnpm(ws: WorkspaceView): { version: string; source: string } | null {
  const version = (ws.packageManager.name === 'pnpm' ? ws.packageManager.version : null) ?? ws.config.defaults.pnpmVersion ?? null;
  if (!version) return null;
  return { version, source: rootPackageManager(ws)?.startsWith(`pnpm@${version}`) ? 'package.json#packageManager' : 'the shipshape config (defaults.pnpmVersion)' };
}

function rootPackageManager(ws: WorkspaceView): string | null {
  try {
    const field = (JSON.parse(ws.read('package.json') ?? '{}') as { packageManager?: unknown }).packageManager;
    return typeof field === 'string' ? field : null;
  } catch {
    return null;
  }
}

/** `corepack enable && corepack prepare pnpm@<v> --activate` where the base ships corepack, else `npm install -g pnpm@<v>`. */
export function activationCommand(tree: DockerfileTree, stage: DockerStage, version: string): string {
  return shipsCorepack(tree, stage) ? `corepack enable && corepack prepare pnpm@${version} --activate` : `npm install -g pnpm@${version}`;
}

/** Every command that installs, enables or pins pnpm in the stage or the stages it builds on, up to `before`. */
export function pnpmSetups(tree: DockerfileTree, stage: DockerStage, before?: DockerInstruction): PnpmSetup[] {
  const instrs = lineage(tree, stage).flatMap((s) => s.instructions);
  const upTo = before ? instrs.slice(0, instrs.indexOf(before)) : instrs;
  return runCommands(tree, upTo)
    .map(pnpmSetupOf)
    .filter((s): s is PnpmSetup => s !== null);
}

/** True when the base image is a Node release known to ship without corepack (25 and later). */
export function corepackMissing(tree: DockerfileTree, stage: DockerStage): boolean {
  const major = nodeMajor(imageStage(tree, stage));
  return major !== null && major > 24;
}
