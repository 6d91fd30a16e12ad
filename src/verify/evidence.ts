// Evidence from a service's log: JSON log lines made readable, the telling
// end of the log (the line that introduced a dumped error, not its last
// brace), and an exit explained by the dependency the log points at.
import { seconds, type Child, type ExitInfo, type LogLine } from './child.js';
import type { Dependency, DependencyKind } from './env.js';

/** Log lines shown as evidence of a failure. */
export const LOG_TAIL = 8;

/** A JSON log line (kafkajs, pino, bunyan) as `LEVEL logger: message`; other text as is. */
export function readable(text: string, max = 200): string {
  let out = text;
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      const message = o.message ?? o.msg;
      if (typeof message === 'string') {
        const level = typeof o.level === 'string' ? `${o.level} ` : '';
        const logger = typeof o.logger === 'string' ? `${o.logger}: ` : '';
        out = `${level}${logger}${message}`;
      }
    } catch {
      // not JSON after all
    }
  }
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** A line that starts a message: not indented (stack frame, dumped object), not a closing bracket. */
export function isHeadline(text: string): boolean {
  return !/^\s/.test(text) && !/^[}\]),]/.test(text);
}

const STACK_FRAME = /^\s+at\s/;

/**
 * The end of the log as evidence. When the tail is the inside of a dumped
 * error (stack frames, `code: 'ECONNREFUSED'`), it starts at the line that
 * introduced it, e.g. `failed to start: MongoServerSelectionError: ...`.
 * Stack frames are left out: the message and the error's fields tell more.
 */
export function telling(child: Child, n = LOG_TAIL): LogLine[] {
  const recent = child.tail(200).filter((l) => !STACK_FRAME.test(l.text));
  const tail = recent.slice(-n);
  if (tail.length === 0 || isHeadline(tail[0]!.text)) return tail;
  let i = recent.length - n;
  while (i > 0 && !isHeadline(recent[i]!.text)) i--;
  const block = recent.slice(i);
  return block.length <= n ? block : [...block.slice(0, n - 2), ...block.slice(-2)];
}

/** Log lines as evidence: time since start, `!` for stderr, the text. */
export function logLines(lines: LogLine[]): string[] {
  return lines.map((l) => `[${seconds(l.at).padStart(6)}] ${l.stream === 'stderr' ? '!' : ' '} ${readable(l.text)}`);
}

export function names(deps: Dependency[]): string {
  const labels = [...new Set(deps.map((d) => d.label))];
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/** "exited with code 1 after 0.4 s while MongoDB (MONGO_URI) was unreachable". */
export function describeExit(exit: ExitInfo, tail: LogLine[], deps: Dependency[]): string {
  const after = seconds(exit.at);
  const how = exit.signal ? `was killed by ${exit.signal} after ${after}` : `exited with code ${exit.code} after ${after}`;
  const text = tail.map((l) => l.text).join('\n');
  // A missing module is a packaging fault, whatever the module is named
  // ('kafkajs' must not read as "Kafka was unreachable").
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(text);
  if (missing) return `${how}: module '${missing[1]}' could not be found (dependencies not installed, or the build output is incomplete)`;
  if (deps.length === 0) return how;
  const culprit = dependencyIn(text, deps);
  if (culprit) return `${how} while ${culprit.label} (${culprit.names.join(', ')} → 127.0.0.1:${culprit.port}) was unreachable`;
  return `${how} while its dependencies were down (${names(deps)})`;
}

/** The dependency whose closed port or name a log line mentions, if any. */
export function dependencyIn(text: string, deps: Dependency[]): Dependency | null {
  for (const d of deps) if (new RegExp(`127\\.0\\.0\\.1:${d.port}\\b|localhost:${d.port}\\b|\\b${d.port}\\b`).test(text)) return d;
  for (const d of deps) if (d.names.some((n) => text.includes(n))) return d;
  const words: Partial<Record<DependencyKind, RegExp>> = {
    mongodb: /mongo/i,
    redis: /redis/i,
    kafka: /kafka|broker/i,
    postgres: /postgres|\bpg\b|prisma/i,
    mysql: /mysql/i,
    amqp: /amqp|rabbit/i,
  };
  for (const d of deps) if (words[d.kind]?.test(text)) return d;
  return null;
}
