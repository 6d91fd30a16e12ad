// `shipshape report merge a.json b.json … [--output FILE]`: the shard reports
// of `scan --shard K/N --format json`, merged into the report an unsharded
// `scan --format json` prints (src/report/merge.ts does the merging).
// Exit codes, as scan's: 0 no blocking finding, 1 the merged report has
// blocking findings, 2 usage error (a file missing, not JSON, not a v1 report,
// of another scan, or overlapping another; thrown, mapped in cli.ts).
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../engine/pipeline.js';
import { renderJson } from '../report/json.js';
import { mergeReports, type MergeInput } from '../report/merge.js';

export interface ReportMergeOptions {
  output?: string;
}

function readReport(file: string): MergeInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? (err as Error).message})`;
    throw new UsageError(`${file}: ${why}`);
  }
  try {
    return { name: file, report: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
}

export async function reportMergeCommand(files: string[], opts: ReportMergeOptions): Promise<number> {
  const seen = new Map<string, string>();
  for (const file of files) {
    const key = path.resolve(file);
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new UsageError(`${file}: given twice${earlier === file ? '' : ` (also as ${earlier})`}: the shards would overlap`);
    seen.set(key, file);
  }
  const report = mergeReports(files.map(readReport));
  const text = renderJson(report);
  if (opts.output) {
    try {
      fs.writeFileSync(opts.output, text);
    } catch (err) {
      throw new UsageError(`--output ${opts.output}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else process.stdout.write(text);
  return report.findings.some((f) => f.severity === 'blocking') ? 1 : 0;
}
