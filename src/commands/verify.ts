// PLACEHOLDER until verify lands: says so and exits 2.
import { NotBuiltError } from './not-built.js';

export interface VerifyOptions {
  [key: string]: unknown;
}

export async function verifyCommand(_dir: string, _opts: VerifyOptions): Promise<number> {
  throw new NotBuiltError('`shipshape verify` is not built yet');
}
