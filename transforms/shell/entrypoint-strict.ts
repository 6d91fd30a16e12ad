// PLACEHOLDER: being written; reports nothing yet.
import type { Transform } from '../../src/engine/types.js';

export const transform: Transform<'shell'> = {
  id: 'entrypoint-strict',
  kind: 'shell',
  description: '',
  rules: {},
  detect: () => [],
};
