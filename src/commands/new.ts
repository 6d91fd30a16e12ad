// PLACEHOLDER until the generators land: says so and exits 2.
import { NotBuiltError } from './not-built.js';

export interface NewOptions {
  [key: string]: unknown;
}

export async function newCommand(_kind: string, _opts: NewOptions): Promise<number> {
  throw new NotBuiltError('`shipshape new` is not built yet');
}
