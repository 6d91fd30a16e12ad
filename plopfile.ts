// plop entry point: `plop service` / `plop worker` ask for each option, with
// defaults read from the target monorepo (`--dest <monorepo>`, else this
// folder). `shipshape new` registers the same generators through
// `registerGenerators` and answers every prompt from flags instead.
import type { NodePlopAPI } from 'node-plop';
import { helpers } from './generators/lib/helpers.js';
import type { GeneratorContext } from './generators/lib/generator.js';
import { readMonorepo, type Monorepo } from './generators/lib/monorepo.js';
import { serviceGenerator } from './generators/service.js';
import { workerGenerator } from './generators/worker.js';

/** Registers the helpers and the `service` and `worker` generators; `mono` skips re-reading an already read monorepo. */
export function registerGenerators(plop: NodePlopAPI, mono?: Monorepo): void {
  let reading: Promise<Monorepo> | undefined = mono && Promise.resolve(mono);
  const ctx: GeneratorContext = { monorepo: () => (reading ??= readMonorepo(plop.getDestBasePath())) };
  for (const [name, fn] of Object.entries(helpers)) plop.setHelper(name, fn);
  plop.setGenerator('service', serviceGenerator(ctx));
  plop.setGenerator('worker', workerGenerator(ctx));
}

export default function plopfile(plop: NodePlopAPI): void {
  registerGenerators(plop);
}
