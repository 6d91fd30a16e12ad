// Runs package tasks on `jobs` worker threads (piscina: maintained, bounded
// queue, workerData sent once per worker) or, for `--jobs 1`, in this thread
// with the very same runner. Results come back in task order whatever order
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
  // this module: run in this thread, which gives the same results.
  if (threads <= 1 || !fs.existsSync(worker)) {
    const runner = packageRunner(setup, transforms);
    const out: PackageResult[] = [];
    for (const t of tasks) {
      out.push(await runner.run(t));
      onDone(t);
    }
    return out;
  }
  const pool = new Piscina({
    filename: worker,
    workerData: setup,
    minThreads: threads,
    maxThreads: threads,
  });
  try {
    return await Promise.all(
      tasks.map(async (t) => {
        const r = (await pool.run(t)) as PackageResult;
        onDone(t);
        return r;
      }),
    );
  } finally {
    await pool.destroy();
  }
}
