// `service`: an HTTP service that passes `shipshape scan` on day one. Listens
// on PORT/0.0.0.0 before it connects, /health and /ready, background connects
// with backoff, startup env validation, graceful SIGTERM/SIGINT; a multi-stage
// non-root Dockerfile with a node HEALTHCHECK; wired into compose and CI.
// Templates: templates/service/.
import { defineGenerator, type GeneratorContext } from './lib/generator.js';

export function serviceGenerator(ctx: GeneratorContext) {
  return defineGenerator('service', 'HTTP service: listens first, /health and /ready, graceful shutdown, hardened image, wired into compose and CI', ctx);
}
