// The command line. Parsing and exit codes live here; each command's work is
// in src/commands/. Exit 2 for usage errors and internal errors, per SPEC.
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './workspace/config.js';
import { UsageError } from './engine/pipeline.js';
import { NotBuiltError } from './commands/not-built.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseShard(value: string): { index: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new UsageError(`--shard ${value}: expected K/N with 1 <= K <= N`);
  return { index, total };
}

function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} ${value}: expected a positive integer`);
    return n;
  };
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('shipshape')
    .description('Find, fix and prove container-safety defects in the Node.js services of a monorepo')
    .version(version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const run = (fn: () => Promise<number>) => async () => setExit(await fn());

  program
    .command('scan')
    .description('inventory every service and report what will break at runtime')
    .argument('[root]', 'workspace root', '.')
    .addOption(new Option('--format <format>', 'output format (html: the self-contained review page)').choices(['text', 'markdown', 'json', 'sarif', 'html']).default('text'))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--baseline <old.json>', 'compare with an earlier JSON report')
    .option('--service <name>', 'only this service (repeatable)', collect)
    .option('--jobs <n>', 'threads: this one and N-1 workers (default: the available cores)', positiveInt('--jobs'))
    .option('--shard <k/n>', 'only shard K of N (split by a stable hash of the service)', parseShard)
    .option('--quiet', 'no progress line on stderr (it is only shown on a terminal, and never under CI=true)')
    .action(async (root: string, opts) => {
      const { scanCommand } = await import('./commands/scan.js');
      await run(() => scanCommand(root, opts))();
    });

  program
    .command('fix')
    .description('rewrite code and infra files so the findings go away')
    .argument('[root]', 'workspace root', '.')
    .option('--dry-run', 'write nothing; print a unified diff per changed file', false)
    .option('--patch <file>', 'also write the changes as a patch for git apply')
    .option('--force', 'write even over files with uncommitted or untracked changes in git', false)
    .option('--only <ids>', 'only these transforms (comma-separated)', list)
    .option('--skip <ids>', 'skip these transforms (comma-separated)', list)
    .option('--service <name>', 'only this service (repeatable)', collect)
    .option('--jobs <n>', 'threads: this one and N-1 workers (default: the available cores)', positiveInt('--jobs'))
    .option('--shard <k/n>', 'only shard K of N (split by a stable hash of the service)', parseShard)
    .option('--quiet', 'no progress line on stderr (it is only shown on a terminal, and never under CI=true)')
    .addOption(new Option('--format <format>', 'output format (markdown: a pull-request description)').choices(['text', 'json', 'markdown']).default('text'))
    .addOption(new Option('--group-by <key>', 'text output: the diff under one heading per service or per rule').choices(['service', 'rule']))
    .option('--html <file>', 'also write a self-contained HTML review page (diffs, findings, filters)')
    .action(async (root: string, opts) => {
      const { fixCommand } = await import('./commands/fix.js');
      await run(() => fixCommand(root, opts))();
    });

  program
    .command('new')
    .description('scaffold a hardened HTTP service or Kafka worker')
    .argument('<kind>', 'service or worker')
    .option('--name <name>', 'package and folder name (kebab-case)')
    .option('--port <n>', 'HTTP port (services)')
    .option('--topic <topic>', 'Kafka topic (workers)')
    .option('--group <group>', 'Kafka consumer group (workers)')
    .option('--db <db>', 'mongo, postgres or none')
    .option('--dir <dir>', 'parent folder for the new package')
    .option('--root <root>', 'monorepo root', '.')
    .option('--answers <file.json>', 'all answers at once')
    .option('--yes', 'take defaults for everything not given', false)
    .option('--dry-run', 'list what would be created or changed; write nothing', false)
    .action(async (kind: string, opts) => {
      const { newCommand } = await import('./commands/new.js');
      await run(() => newCommand(kind, opts))();
    });

  program
    .command('verify')
    .description('boot a service with its dependencies down and check it survives, answers health, and stops cleanly')
    .argument('[service-dir]', 'the service folder', '.')
    .option('--timeout <s>', 'graceful-stop grace period in seconds', '10')
    .option('--settle <s>', 'how long the service must stay up', '5')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (dir: string, opts) => {
      const { verifyCommand } = await import('./commands/verify.js');
      await run(() => verifyCommand(dir, opts))();
    });

  program
    .command('graph')
    .description('draw the service graph (nginx, service URLs, depends_on, Kafka topics); edges with a finding in red')
    .argument('[root]', 'workspace root', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'json', 'svg']).default('mermaid'))
    .option('--output <file>', 'write the graph to a file instead of stdout')
    .option('--jobs <n>', 'threads: this one and N-1 workers (default: the available cores)', positiveInt('--jobs'))
    .action(async (root: string, opts) => {
      const { graphCommand } = await import('./commands/graph.js');
      await run(() => graphCommand(root, opts))();
    });

  program
    .command('rules')
    .description('print the rule catalog')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--explain <id>', 'show the documentation of one rule')
    .action(async (opts) => {
      const { rulesCommand } = await import('./commands/rules.js');
      await run(() => rulesCommand(opts))();
    });

  program
    .command('report')
    .description('work with JSON reports')
    .action(() => {
      throw new UsageError('report: expected a subcommand: merge');
    })
    .command('merge')
    .description('merge the JSON reports of scan --shard K/N into the report an unsharded scan prints')
    .argument('<reports...>', 'shard reports (scan --shard K/N --format json)')
    .option('--output <file>', 'write the merged report to a file instead of stdout')
    .action(async (files: string[], opts) => {
      const { reportMergeCommand } = await import('./commands/report.js');
      await run(() => reportMergeCommand(files, opts))();
    });

  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are successes; every parse error is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof NotBuiltError) {
      process.stderr.write(`shipshape: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`shipshape: internal error: ${(err as Error).stack ?? err}\n`);
    return 2;
  }
}
