// `shipshape verify <service-dir>`: boots the service as a real process with
// its dependencies down and proves it survives, answers health and readiness,
// recovers when Redis comes back, and stops cleanly on SIGTERM. Exit 0 when
// every check holds, 1 when one fails, 2 on usage errors (thrown as
// UsageError, mapped by the CLI). Ctrl-C or SIGTERM to verify itself stops
// every process the run started before exiting.
import { UsageError } from '../engine/pipeline.js';
import { useColor } from '../report/text.js';
import { Cleanup } from '../verify/cleanup.js';
import { renderCheck, renderHeader, renderJson, renderVerdict } from '../verify/report.js';
import { verify } from '../verify/run.js';

export interface VerifyOptions {
  timeout?: string;
  settle?: string;
  format?: string;
  [key: string]: unknown;
}

export const VERIFY_FORMATS = ['text', 'json'];
/** Upper bound for --timeout and --settle: a verify run must stay bounded. */
const MAX_SECONDS = 600;

export function parseSeconds(flag: string, value: unknown, fallback: string): number {
  const text = value === undefined ? fallback : String(value);
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_SECONDS) throw new UsageError(`${flag} ${text}: expected a number of seconds above 0 and at most ${MAX_SECONDS}`);
  return Math.round(n * 1000);
}

export async function verifyCommand(dir: string, opts: VerifyOptions): Promise<number> {
  const format = opts.format ?? 'text';
  if (!VERIFY_FORMATS.includes(format)) throw new UsageError(`--format ${format}: expected one of ${VERIFY_FORMATS.join(', ')}`);
  const graceMs = parseSeconds('--timeout', opts.timeout, '10');
  const settleMs = parseSeconds('--settle', opts.settle, '5');
  const text = format === 'text';
  const color = text && useColor(process.stdout);

  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup.runAll();
    process.stderr.write(`\nshipshape verify: ${signal}: stopped the service and every helper it started\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => cleanup.runAll();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  try {
    const run = await verify(dir, {
      graceMs,
      settleMs,
      cleanup,
      ...(text
        ? {
            onStart: (r) => process.stdout.write(renderHeader(r)),
            onCheck: (c) => process.stdout.write(renderCheck(c, { color })),
          }
        : {}),
    });
    process.stdout.write(text ? renderVerdict(run) : renderJson(run));
    return run.ok ? 0 : 1;
  } finally {
    cleanup.runAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
