// `worker`: a Kafka consumer that passes `shipshape scan` on day one. Env
// validation at startup, connects that retry with backoff, a module-level
// consumerRef that SIGTERM/SIGINT disconnect; the same hardened image as a
// service but without EXPOSE or an HTTP healthcheck; wired into compose and
// CI. Templates: templates/worker/.
import { defineGenerator, type GeneratorContext } from './lib/generator.js';

export function workerGenerator(ctx: GeneratorContext) {
  return defineGenerator('worker', 'Kafka worker: retrying startup, consumerRef shutdown, hardened image without ports, wired into compose and CI', ctx);
}
