// `shipshape scan`: findings for a workspace in the requested format.
import fs from 'node:fs';
import { loadTransforms } from '../../transforms/registry.js';
import { runScan, type Selection } from '../engine/pipeline.js';
import { renderJson, toJsonReport } from '../report/json.js';
import { renderText, useColor } from '../report/text.js';
import { UsageError } from '../engine/pipeline.js';

export interface ScanOptions extends Selection {
  format: string;
  output?: string;
  baseline?: string;
}

export const SCAN_FORMATS = ['text', 'json'];

export async function scanCommand(root: string, opts: ScanOptions): Promise<number> {
  if (!SCAN_FORMATS.includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${SCAN_FORMATS.join(', ')}`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root}: not a directory`);
  const transforms = await loadTransforms();
  const result = await runScan(root, transforms, opts);
  const toFile = !!opts.output;
  let out: string;
  if (opts.format === 'json') out = renderJson(toJsonReport(result.services, result.findings, result.suppressed));
  else out = renderText(result.services, result.findings, result.suppressed, { color: !toFile && useColor(process.stdout) });
  if (opts.output) fs.writeFileSync(opts.output, out);
  else process.stdout.write(out);
  return result.findings.some((f) => f.severity === 'blocking') ? 1 : 0;
}
