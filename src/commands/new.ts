// `shipshape new service|worker`: the plop generators of plopfile.ts, run
// without prompts. Every option comes from a flag, the --answers file or,
// with --yes, its default (read from the target monorepo); at a terminal the
// missing ones are asked with the generators' own prompts. Bad input is one
// error and exit 2 with nothing written; --dry-run prints the plan.
import fs from 'node:fs';
import type { PromptQuestion } from 'node-plop';
import { registerGenerators } from '../../plopfile.js';
import { promptFor } from '../../generators/lib/generator.js';
import { InputError, readMonorepo } from '../../generators/lib/monorepo.js';
import { answersFile, checkGiven, isKind, resolveAnswers, type Answers, type Ask } from '../../generators/lib/options.js';
import { ConflictError, planScaffold, type Plan } from '../../generators/lib/plan.js';
import { ParseError } from '../engine/parsers.js';
import { fileDiff } from '../engine/patch.js';
import { UsageError } from '../engine/pipeline.js';

export interface NewOptions {
  name?: string;
  port?: string;
  topic?: string;
  group?: string;
  db?: string;
  dir?: string;
  root?: string;
  answers?: string;
  yes?: boolean;
  dryRun?: boolean;
}

function printPlan(plan: Plan, dryRun: boolean): void {
  const created = plan.changes.filter((c) => c.before === null);
  const updated = plan.changes.filter((c) => c.before !== null);
  const out = process.stdout;
  out.write(`${dryRun ? 'would create' : 'created'} ${plan.dir}/ with ${plan.using}\n`);
  for (const c of created) out.write(`  ${c.path}\n`);
  if (updated.length > 0) out.write(`${dryRun ? 'would update' : 'updated'}\n`);
  for (const c of updated) out.write(`  ${c.path}\n`);
  if (dryRun) for (const c of updated) out.write(`\n${fileDiff(c)}`);
  out.write(`\nnext:\n${plan.notes.map((n) => `  - ${n}\n`).join('')}`);
}

async function run(kind: string, opts: NewOptions): Promise<number> {
  if (!isKind(kind)) throw new UsageError(`unknown kind "${kind}": expected service or worker`);
  const rootArg = opts.root ?? '.';
  if (!fs.existsSync(rootArg) || !fs.statSync(rootArg).isDirectory()) throw new UsageError(`--root ${rootArg}: not a directory`);
  let file: ReturnType<typeof answersFile> | undefined;
  if (opts.answers !== undefined) {
    let json: string;
    try {
      json = fs.readFileSync(opts.answers, 'utf8');
    } catch (err) {
      throw new UsageError(`--answers ${opts.answers}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    file = answersFile(opts.answers, json, kind);
  }
  const flags: Partial<Record<keyof Answers, unknown>> = { name: opts.name, port: opts.port, topic: opts.topic, group: opts.group, db: opts.db, dir: opts.dir };
  // A value that can never be valid is refused before the monorepo is read.
  checkGiven(kind, { flags, ...(file ? { file } : {}) });

  const mono = await readMonorepo(rootArg);
  // Loaded only once the input is known to be good: refusing bad input stays quick.
  const { default: nodePlop } = await import('node-plop');
  const plop = await nodePlop('', { destBasePath: mono.root, force: false });
  registerGenerators(plop, mono);
  const ctx = { monorepo: async () => mono };
  // At a terminal, whatever no flag answered is asked with the generator's own prompt.
  const interactive = !opts.yes && !!process.stdin.isTTY && !!process.stdout.isTTY;
  // node-plop passes its inquirer through at runtime; its types leave it out.
  const { inquirer } = plop as unknown as { inquirer: { prompt(q: PromptQuestion[], sofar: object): Promise<Record<string, unknown>> } };
  const ask: Ask | undefined = interactive ? (missing, sofar) => inquirer.prompt(missing.map((s) => promptFor(s, ctx)), sofar) : undefined;
  const answers = await resolveAnswers(kind, { flags, ...(file ? { file } : {}), yes: !!opts.yes }, mono, ask);

  const plan = planScaffold(kind, answers, mono, (template, data) => plop.renderString(template, data));
  if (plan.conflicts.length > 0) throw new UsageError(`cannot create ${plan.dir}: ${new ConflictError(plan.conflicts).message}`);
  if (opts.dryRun) {
    printPlan(plan, true);
    return 0;
  }
  const { failures } = await plop.getGenerator(kind).runActions(answers);
  if (failures.length > 0) {
    for (const f of failures) process.stderr.write(`shipshape: ${f.error || f.message}\n`);
    return 1;
  }
  printPlan(plan, false);
  return 0;
}

export async function newCommand(kind: string, opts: NewOptions): Promise<number> {
  try {
    return await run(kind, opts);
  } catch (err) {
    if (err instanceof InputError || err instanceof ParseError || err instanceof ConflictError) throw new UsageError(err.message);
    throw err;
  }
}
