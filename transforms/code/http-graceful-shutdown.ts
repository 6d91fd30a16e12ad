// PLACEHOLDER: being written; reports nothing yet.
import type { Transform } from '../../src/engine/types.js';

export const transform: Transform<'code'> = {
  id: 'http-graceful-shutdown',
  kind: 'code',
  description: '',
  rules: {},
  detect: () => [],
};
