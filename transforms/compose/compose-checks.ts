// PLACEHOLDER: being written; reports nothing yet.
import type { Transform } from '../../src/engine/types.js';

export const transform: Transform<'compose'> = {
  id: 'compose-checks',
  kind: 'compose',
  description: '',
  rules: {},
  detect: () => [],
};
