// Handlebars helpers for the generator templates. A value from the user never
// reaches a template raw: TypeScript gets `{{{js x}}}` (a single-quoted string
// literal, number or array of them, escaped from JSON.stringify's output),
// JSON files get `{{{json x}}}`, and paths, names and versions in Dockerfiles
// and READMEs get `{{word x}}`, which refuses anything but plain path
// characters. Validation already rejects quotes, `${}` and `{{`; these helpers
// make sure even a valid value is emitted as a literal, never as code.

/** Characters a path, package name, image reference or version may hold. */
const WORD = /^[A-Za-z0-9._@/:+-]+$/;

export class TemplateValueError extends Error {}

/** `{{{json value}}}` or `{{{json value 1}}}`: JSON text; with a level, pretty-printed and indented to that depth (2 spaces each). */
export function json(value: unknown, ...rest: unknown[]): string {
  const level = typeof rest[0] === 'number' ? rest[0] : null;
  if (value === undefined) throw new TemplateValueError('json: value is undefined (a template field is missing)');
  // U+2028/2029 are legal in JSON but end a line in older JS parsers.
  const text = (level === null ? JSON.stringify(value) : JSON.stringify(value, null, 2)).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return level === null ? text : text.split('\n').join(`\n${'  '.repeat(level)}`);
}

/** `{{{js value}}}`: a JS/TS literal in the house style (single quotes) for a string, number, or array of them. */
export function js(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => js(v)).join(', ')}]`;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new TemplateValueError(`js: ${JSON.stringify(value) ?? String(value)} is not a string, number or array`);
  // JSON escapes every `"` as `\"` and every backslash as `\\`: un-escape the quotes, escape the apostrophes.
  const body = json(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${body}'`;
}

/** `{{word value}}`: the value itself, but only when it is plain path/name/version text. */
export function word(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !WORD.test(text)) throw new TemplateValueError(`word: ${JSON.stringify(value)} is not a plain name, path or version`);
  return text;
}

export const helpers = { js, json, word };
