// Module loader hooks (node:module register) that let Node 20 import a
// `shipshape.config.ts` / `.mts` and the local .ts files it imports: the
// source is read and its types are blanked out by ts-strip.ts, then loaded as
// an ES module. Nothing is written to disk. Files under node_modules are left
// to Node. Registered by config.ts only when a TypeScript config exists.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripTypes } from './ts-strip.js';

interface LoadContext {
  format?: string | null;
  conditions?: string[];
}

type NextLoad = (url: string, context?: LoadContext) => Promise<{ format?: string | null; source?: string | ArrayBuffer | null; shortCircuit?: boolean }>;

const TS_FILE = /\.(ts|mts)$/;

export async function load(url: string, context: LoadContext, nextLoad: NextLoad) {
  if (url.startsWith('file:')) {
    const file = fileURLToPath(url);
    if (TS_FILE.test(file) && !file.endsWith('.d.ts') && !/[\\/]node_modules[\\/]/.test(file)) {
      return { format: 'module', source: stripTypes(fs.readFileSync(file, 'utf8'), file), shortCircuit: true };
    }
  }
  return nextLoad(url, context);
}
