// The one option schema of the generators. Each option is declared once,
// with its default (read from the target monorepo) and its parser/validator;
// the plop prompts, the `shipshape new` flags and the --answers file are all
// derived from this list, so they cannot drift apart.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { InputError, type Db, type Monorepo } from './monorepo.js';

export type Kind = 'service' | 'worker';
export const KINDS: readonly Kind[] = ['service', 'worker'];

export interface Answers {
  name: string;
  dir: string;
  db: Db;
  /** Services only. */
  port?: number;
  /** Workers only. */
  topic?: string;
  group?: string;
}

type Value = string | number;

export interface OptionSpec {
  key: keyof Answers;
  kinds: readonly Kind[];
  /** The prompt's question; also the flag's help. */
  message: string;
  choices?: readonly string[];
  /** The default from the monorepo and the earlier answers; undefined when the value has none (required). */
  default(mono: Monorepo, answers: Partial<Answers>): Value | undefined;
  /** Parses and validates a raw value (flag text, prompt input, JSON value); throws InputError saying why. */
  parse(raw: unknown, mono: Monorepo, answers: Partial<Answers>): Value;
}

const DBS: readonly Db[] = ['mongo', 'postgres', 'none'];
/** Kafka's legal topic characters (kafka/common/internals/Topic.java), and its length limit. */
const KAFKA_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function text(raw: unknown, what: string): string {
  if (typeof raw !== 'string' || raw === '') throw new InputError(`${what} must be a non-empty string`);
  return raw;
}

export function parseName(raw: unknown, mono: Pick<Monorepo, 'packageNames'>): string {
  const name = text(raw, 'the name');
  if (/[/\\]/.test(name) || name.includes('..')) throw new InputError(`${JSON.stringify(name)} must not contain path separators or ".."`);
  if (!KEBAB.test(name))
    throw new InputError(`${JSON.stringify(name)} is not kebab-case: lowercase letters, digits and single hyphens, starting with a letter (e.g. billing-service)`);
  if (name.length > 214) throw new InputError(`${JSON.stringify(name)} is longer than npm's 214 characters`);
  if (builtinModules.includes(name)) throw new InputError(`${JSON.stringify(name)} is a Node.js core module name, which npm refuses for packages`);
  if (mono.packageNames.has(name)) throw new InputError(`"${name}" already exists in this monorepo (a package or compose service has that name)`);
  return name;
}

export function parseDir(raw: unknown): string {
  const dir = text(raw, 'the directory');
  if (dir.includes('\\') || path.posix.isAbsolute(dir) || /^[A-Za-z]:/.test(dir))
    throw new InputError(`${JSON.stringify(dir)} must be a relative path inside the monorepo, with / separators`);
  const segments = dir.replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '..')) throw new InputError(`${JSON.stringify(dir)} must not contain ".."`);
  if (!segments.every((s) => SEGMENT.test(s))) throw new InputError(`${JSON.stringify(dir)}: each folder name may hold only letters, digits, ".", "_" and "-"`);
  return segments.join('/');
}

export function parsePort(raw: unknown, mono: Pick<Monorepo, 'ports' | 'configPorts'>, name?: string): number {
  const port = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new InputError(`${JSON.stringify(raw)} is not a port between 1024 and 65535`);
  const owner = mono.ports.get(port);
  const pinnedForMe = name !== undefined && mono.configPorts[name] === port;
  if (owner && !pinnedForMe) throw new InputError(`port ${port} is already used by ${owner}`);
  return port;
}

export function parseKafkaName(raw: unknown, what: 'topic' | 'group'): string {
  const value = text(raw, `the ${what}`);
  if (!KAFKA_NAME.test(value) || value === '.' || value === '..')
    throw new InputError(`${JSON.stringify(value)} is not a valid Kafka ${what}: use 1-249 of a-z A-Z 0-9 . _ - (and not "." or "..")`);
  return value;
}

export function parseDb(raw: unknown): Db {
  if (typeof raw !== 'string' || !DBS.includes(raw as Db)) throw new InputError(`${JSON.stringify(raw)} is not one of ${DBS.join(', ')}`);
  return raw as Db;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'name',
    kinds: KINDS,
    message: 'Package and folder name (kebab-case)',
    default: () => undefined,
    parse: (raw, mono) => parseName(raw, mono),
  },
  {
    key: 'dir',
    kinds: KINDS,
    message: 'Parent folder of the new package',
    default: (mono) => mono.defaultDir,
    parse: (raw) => parseDir(raw),
  },
  {
    key: 'port',
    kinds: ['service'],
    message: 'HTTP port',
    default: (mono, answers) => (answers.name && mono.configPorts[answers.name]) || mono.nextPort,
    parse: (raw, mono, answers) => parsePort(raw, mono, answers.name),
  },
  {
    key: 'topic',
    kinds: ['worker'],
    message: 'Kafka topic to consume',
    default: () => undefined,
    parse: (raw) => parseKafkaName(raw, 'topic'),
  },
  {
    key: 'group',
    kinds: ['worker'],
    message: 'Kafka consumer group',
    default: (_mono, answers) => answers.name,
    parse: (raw) => parseKafkaName(raw, 'group'),
  },
  {
    key: 'db',
    kinds: KINDS,
    message: 'Database',
    choices: DBS,
    default: (mono) => mono.defaultDb,
    parse: (raw) => parseDb(raw),
  },
];

export function optionsFor(kind: Kind): OptionSpec[] {
  return OPTIONS.filter((o) => o.kinds.includes(kind));
}

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/** Where raw values come from, highest precedence first: flags, then the answers file. */
export interface AnswerSources {
  flags: Partial<Record<keyof Answers, unknown>>;
  file?: { path: string; values: Record<string, unknown> };
  /** Take the default of every option not given. */
  yes: boolean;
}

/** Asks for the options that are still missing (interactive use); returns raw values by key. */
export type Ask = (missing: OptionSpec[], sofar: Partial<Answers>) => Promise<Record<string, unknown>>;

/** Reads an --answers file: a JSON object whose keys are options of this kind. */
export function answersFile(file: string, json: string, kind: Kind): { path: string; values: Record<string, unknown> } {
  let values: unknown;
  try {
    values = JSON.parse(json.replace(/^\ufeff/, ''));
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values)) throw new InputError(`${file}: must be a JSON object of answers, e.g. {"name": "billing-service"}`);
  const known = optionsFor(kind).map((o) => o.key as string);
  for (const key of Object.keys(values)) {
    if (known.includes(key)) continue;
    const other = OPTIONS.find((o) => o.key === key);
    throw new InputError(`${file}: "${key}" ${other ? `does not apply to a ${kind}` : 'is not an option'} (options for a ${kind}: ${known.join(', ')})`);
  }
  return { path: file, values: values as Record<string, unknown> };
}

/**
 * Resolves every option of `kind` from flags, the answers file, defaults
 * (with `yes`) and, for what is still missing, `ask`. Validates each value;
 * the first bad one is an InputError naming where it came from.
 */
export async function resolveAnswers(kind: Kind, sources: AnswerSources, mono: Monorepo, ask?: Ask): Promise<Answers> {
  for (const o of OPTIONS)
    if (!o.kinds.includes(kind) && sources.flags[o.key] !== undefined) throw new InputError(`--${o.key} does not apply to a ${kind}`);
  const answers: Partial<Answers> = {};
  const set = (o: OptionSpec, raw: unknown, where: string) => {
    try {
      (answers as Record<string, Value>)[o.key] = o.parse(raw, mono, answers);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${where}: ${err.message}`);
      throw err;
    }
  };
  const missing: OptionSpec[] = [];
  for (const o of optionsFor(kind)) {
    const fallback = o.default(mono, answers);
    if (sources.flags[o.key] !== undefined) set(o, sources.flags[o.key], `--${o.key}`);
    else if (sources.file && sources.file.values[o.key] !== undefined) set(o, sources.file.values[o.key], `${sources.file.path}: "${o.key}"`);
    else if (sources.yes && fallback !== undefined) set(o, fallback, `the default ${o.key}`);
    else if (sources.yes) throw new InputError(`a ${kind} needs --${o.key} (it has no default)`);
    else if (ask) set(o, (await ask([o], answers))[o.key], o.key);
    else missing.push(o);
  }
  if (missing.length > 0) {
    const flags = (os: OptionSpec[]) => os.map((o) => `--${o.key}`).join(', ');
    const defaults = missing.filter((o) => o.default(mono, answers) !== undefined);
    const required = missing.filter((o) => o.default(mono, answers) === undefined);
    let message = `missing ${flags(missing)}: pass them or --answers FILE.json`;
    if (defaults.length > 0) message += `, or --yes for the defaults (${defaults.map((o) => `${o.key} ${o.default(mono, answers)}`).join(', ')})`;
    if (required.length > 0) message += `; ${flags(required)} ${required.length > 1 ? 'have' : 'has'} no default`;
    throw new InputError(message);
  }
  return answers as Answers;
}
