// PLACEHOLDER: being written; reports nothing yet.
import type { Transform } from '../../src/engine/types.js';

export const transform: Transform<'dockerfile'> = {
  id: 'dockerfile-non-root',
  kind: 'dockerfile',
  description: '',
  rules: {},
  detect: () => [],
};
