#!/usr/bin/env node
// Writes a deterministic synthetic pnpm monorepo for the benchmark: N services,
// each with a package.json, a Dockerfile (a few realistic variants, some
// already hardened, some with the audit's defects), 1-2 code files taken from
// the code-transform fixtures (fixtures/<transform>/<case>/input.*, cycled in a
// fixed order, extension kept) and ordinary business-logic modules that no
// rule looks at, about 8 source files per service in all. Same N, same bytes:
// no Math.random, no clock, no environment.
//
//   node bench/synth.mjs DIR [N=500]
//
// Service i depends only on i, so the repo for N/4 is a prefix of the repo for N.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixturesDir = path.join(here, '..', 'fixtures');

/** The six code fixers, in the engine's fix order. */
export const CODE_FIXERS = [
  'require-env-at-startup',
  'port-from-env',
  'listen-before-connect',
  'dependency-retry',
  'consumer-ref-shutdown',
  'http-graceful-shutdown',
];

export const SOURCES_PER_SERVICE = 8;

// ---------------------------------------------------------------------------
// Deterministic helpers

/** mulberry32: a small seeded PRNG; the seed is the service index. */
function prng(seed) {
  let a = (seed * 0x9e3779b1 + 0x7f4a7c15) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

const pad = (i) => String(i).padStart(4, '0');
export const serviceName = (i) => `svc-${pad(i)}`;

// ---------------------------------------------------------------------------
// Fixture inputs of the six code transforms

let fixtureCache = null;

/** Every distinct input file of the six code transforms, in a fixed order. */
export function codeFixtures() {
  if (fixtureCache) return fixtureCache;
  const seen = new Set();
  const out = [];
  for (const id of CODE_FIXERS) {
    const dir = path.join(fixturesDir, id);
    for (const name of fs.readdirSync(dir).sort()) {
      const caseDir = path.join(dir, name);
      if (!fs.statSync(caseDir).isDirectory()) continue;
      const input = fs.readdirSync(caseDir).sort().find((f) => /^input\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/.test(f));
      if (!input) continue;
      const text = fs.readFileSync(path.join(caseDir, input), 'utf8');
      if (seen.has(text)) continue; // the demo-* cases repeat across transforms
      seen.add(text);
      out.push({ id: `${id}/${name}`, ext: path.extname(input), text });
    }
  }
  if (out.length === 0) throw new Error(`no code fixtures under ${fixturesDir}`);
  fixtureCache = out;
  return out;
}

const DEP_VERSIONS = {
  express: '^5.1.0',
  mongoose: '^8.8.1',
  mongodb: '^6.10.0',
  kafkajs: '^2.2.4',
  ioredis: '^5.4.1',
  redis: '^4.7.0',
  pg: '^8.13.1',
  fastify: '^5.1.0',
  koa: '^2.15.3',
  sequelize: '^6.37.5',
  typeorm: '^0.3.20',
  dotenv: '^16.4.5',
  '@prisma/client': '^5.22.0',
  '@nestjs/core': '^10.4.7',
  '@nestjs/common': '^10.4.7',
};

/** The packages a file imports or requires (not relative, not node: builtins). */
function importsOf(text) {
  const deps = new Set();
  const re = /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1];
    if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('@demo/')) continue;
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (['http', 'https', 'crypto', 'fs', 'path', 'events', 'util', 'os', 'url'].includes(name)) continue;
    deps.add(name);
  }
  return deps;
}

const isEsm = (text) => /^\s*(import\s|export\s)/m.test(text);
const isWorkerCode = (text) => /kafkajs/.test(text) && !/\.listen\(/.test(text);

/** The fixture text with a one-line provenance comment (after a shebang, if any). */
function withHeader(text, svc, id) {
  const header = `// ${svc}: code taken from fixtures/${id}\n`;
  if (text.startsWith('#!')) {
    const nl = text.indexOf('\n');
    return `${text.slice(0, nl + 1)}${header}${text.slice(nl + 1)}`;
  }
  return header + text;
}

// ---------------------------------------------------------------------------
// Business-logic templates
//
// Written once as TypeScript; «...» marks TypeScript-only text, removed for the
// JavaScript variants (ESM or CommonJS). Nothing here is anything a rule looks
// for: no server, no environment, no drivers, no signals.

const DOMAINS = [
  { E: 'Course', plural: 'courses', name: 'title', amount: 'price', date: 'startsAt', count: 'capacity', statuses: ['draft', 'published', 'archived'], code: 'CRS' },
  { E: 'Booking', plural: 'bookings', name: 'reference', amount: 'total', date: 'sessionDate', count: 'seats', statuses: ['pending', 'confirmed', 'cancelled'], code: 'BKG' },
  { E: 'Invoice', plural: 'invoices', name: 'invoiceNumber', amount: 'amountDue', date: 'dueDate', count: 'lineCount', statuses: ['open', 'paid', 'void'], code: 'INV' },
  { E: 'Trainer', plural: 'trainers', name: 'displayName', amount: 'hourlyRate', date: 'availableFrom', count: 'sessionsPerWeek', statuses: ['active', 'on-leave', 'retired'], code: 'TRN' },
  { E: 'Shipment', plural: 'shipments', name: 'trackingCode', amount: 'declaredValue', date: 'shippedAt', count: 'parcels', statuses: ['created', 'in-transit', 'delivered'], code: 'SHP' },
  { E: 'Order', plural: 'orders', name: 'orderNumber', amount: 'grandTotal', date: 'placedAt', count: 'itemCount', statuses: ['cart', 'placed', 'fulfilled'], code: 'ORD' },
  { E: 'Subscription', plural: 'subscriptions', name: 'planName', amount: 'monthlyFee', date: 'renewsAt', count: 'seats', statuses: ['trial', 'active', 'lapsed'], code: 'SUB' },
  { E: 'Voucher', plural: 'vouchers', name: 'label', amount: 'faceValue', date: 'expiresAt', count: 'redemptions', statuses: ['issued', 'redeemed', 'expired'], code: 'VCH' },
  { E: 'Room', plural: 'rooms', name: 'label', amount: 'nightlyRate', date: 'availableFrom', count: 'beds', statuses: ['available', 'occupied', 'maintenance'], code: 'ROM' },
  { E: 'Ticket', plural: 'tickets', name: 'seatLabel', amount: 'fare', date: 'departsAt', count: 'zone', statuses: ['reserved', 'issued', 'refunded'], code: 'TKT' },
  { E: 'Product', plural: 'products', name: 'sku', amount: 'listPrice', date: 'releasedAt', count: 'stock', statuses: ['draft', 'listed', 'discontinued'], code: 'PRD' },
  { E: 'Membership', plural: 'memberships', name: 'memberName', amount: 'annualFee', date: 'joinedAt', count: 'visits', statuses: ['prospect', 'member', 'expired'], code: 'MEM' },
];

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'SEK'];
const LOCALES = ['en-GB', 'en-US', 'de-DE', 'fr-FR', 'sv-SE', 'nl-NL'];
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);
const q = (s) => `'${s}'`;
const key = (s) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : q(s));

function modelTemplate(d, p) {
  const e = lowerFirst(d.E);
  const S = `${d.E}Status`;
  const [s0, s1, s2] = d.statuses;
  return `/**
 * ${d.E} model for ${p.svc}.
 *
 * Plain data plus the rules every caller needs: status transitions, derived
 * fields and ordering. Amounts are integers in minor units (cents).
 */

«export type ${S} = ${d.statuses.map(q).join(' | ')};
»export const ${d.code}_STATUSES = [${d.statuses.map(q).join(', ')}]« as const»;

«export interface ${d.E} {
  id: string;
  ${d.name}: string;
  ${d.amount}: number;
  currency: string;
  ${d.date}: string;
  ${d.count}: number;
  status: ${S};
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface New${d.E} {
  ${d.name}: string;
  ${d.amount}: number;
  currency?: string;
  ${d.date}: string;
  ${d.count}?: number;
  tags?: string[];
}

»const TRANSITIONS«: Record<${S}, ${S}[]>» = {
  ${key(s0)}: [${q(s1)}, ${q(s2)}],
  ${key(s1)}: [${q(s2)}],
  ${key(s2)}: [],
};

export function normalizeTags(tags«: readonly string[]»)«: string[]» {
  const seen = new Set«<string>»();
  for (const tag of tags) {
    const clean = tag.trim().toLowerCase().replace(/\\s+/g, '-');
    if (clean) seen.add(clean);
  }
  return [...seen].sort();
}

export function create${d.E}(id«: string», input«: New${d.E}», now = new Date())«: ${d.E}» {
  const stamp = now.toISOString();
  return {
    id,
    ${d.name}: input.${d.name}.trim(),
    ${d.amount}: Math.round(input.${d.amount}),
    currency: (input.currency ?? '${p.currency}').toUpperCase(),
    ${d.date}: input.${d.date},
    ${d.count}: input.${d.count} ?? ${p.defaultCount},
    status: '${s0}',
    tags: normalizeTags(input.tags ?? []),
    createdAt: stamp,
    updatedAt: stamp,
  };
}

export function canTransition(from«: ${S}», to«: ${S}»)«: boolean» {
  return TRANSITIONS[from].includes(to);
}

export function transition(${e}«: ${d.E}», to«: ${S}», now = new Date())«: ${d.E}» {
  if (!canTransition(${e}.status, to)) {
    throw new Error(\`${d.E} \${${e}.id}: cannot go from \${${e}.status} to \${to}\`);
  }
  return { ...${e}, status: to, updatedAt: now.toISOString() };
}

export function isActive(${e}«: ${d.E}»)«: boolean» {
  return ${e}.status !== '${s2}';
}

export function compare${d.E}s(a«: ${d.E}», b«: ${d.E}»)«: number» {
  if (a.${d.date} !== b.${d.date}) return a.${d.date} < b.${d.date} ? -1 : 1;
  const byName = a.${d.name}.localeCompare(b.${d.name});
  return byName !== 0 ? byName : a.id.localeCompare(b.id);
}

export function describe${d.E}(${e}«: ${d.E}»)«: string» {
  const tags = ${e}.tags.length ? \` [\${${e}.tags.join(', ')}]\` : '';
  return \`\${${e}.${d.name}} (\${${e}.status}, ${d.count} \${${e}.${d.count}})\${tags}\`;
}
`;
}

function validationTemplate(d, p) {
  return `// Input checks for new ${d.plural}: every problem at once, never the first only.
import { ${d.code}_STATUSES } from './${lowerFirst(d.E)}';
«import type { New${d.E} } from './${lowerFirst(d.E)}';
»
«export interface ValidationIssue {
  field: string;
  message: string;
}

»const MAX_NAME_LENGTH = ${p.maxName};
const MAX_${snake(d.count).toUpperCase()} = ${p.maxCount};
const MAX_TAGS = ${p.maxTags};
const ISO_DATE = /^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;
const TAG = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function isIsoDate(value«: unknown»)«: value is string» {
  return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
}

export function isKnownStatus(value«: string»)«: boolean» {
  return (${d.code}_STATUSES« as readonly string[]»).includes(value);
}

export function validateNew${d.E}(input«: Partial<New${d.E}>»)«: ValidationIssue[]» {
  const issues«: ValidationIssue[]» = [];
  const label = typeof input.${d.name} === 'string' ? input.${d.name}.trim() : '';
  if (!label) {
    issues.push({ field: '${d.name}', message: 'is required' });
  } else if (label.length > MAX_NAME_LENGTH) {
    issues.push({ field: '${d.name}', message: \`must be at most \${MAX_NAME_LENGTH} characters\` });
  }

  const amount = input.${d.amount};
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    issues.push({ field: '${d.amount}', message: 'must be a number' });
  } else if (amount < 0) {
    issues.push({ field: '${d.amount}', message: 'must not be negative' });
  } else if (!Number.isInteger(amount)) {
    issues.push({ field: '${d.amount}', message: 'must be in minor units (a whole number)' });
  }

  if (input.currency !== undefined && !CURRENCY_CODE.test(input.currency)) {
    issues.push({ field: 'currency', message: 'must be an ISO-4217 code such as ${p.currency}' });
  }
  if (!isIsoDate(input.${d.date})) {
    issues.push({ field: '${d.date}', message: 'must be an ISO-8601 date' });
  }

  const count = input.${d.count};
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0) {
      issues.push({ field: '${d.count}', message: 'must be a whole number, zero or more' });
    } else if (count > MAX_${snake(d.count).toUpperCase()}) {
      issues.push({ field: '${d.count}', message: \`must be at most \${MAX_${snake(d.count).toUpperCase()}}\` });
    }
  }

  const tags = input.tags ?? [];
  if (tags.length > MAX_TAGS) issues.push({ field: 'tags', message: \`at most \${MAX_TAGS} tags\` });
  tags.forEach((tag, index) => {
    if (!TAG.test(tag)) issues.push({ field: \`tags[\${index}]\`, message: 'lower-case letters, digits and dashes only' });
  });
  return issues;
}

export function describeIssues(issues«: readonly ValidationIssue[]»)«: string» {
  return issues.map((issue) => \`\${issue.field} \${issue.message}\`).join('; ');
}
`;
}

function moneyTemplate(d, p) {
  return `/**
 * Money helpers for ${p.svc}. Amounts are integers in minor units; rounding
 * happens once, at the edge, never in the middle of a calculation.
 */

export const DEFAULT_CURRENCY = '${p.currency}';
export const VAT_RATE = ${p.vat};
export const DEFAULT_LOCALE = '${p.locale}';

const MINOR_DIGITS«: Record<string, number>» = { EUR: 2, USD: 2, GBP: 2, CHF: 2, SEK: 2, JPY: 0 };

function digitsOf(currency«: string»)«: number» {
  return MINOR_DIGITS[currency] ?? 2;
}

export function toMinor(amount«: number», currency = DEFAULT_CURRENCY)«: number» {
  return Math.round(amount * 10 ** digitsOf(currency));
}

export function fromMinor(minor«: number», currency = DEFAULT_CURRENCY)«: number» {
  return minor / 10 ** digitsOf(currency);
}

export function addVat(net«: number», rate = VAT_RATE)«: number» {
  return Math.round(net * (1 + rate));
}

export function vatPart(gross«: number», rate = VAT_RATE)«: number» {
  return gross - Math.round(gross / (1 + rate));
}

export function applyDiscount(amount«: number», percent«: number»)«: number» {
  if (percent <= 0) return amount;
  if (percent >= 100) return 0;
  return Math.round((amount * (100 - percent)) / 100);
}

export function sumMinor(amounts«: readonly number[]»)«: number» {
  let total = 0;
  for (const amount of amounts) total += amount;
  return total;
}

/** Splits total over weights so the parts add up exactly (largest remainder). */
export function allocate(total«: number», weights«: readonly number[]»)«: number[]» {
  const sum = weights.reduce((acc, w) => acc + w, 0);
  if (sum <= 0) return weights.map(() => 0);
  const raw = weights.map((w) => (total * w) / sum);
  const parts = raw.map((r) => Math.floor(r));
  let rest = total - sumMinor(parts);
  const order = raw
    .map((r, index) => ({ fraction: r - Math.floor(r), index }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (let k = 0; rest > 0 && k < order.length; k++, rest--) parts[order[k]«!».index] += 1;
  return parts;
}

export function formatMoney(minor«: number», currency = DEFAULT_CURRENCY, locale = DEFAULT_LOCALE)«: string» {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(fromMinor(minor, currency));
}

export function perUnit(total«: number», units«: number»)«: number» {
  return units > 0 ? Math.round(total / units) : 0;
}

export function ${lowerFirst(d.E)}PriceWithVat(net«: number», discountPercent = ${p.discount})«: number» {
  return addVat(applyDiscount(net, discountPercent));
}
`;
}

function datesTemplate(d, p) {
  return `// Calendar arithmetic in UTC for ${d.plural}; local time only when formatting.

const DAY_MS = 24 * 60 * 60 * 1000;
export const WEEK_STARTS_ON = ${p.weekStart};
export const CUTOFF_HOUR_UTC = ${p.cutoff};

«export interface DateRange {
  from: Date;
  to: Date;
}

»export function addDays(date«: Date», days«: number»)«: Date» {
  return new Date(date.getTime() + days * DAY_MS);
}

export function startOfDayUtc(date«: Date»)«: Date» {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function startOfWeekUtc(date«: Date»)«: Date» {
  const diff = (date.getUTCDay() - WEEK_STARTS_ON + 7) % 7;
  return addDays(startOfDayUtc(date), -diff);
}

export function isWeekend(date«: Date»)«: boolean» {
  const day = date.getUTCDay();
  return day === 0 || day === 6;
}

export function toIsoDate(date«: Date»)«: string» {
  return date.toISOString().slice(0, 10);
}

export function parseIsoDate(value«: string»)«: Date | null» {
  if (!/^\\d{4}-\\d{2}-\\d{2}/.test(value)) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}

export function addBusinessDays(date«: Date», days«: number», holidays«: readonly string[]» = [])«: Date» {
  const skip = new Set(holidays);
  let current = startOfDayUtc(date);
  let left = days;
  while (left > 0) {
    current = addDays(current, 1);
    if (!isWeekend(current) && !skip.has(toIsoDate(current))) left--;
  }
  return current;
}

export function daysBetween(a«: Date», b«: Date»)«: number» {
  return Math.round((startOfDayUtc(b).getTime() - startOfDayUtc(a).getTime()) / DAY_MS);
}

export function overlaps(a«: DateRange», b«: DateRange»)«: boolean» {
  return a.from < b.to && b.from < a.to;
}

export function eachDay(range«: DateRange»)«: Date[]» {
  const days«: Date[]» = [];
  for (let day = startOfDayUtc(range.from); day < range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Orders placed after the cut-off count from the next business day. */
export function effectiveDate(placed«: Date»)«: Date» {
  const late = placed.getUTCHours() >= CUTOFF_HOUR_UTC;
  const base = late ? addDays(startOfDayUtc(placed), 1) : startOfDayUtc(placed);
  return isWeekend(base) ? addBusinessDays(base, 1) : base;
}

export function formatDay(date«: Date», locale = '${p.locale}')«: string» {
  return new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
}
`;
}

function repositoryTemplate(d, p) {
  const e = lowerFirst(d.E);
  return `// In-memory queries over ${d.plural}: pure functions on arrays, the storage
// layer hands us the rows and keeps them.
import { compare${d.E}s, isActive } from '../domain/${e}';
«import type { ${d.E}, ${d.E}Status } from '../domain/${e}';
»
«export interface ${d.E}Query {
  status?: ${d.E}Status;
  text?: string;
  from?: string;
  to?: string;
  tags?: string[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}

»export const DEFAULT_PAGE_SIZE = ${p.pageSize};
export const MAX_PAGE_SIZE = 100;

export function matches(${e}«: ${d.E}», query«: ${d.E}Query»)«: boolean» {
  if (query.status && ${e}.status !== query.status) return false;
  if (query.from && ${e}.${d.date} < query.from) return false;
  if (query.to && ${e}.${d.date} >= query.to) return false;
  if (query.text && !${e}.${d.name}.toLowerCase().includes(query.text.toLowerCase())) return false;
  if (query.tags?.length && !query.tags.every((tag) => ${e}.tags.includes(tag))) return false;
  return true;
}

export function find${d.E}s(items«: readonly ${d.E}[]», query«: ${d.E}Query» = {})«: ${d.E}[]» {
  return items.filter((item) => matches(item, query)).sort(compare${d.E}s);
}

export function paginate«<T>»(items«: readonly T[]», page = 1, pageSize = DEFAULT_PAGE_SIZE)«: Page<T>» {
  const size = Math.min(Math.max(1, Math.floor(pageSize)), MAX_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(1, Math.floor(page)), pages);
  const start = (current - 1) * size;
  return { items: items.slice(start, start + size), total: items.length, page: current, pageSize: size, pages };
}

export function indexById(items«: readonly ${d.E}[]»)«: Map<string, ${d.E}>» {
  return new Map(items.map((item) => [item.id, item]));
}

export function upsert(items«: readonly ${d.E}[]», next«: ${d.E}»)«: ${d.E}[]» {
  const at = items.findIndex((item) => item.id === next.id);
  if (at === -1) return [...items, next];
  return [...items.slice(0, at), next, ...items.slice(at + 1)];
}

export function removeById(items«: readonly ${d.E}[]», id«: string»)«: ${d.E}[]» {
  return items.filter((item) => item.id !== id);
}

export function activeOnly(items«: readonly ${d.E}[]»)«: ${d.E}[]» {
  return items.filter(isActive);
}

export function countByStatus(items«: readonly ${d.E}[]»)«: Record<string, number>» {
  const counts«: Record<string, number>» = {};
  for (const item of items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return counts;
}

export function total${d.E}${d.amount[0].toUpperCase()}${d.amount.slice(1)}(items«: readonly ${d.E}[]»)«: number» {
  return items.reduce((sum, item) => sum + item.${d.amount}, 0);
}
`;
}

function mapperTemplate(d) {
  const e = lowerFirst(d.E);
  const fields = ['id', d.name, d.amount, 'currency', d.date, d.count, 'status', 'tags', 'createdAt', 'updatedAt'];
  return `// Wire format of ${d.E} records: snake_case JSON for the public API and CSV exports.
«import type { ${d.E}, ${d.E}Status } from '../domain/${e}';

export interface ${d.E}Dto {
${fields.map((f) => `  ${snake(f)}: ${f === 'tags' ? 'string[]' : [d.amount, d.count].includes(f) ? 'number' : 'string'};`).join('\n')}
}

»export const CSV_COLUMNS = [${fields.filter((f) => f !== 'tags').map((f) => q(snake(f))).join(', ')}];

export function to${d.E}Dto(${e}«: ${d.E}»)«: ${d.E}Dto» {
  return {
${fields.map((f) => `    ${snake(f)}: ${f === 'tags' ? `[...${e}.tags]` : `${e}.${f}`},`).join('\n')}
  };
}

export function from${d.E}Dto(dto«: ${d.E}Dto»)«: ${d.E}» {
  return {
${fields.map((f) => `    ${f}: ${f === 'status' ? `dto.status« as ${d.E}Status»` : f === 'tags' ? '[...dto.tags]' : `dto.${snake(f)}`},`).join('\n')}
  };
}

export function camelToSnake(key«: string»)«: string» {
  return key.replace(/[A-Z]/g, (c) => \`_\${c.toLowerCase()}\`);
}

export function snakeToCamel(key«: string»)«: string» {
  return key.replace(/_([a-z])/g, (_, c«: string») => c.toUpperCase());
}

export function renameKeys(value«: Record<string, unknown>», rename«: (key: string) => string»)«: Record<string, unknown>» {
  const out«: Record<string, unknown>» = {};
  for (const [key, v] of Object.entries(value)) out[rename(key)] = v;
  return out;
}

function escapeCsv(value«: string | number»)«: string» {
  const text = String(value);
  return /[",\\n]/.test(text) ? \`"\${text.replace(/"/g, '""')}"\` : text;
}

export function csvHeader()«: string» {
  return CSV_COLUMNS.join(',');
}

export function toCsvRow(${e}«: ${d.E}»)«: string» {
  const dto = to${d.E}Dto(${e});
  return CSV_COLUMNS.map((column) => escapeCsv((dto« as unknown as Record<string, string | number>»)[column] ?? '')).join(',');
}

export function toCsv(items«: readonly ${d.E}[]»)«: string» {
  return [csvHeader(), ...items.map(toCsvRow)].join('\\n');
}
`;
}

function constantsTemplate(d, p) {
  return `// Fixed values of ${p.svc} (${d.plural}). Change them here, nowhere else.

export const SERVICE_NAME = '${p.svc}';
export const DOMAIN = '${d.plural}';
export const API_VERSION = 'v${p.apiVersion}';

export const LIMITS = {
  defaultPageSize: ${p.pageSize},
  maxPageSize: 100,
  max${d.count[0].toUpperCase()}${d.count.slice(1)}: ${p.maxCount},
  maxTags: ${p.maxTags},
  maxNameLength: ${p.maxName},
}« as const»;

export const ERROR_CODES = {
  notFound: '${d.code}_NOT_FOUND',
  invalid: '${d.code}_INVALID',
  conflict: '${d.code}_CONFLICT',
  forbiddenTransition: '${d.code}_FORBIDDEN_TRANSITION',
  quotaExceeded: '${d.code}_QUOTA_EXCEEDED',
}« as const»;

«export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

»export const ERROR_MESSAGES«: Record<ErrorCode, string>» = {
  [ERROR_CODES.notFound]: 'No such ${lowerFirst(d.E)}',
  [ERROR_CODES.invalid]: 'The ${lowerFirst(d.E)} is not valid',
  [ERROR_CODES.conflict]: 'Another change was made first; reload and try again',
  [ERROR_CODES.forbiddenTransition]: 'That status change is not allowed',
  [ERROR_CODES.quotaExceeded]: 'The account has reached its limit',
};

export const STATUS_LABELS«: Record<string, string>» = {
${d.statuses.map((s) => `  ${key(s)}: ${q(s[0].toUpperCase() + s.slice(1).replace(/-/g, ' '))},`).join('\n')}
};

export const SUPPORTED_CURRENCIES = [${CURRENCIES.map(q).join(', ')}]« as const»;
export const DEFAULT_CURRENCY = '${p.currency}';

export const REGIONS = [
  { code: 'eu-west', label: 'Europe (West)', currency: 'EUR' },
  { code: 'eu-north', label: 'Europe (North)', currency: 'SEK' },
  { code: 'uk', label: 'United Kingdom', currency: 'GBP' },
  { code: 'us-east', label: 'United States (East)', currency: 'USD' },
]« as const»;

export const FEATURE_FLAGS = {
  bulkExport: ${p.flagA},
  softDelete: ${p.flagB},
  auditTrail: true,
}« as const»;

export function errorMessage(code«: ErrorCode»)«: string» {
  return ERROR_MESSAGES[code] ?? 'Unknown error';
}

export function regionFor(currency«: string»)«: string | undefined» {
  return REGIONS.find((r) => r.currency === currency)?.code;
}
`;
}

function collectionsTemplate() {
  return `// Small collection helpers, so call sites read as what they do.

export function groupBy«<T, K extends string | number>»(items«: readonly T[]», key«: (item: T) => K»)«: Map<K, T[]>» {
  const groups = new Map«<K, T[]>»();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function keyBy«<T>»(items«: readonly T[]», key«: (item: T) => string»)«: Record<string, T>» {
  const out«: Record<string, T>» = {};
  for (const item of items) out[key(item)] = item;
  return out;
}

export function chunk«<T>»(items«: readonly T[]», size«: number»)«: T[][]» {
  if (size < 1) throw new RangeError('chunk size must be at least 1');
  const out«: T[][]» = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function uniqueBy«<T>»(items«: readonly T[]», key«: (item: T) => unknown»)«: T[]» {
  const seen = new Set«<unknown>»();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function partition«<T>»(items«: readonly T[]», test«: (item: T) => boolean»)«: [T[], T[]]» {
  const yes«: T[]» = [];
  const no«: T[]» = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

export function sumBy«<T>»(items«: readonly T[]», value«: (item: T) => number»)«: number» {
  return items.reduce((sum, item) => sum + value(item), 0);
}

export function sortBy«<T>»(items«: readonly T[]», ...keys«: ((item: T) => string | number)[]»)«: T[]» {
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}

export function difference«<T>»(a«: readonly T[]», b«: readonly T[]»)«: T[]» {
  const other = new Set(b);
  return a.filter((item) => !other.has(item));
}

export function range(start«: number», end«: number», step = 1)«: number[]» {
  const out«: number[]» = [];
  for (let n = start; step > 0 ? n < end : n > end; n += step) out.push(n);
  return out;
}

export function zip«<A, B>»(a«: readonly A[]», b«: readonly B[]»)«: [A, B][]» {
  const length = Math.min(a.length, b.length);
  return range(0, length).map((i) => [a[i]«!», b[i]«!»]);
}
`;
}

/** [relative path without extension, template]; the model is always first. */
const BUSINESS = [
  [(d) => `src/domain/${lowerFirst(d.E)}`, modelTemplate],
  [(d) => `src/domain/${lowerFirst(d.E)}-validation`, validationTemplate],
  [() => 'src/lib/money', moneyTemplate],
  [() => 'src/lib/dates', datesTemplate],
  [(d) => `src/repositories/${lowerFirst(d.E)}-repository`, repositoryTemplate],
  [(d) => `src/mappers/${lowerFirst(d.E)}-mapper`, mapperTemplate],
  [() => 'src/constants', constantsTemplate],
  [() => 'src/lib/collections', collectionsTemplate],
];

/** TypeScript template text → 'ts' | 'esm' | 'cjs' source. */
function render(text, lang, ext) {
  if (lang === 'ts') return text.replace(/[«»]/g, '');
  let js = text.replace(/«[\s\S]*?»/g, '');
  if (lang === 'esm') {
    return js.replace(/^(import \{[^}]+\} from '(\.[^']+))';$/gm, `$1${ext}';`);
  }
  const names = [];
  js = js.replace(/^import \{([^}]+)\} from '([^']+)';$/gm, 'const {$1} = require(\'$2\');');
  js = js.replace(/^export (const|function|async function|class) (\w+)/gm, (_, kw, name) => {
    names.push(name);
    return `${kw} ${name}`;
  });
  return `'use strict';\n\n${js}\nmodule.exports = { ${names.join(', ')} };\n`;
}

// ---------------------------------------------------------------------------
// Dockerfiles

function dockerfile(variant, s) {
  const { name, port, worker } = s;
  const dir = `services/${name}`;
  const build = `pnpm --filter ${name} build`;
  switch (variant) {
    case 'legacy':
      // Like the demo api-gateway: built from its own folder, pnpm@latest, no lockfile, root.
      return `# ${name}
# Build context is this folder (see docker-compose.yml).
FROM node:20-alpine

WORKDIR /app

RUN npm install -g pnpm@latest

COPY package.json ./
RUN pnpm install

COPY . .
RUN pnpm build

ENV NODE_ENV=production
${worker ? '' : `\nEXPOSE ${port}\n`}
CMD pnpm start
`;
    case 'hardened':
      // Like the demo purchase-worker / course-service: pinned pnpm, lockfile, non-root, healthcheck.
      return `# ${name}
# Build from the repo root: docker build -f ${dir}/Dockerfile .
FROM node:22-alpine AS build

# Same pnpm as the root packageManager field.
RUN corepack enable && corepack prepare pnpm@9.12.3 --activate

WORKDIR /app

COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY ${dir}/package.json ${dir}/
RUN pnpm install --frozen-lockfile --filter ${name}

COPY ${dir} ${dir}
RUN ${build} \\
 && pnpm --filter ${name} deploy --prod /out

# ---- runtime: no package manager, no root ----
FROM node:22-alpine

RUN apk add --no-cache dumb-init

ENV NODE_ENV=production
${worker ? '' : `ENV PORT=${port}\n`}WORKDIR /app

COPY --from=build --chown=1001:1001 /out/node_modules ./node_modules
COPY --from=build --chown=1001:1001 /app/${dir}/package.json ./
COPY --from=build --chown=1001:1001 /app/${dir}/dist ./dist

USER 1001:1001
${worker ? '' : `
EXPOSE ${port}

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:' + process.env.PORT + '/health', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
`}
CMD ["dumb-init", "node", "dist/index.js"]
`;
    case 'npm-eol':
      // Like the demo notification-worker: end-of-life node, npm without a lockfile, EXPOSE on a worker.
      return `# ${name}
# Build from the repo root: docker build -f ${dir}/Dockerfile .
FROM node:18-alpine AS builder

WORKDIR /app

# Root + service manifests
COPY package*.json ./
COPY tsconfig.base.json ./
COPY ${dir}/package*.json ./${dir}/

WORKDIR /app/${dir}
RUN npm install --legacy-peer-deps

COPY ${dir}/ ./
RUN npm run build

# ---- runtime ----
FROM node:18-alpine

WORKDIR /app/${dir}

# Run as non-root
RUN addgroup -g 1001 -S nodejs && \\
    adduser -S nodejs -u 1001 -G nodejs
COPY --from=builder --chown=nodejs:nodejs /app/${dir}/node_modules ./node_modules
COPY --from=builder --chown=nodejs:nodejs /app/${dir}/dist ./dist
COPY --from=builder --chown=nodejs:nodejs /app/${dir}/package.json ./
USER nodejs

ENV NODE_ENV=production
EXPOSE ${port ?? 3000}

CMD ["node", "dist/index.js"]
`;
    default:
      // 'root-user': like the demo booking-service: good build, but root and no healthcheck.
      return `# ${name}
# Build from the repo root: docker build -f ${dir}/Dockerfile .
FROM node:22-alpine AS build

RUN corepack enable && corepack prepare pnpm@9.12.3 --activate

WORKDIR /app

COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY ${dir}/package.json ${dir}/
RUN pnpm install --frozen-lockfile --filter ${name}

COPY ${dir} ${dir}
RUN ${build}

# ---- runtime ----
FROM node:22-alpine

ENV NODE_ENV=production
WORKDIR /app/${dir}

COPY --from=build /app/${dir}/package.json ./
COPY --from=build /app/${dir}/dist ./dist
${worker ? '' : `\nEXPOSE ${port}\n`}
CMD ["node", "dist/index.js"]
`;
  }
}

const DOCKER_VARIANTS = ['legacy', 'hardened', 'npm-eol', 'root-user'];

const DOCKERIGNORE = `# Per-Dockerfile ignore file (BuildKit): the build context is the repo root.
**/node_modules
**/dist
**/.env
**/.env.*
**/*.log
.git
.github
`;

// ---------------------------------------------------------------------------
// One service

/** Everything about service i, without touching the disk. */
export function planService(i) {
  const r = prng(i + 1);
  const fixtures = codeFixtures();
  const svc = serviceName(i);
  const primary = fixtures[i % fixtures.length];
  const code = [{ fixture: primary, file: `src/index${primary.ext}` }];
  if (i % 4 === 1) {
    let k = (i * 5 + 11) % fixtures.length;
    if (fixtures[k] === primary) k = (k + 1) % fixtures.length;
    const second = fixtures[k];
    code.push({ fixture: second, file: `src/${isWorkerCode(second.text) ? 'consumer' : 'app'}${second.ext}` });
  }
  const lang = primary.ext === '.ts' || primary.ext === '.tsx' || primary.ext === '.mts' || primary.ext === '.cts' ? 'ts' : primary.ext === '.mjs' || isEsm(primary.text) ? 'esm' : 'cjs';
  const businessExt = lang === 'ts' ? '.ts' : primary.ext === '.mjs' ? '.mjs' : '.js';
  const d = DOMAINS[(i * 7 + 3) % DOMAINS.length];
  const params = {
    svc,
    currency: r.pick(CURRENCIES),
    locale: r.pick(LOCALES),
    vat: r.pick([0.2, 0.19, 0.21, 0.25, 0.077, 0.1]),
    discount: r.int(0, 15),
    defaultCount: r.int(1, 4),
    maxCount: r.int(20, 500),
    maxTags: r.int(5, 20),
    maxName: r.pick([80, 120, 160, 200]),
    pageSize: r.pick([20, 25, 50]),
    weekStart: r.int(0, 1),
    cutoff: r.int(12, 18),
    apiVersion: r.int(1, 3),
    flagA: r.next() < 0.5,
    flagB: r.next() < 0.5,
  };
  const businessCount = SOURCES_PER_SERVICE - code.length;
  const business = [BUSINESS[0]];
  for (let j = 0; business.length < businessCount; j++) business.push(BUSINESS[1 + ((i + j) % (BUSINESS.length - 1))]);
  const allCode = code.map((c) => c.fixture.text).join('\n');
  const worker = isWorkerCode(allCode);
  const deps = new Set();
  for (const c of code) for (const dep of importsOf(c.fixture.text)) deps.add(dep);
  return {
    i,
    name: svc,
    lang,
    businessExt,
    domain: d,
    params,
    code,
    business: business.map(([p, tpl]) => ({ file: `${p(d)}${businessExt}`, text: render(tpl(d, params), lang, businessExt) })),
    deps: [...deps].sort(),
    worker,
    port: worker ? null : 3000 + i,
    docker: DOCKER_VARIANTS[r.int(0, DOCKER_VARIANTS.length - 1)],
    inCompose: i % 3 === 0,
  };
}

function writeFile(root, rel, text) {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

function manifest(s) {
  const dependencies = {};
  for (const dep of s.deps) dependencies[dep] = DEP_VERSIONS[dep] ?? '^1.0.0';
  const ts = s.lang === 'ts';
  return {
    name: s.name,
    version: `1.${s.i % 10}.${s.i % 7}`,
    private: true,
    description: `${s.domain.E} ${s.worker ? 'worker' : 'service'} (${s.domain.plural})`,
    ...(s.lang === 'esm' && s.businessExt === '.js' ? { type: 'module' } : {}),
    main: 'dist/index.js',
    scripts: ts ? { build: 'tsc -p tsconfig.json', start: 'node dist/index.js' } : { build: 'rm -rf dist && cp -R src dist', start: 'node dist/index.js' },
    dependencies,
    devDependencies: ts ? { '@types/node': '^20.19.0', typescript: '^5.9.3' } : {},
  };
}

function composeEntry(s) {
  const lines = [`  ${s.name}:`];
  if (s.docker === 'legacy') lines.push('    build:', `      context: ./services/${s.name}`);
  else lines.push('    build:', '      context: .', `      dockerfile: services/${s.name}/Dockerfile`);
  if (s.port) lines.push('    ports:', `      - "${s.port}:${s.port}"`);
  lines.push('    environment:', '      <<: *common-env');
  if (s.port) lines.push(`      PORT: ${s.port}`);
  const needs = [];
  if (s.deps.some((d) => d === 'mongoose' || d === 'mongodb')) {
    needs.push('mongo');
    lines.push(`      MONGO_URI: mongodb://mongo:27017/${s.domain.plural}`);
  }
  if (s.deps.some((d) => d === 'ioredis' || d === 'redis')) {
    needs.push('redis');
    lines.push('      REDIS_URL: redis://redis:6379');
  }
  if (s.deps.some((d) => d === 'pg' || d === 'sequelize' || d === 'typeorm' || d === '@prisma/client')) {
    needs.push('postgres');
    lines.push(`      DATABASE_URL: postgres://app:app@postgres:5432/${s.domain.plural}`);
  }
  if (s.deps.includes('kafkajs')) needs.push('kafka');
  if (needs.length) lines.push('    depends_on:', ...needs.map((n) => `      - ${n}`));
  if (s.worker) lines.push('    restart: unless-stopped');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

/**
 * Writes the monorepo into dir (created; must be empty if it exists).
 * Returns counts and the source files (relative paths), in path order.
 */
export function synthesize(dir, n) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`synthesize: N must be a positive integer, got ${n}`);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0) throw new Error(`synthesize: ${dir} is not empty`);
  const services = [];
  const sourceFiles = [];
  let fixtureFiles = 0;
  let businessFiles = 0;
  for (let i = 0; i < n; i++) {
    const s = planService(i);
    services.push(s);
    const base = `services/${s.name}`;
    writeFile(dir, `${base}/package.json`, `${JSON.stringify(manifest(s), null, 2)}\n`);
    if (s.lang === 'ts') {
      writeFile(dir, `${base}/tsconfig.json`, `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { outDir: 'dist', rootDir: 'src' }, include: ['src'] }, null, 2)}\n`);
    }
    writeFile(dir, `${base}/Dockerfile`, dockerfile(s.docker, { name: s.name, port: s.port, worker: s.worker }));
    if (s.docker === 'hardened') writeFile(dir, `${base}/Dockerfile.dockerignore`, DOCKERIGNORE);
    for (const c of s.code) {
      writeFile(dir, `${base}/${c.file}`, withHeader(c.fixture.text, s.name, c.fixture.id));
      sourceFiles.push(`${base}/${c.file}`);
      fixtureFiles++;
    }
    for (const b of s.business) {
      writeFile(dir, `${base}/${b.file}`, b.text);
      sourceFiles.push(`${base}/${b.file}`);
      businessFiles++;
    }
  }

  writeFile(
    dir,
    'package.json',
    `${JSON.stringify(
      {
        name: 'bench-platform',
        version: '0.0.0',
        private: true,
        description: `Synthetic monorepo for the shipshape benchmark: ${n} services`,
        packageManager: 'pnpm@9.12.3',
        scripts: { build: "pnpm -r --filter './services/*' build" },
        devDependencies: { '@types/node': '^20.19.0', typescript: '^5.9.3' },
        engines: { node: '>=20' },
      },
      null,
      2,
    )}\n`,
  );
  writeFile(dir, 'pnpm-workspace.yaml', "packages:\n  - 'services/*'\n");
  writeFile(dir, '.gitignore', 'node_modules\ndist\n.env\n*.log\n');
  writeFile(
    dir,
    'tsconfig.base.json',
    `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', lib: ['ES2022'], types: ['node'], strict: true, esModuleInterop: true, skipLibCheck: true } }, null, 2)}\n`,
  );
  // A lockfile stub: the importers, not the resolved packages.
  const lock = ["lockfileVersion: '9.0'", '', 'settings:', '  autoInstallPeers: true', '  excludeLinksFromLockfile: false', '', 'importers:', '', '  .:', '    devDependencies:', "      '@types/node':", '        specifier: ^20.19.0', '        version: 20.19.24', '      typescript:', '        specifier: ^5.9.3', '        version: 5.9.3', ''];
  for (const s of services) {
    lock.push(`  services/${s.name}:`);
    if (s.deps.length) {
      lock.push('    dependencies:');
      for (const dep of s.deps) {
        const spec = DEP_VERSIONS[dep] ?? '^1.0.0';
        lock.push(`      ${dep.startsWith('@') ? `'${dep}'` : dep}:`, `        specifier: ${spec}`, `        version: ${spec.replace(/^\^/, '')}`);
      }
    } else lock.push('    {}');
    lock.push('');
  }
  lock.push('packages: {}', '', 'snapshots: {}', '');
  writeFile(dir, 'pnpm-lock.yaml', lock.join('\n'));

  const compose = [
    '# Local stack: `docker compose up --build` (a subset of the services).',
    '',
    'x-common-env: &common-env',
    '  NODE_ENV: production',
    '  KAFKA_BROKERS: kafka:9092',
    '',
    'services:',
    '  mongo:',
    '    image: mongo:7',
    '    volumes:',
    '      - mongo-data:/data/db',
    '',
    '  redis:',
    '    image: redis:7-alpine',
    '',
    '  postgres:',
    '    image: postgres:16-alpine',
    '    environment:',
    '      POSTGRES_USER: app',
    '      POSTGRES_PASSWORD: app',
    '    healthcheck:',
    '      test: ["CMD-SHELL", "pg_isready -U app"]',
    '      interval: 10s',
    '      timeout: 5s',
    '      retries: 5',
    '',
    '  kafka:',
    '    image: bitnami/kafka:3.7',
    '    environment:',
    '      KAFKA_CFG_NODE_ID: 0',
    '      KAFKA_CFG_PROCESS_ROLES: controller,broker',
    '      KAFKA_CFG_LISTENERS: PLAINTEXT://:9092,CONTROLLER://:9093',
    '      KAFKA_CFG_CONTROLLER_QUORUM_VOTERS: 0@kafka:9093',
    '      KAFKA_CFG_CONTROLLER_LISTENER_NAMES: CONTROLLER',
    '',
  ];
  const composed = services.filter((s) => s.inCompose);
  for (const s of composed) compose.push(composeEntry(s), '');
  compose.push('volumes:', '  mongo-data:', '');
  writeFile(dir, 'docker-compose.yml', compose.join('\n'));

  const dockerfiles = services.length;
  return {
    services: services.length,
    sourceFiles,
    counts: {
      sourceFiles: sourceFiles.length,
      fixtureFiles,
      businessFiles,
      dockerfiles,
      dockerignores: services.filter((s) => s.docker === 'hardened').length,
      composeServices: composed.length,
      workers: services.filter((s) => s.worker).length,
      byLanguage: { ts: services.filter((s) => s.lang === 'ts').length, esm: services.filter((s) => s.lang === 'esm').length, cjs: services.filter((s) => s.lang === 'cjs').length },
      distinctFixtures: new Set(services.flatMap((s) => s.code.map((c) => c.fixture.id))).size,
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [dir, nArg] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node bench/synth.mjs DIR [N=500]\n');
    process.exit(2);
  }
  const n = Number(nArg ?? 500);
  const out = synthesize(path.resolve(dir), n);
  process.stdout.write(`${JSON.stringify({ dir: path.resolve(dir), services: out.services, ...out.counts }, null, 2)}\n`);
}
