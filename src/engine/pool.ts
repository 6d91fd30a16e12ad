// Runs package tasks on `jobs` threads: this one and `jobs - 1` workers
// (piscina: maintained, workerData sent once per worker), all with the very
// same runner; `--jobs 1` is this thread alone. Each worker carries its own
// ~100 MB of parsers and transforms, so this thread, which would otherwise
// only wait, takes tasks too. Results come back in task order whatever order
// they finish in, so output never depends on scheduling.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { packageRunner, type PackageResult, type PackageTask, type RunSetup } from './run-package.js';
import type { AnyTransform } from './types.js';

export function defaultJobs(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

export async function runPackages(
  setup: RunSetup,
  tasks: PackageTask[],
  transforms: AnyTransform[],
  jobs: number,
  onDone: (task: PackageTask) => void = () => {},
): Promise<PackageResult[]> {
  // Threads cost a transform load each: never more of them than tasks.
  const threads = Math.min(jobs, tasks.length);
  const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
  // From TypeScript sources (a test runner) there is no compiled worker beside
  // this module: run in this thread alone, which gives the same results.
  const workers = threads > 1 && fs.existsSync(worker) ? threads - 1 : 0;
  const pool = workers > 0 ? new Piscina({ filename: worker, workerData: setup, minThreads: workers, maxThreads: workers }) : null;
  // With workers, this thread hands them their next task only between its own
  // files: it pauses after each one so a worker never waits a whole package.
  const local = packageRunner(setup, transforms, pool ? () => new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
  const results: PackageResult[] = new Array<PackageResult>(tasks.length);
  let next = 0;
  const drain = async (run: (task: PackageTask) => Promise<PackageResult>) => {
    for (let i = next++; i < tasks.length; i = next++) {
      results[i] = await run(tasks[i]!);
      onDone(tasks[i]!);
    }
  };
  try {
    await Promise.all([...Array.from({ length: workers }, () => drain((task) => pool!.run(task) as Promise<PackageResult>)), drain((task) => local.run(task))]);
    return results;
  } finally {
    await pool?.destroy();
  }
}
