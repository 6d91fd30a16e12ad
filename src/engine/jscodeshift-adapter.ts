// Makes a code transform runnable with the plain `jscodeshift -t <file>` CLI:
// jscodeshift hands us the file; we pick the parser from its extension (never
// the CLI's --parser) and run the same fix the engine runs.
import path from 'node:path';
import { fixFile } from './run-file.js';
import { defaultService, standaloneWorkspace } from './standalone.js';
import { normalize, restore } from './text.js';
import type { Transform } from './types.js';

interface JscodeshiftFile {
  path: string;
  source: string;
}

export function jscodeshiftAdapter(transform: Transform<'code'>) {
  return function run(file: JscodeshiftFile): string | undefined {
    const root = path.dirname(path.resolve(file.path));
    const ws = standaloneWorkspace({ root });
    const { text, shape } = normalize(file.source);
    const out = fixFile({ kind: 'code', path: path.basename(file.path), text, service: defaultService() }, [transform], [transform], ws);
    if (out.error) throw new Error(`${file.path}:${out.error.line}: ${out.error.message}`);
    return out.output === undefined ? undefined : restore(out.output, shape);
  };
}
