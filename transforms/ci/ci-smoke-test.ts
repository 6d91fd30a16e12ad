// PLACEHOLDER: being written; reports nothing yet.
import type { Transform } from '../../src/engine/types.js';

export const transform: Transform<'workflow'> = {
  id: 'ci-smoke-test',
  kind: 'workflow',
  description: '',
  rules: {},
  detect: () => [],
};
