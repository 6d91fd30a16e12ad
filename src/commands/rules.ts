// `shipshape rules`: the catalog, read from the transforms themselves.
import { loadTransforms } from '../../transforms/registry.js';
import { catalog } from '../engine/catalog.js';
import { UsageError } from '../engine/pipeline.js';
import { table } from '../report/table.js';

export async function rulesCommand(opts: { format: string }): Promise<number> {
  const entries = catalog(await loadTransforms());
  if (opts.format === 'json') process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  else if (opts.format === 'text')
    process.stdout.write(table(['id', 'severity', 'file kind', 'fixer', 'description'], entries.map((e) => [e.id, e.severity, e.kinds.join(','), e.fixers.join(' / ') || '(report only)', e.description])));
  else throw new UsageError(`--format ${opts.format}: expected text or json`);
  return 0;
}
