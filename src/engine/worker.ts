// A pool worker: builds its package runner once from the run's setup (sent
// as workerData), then runs package tasks as piscina hands them over.
import { workerData } from 'node:worker_threads';
import { loadTransforms } from '../../transforms/registry.js';
import { packageRunner, type PackageResult, type PackageTask, type RunSetup } from './run-package.js';

const runner = packageRunner(workerData as RunSetup, await loadTransforms());

export default function run(task: PackageTask): Promise<PackageResult> {
  return runner.run(task);
}
