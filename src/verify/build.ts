// Builds the service when its entry is missing or older than its sources:
// `npm run build` in the service folder (npm puts every ancestor's
// node_modules/.bin on PATH, so a workspace-level tsc is found). Bounded by a
// timeout; the process is registered with the run's Cleanup.
import { Child, seconds, which } from './child.js';
import type { Cleanup } from './cleanup.js';

export interface BuildResult {
  command: string;
  reason: string;
  ok: boolean;
  ms: number;
  exitCode: number | null;
  tail: string[];
}

export const BUILD_TIMEOUT_MS = 180_000;

export function hasBuildScript(manifest: Record<string, unknown>): boolean {
  const scripts = manifest.scripts as Record<string, unknown> | undefined;
  return typeof scripts?.build === 'string' && scripts.build.trim() !== '';
}

export async function runBuild(dir: string, reason: string, cleanup: Cleanup, timeoutMs = BUILD_TIMEOUT_MS): Promise<BuildResult> {
  const command = 'npm run build';
  const npm = which('npm');
  if (!npm) return { command, reason, ok: false, ms: 0, exitCode: null, tail: ['npm is not on PATH'] };
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const child = new Child(npm, ['run', 'build'], { cwd: dir, env: { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' }, cleanup });
  const exit = await child.waitExit(timeoutMs);
  const tail = child.tail(12).map((l) => l.text);
  if (!exit) {
    child.kill();
    return { command, reason, ok: false, ms: Math.round(child.elapsed()), exitCode: null, tail: [...tail, `killed: still building after ${seconds(timeoutMs)}`] };
  }
  return { command, reason, ok: exit.code === 0, ms: Math.round(exit.at), exitCode: exit.code, tail };
}
