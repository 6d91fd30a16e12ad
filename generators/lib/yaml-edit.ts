// Small helpers for editing a YAML file through the `yaml` Document API so
// that everything the generator does not touch keeps its bytes: the file's
// own indentation is detected and handed back to the printer.
import { parse, Scalar, type Document, type ToStringOptions } from 'yaml';
import { ParseError, parseYaml } from '../../src/engine/parsers.js';

/** Indentation of the first nested mapping key, and whether `- ` items sit deeper than their parent key. */
export function printOptions(text: string): ToStringOptions {
  const lines = text.split('\n');
  let indent = 2;
  let indentSeq = true;
  let seenIndent = false;
  let seenSeq = false;
  for (let i = 1; i < lines.length && !(seenIndent && seenSeq); i++) {
    const prev = lines[i - 1]!;
    const line = lines[i]!;
    const parent = /^(\s*)[^\s#-][^#]*:\s*(#.*)?$/.exec(prev);
    if (!parent) continue;
    const own = /^(\s*)(- )?/.exec(line)!;
    const depth = own[1]!.length - parent[1]!.length;
    if (own[2] && !seenSeq) {
      indentSeq = depth > 0;
      seenSeq = true;
    } else if (!own[2] && depth > 0 && line.trim() !== '' && !seenIndent) {
      indent = depth;
      seenIndent = true;
    }
  }
  return { lineWidth: 0, flowCollectionPadding: false, indent, indentSeq };
}

/** Parses a YAML file for editing; a file that does not parse is an error naming it and the line. */
export function editable(file: string, text: string): Document {
  const doc = parseYaml(text, { keepSourceTokens: true });
  const first = doc.errors[0];
  if (first) throw new ParseError(`${file}:${first.linePos?.[0]?.line ?? 1}: ${first.message.split('\n')[0]}`, first.linePos?.[0]?.line ?? 1);
  return doc;
}

export function print(doc: Document, original: string): string {
  return doc.toString(printOptions(original));
}

/**
 * Plain scalars that YAML 1.1 readers (PyYAML, docker-compose v1) take as a
 * boolean or an integer while YAML 1.2 reads a string: y/n/yes/no/on/off,
 * binary, leading-zero octal, sexagesimal and underscored integers.
 */
const YAML11_TYPED = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?[0-9][0-9_]*_[0-9_]*)$/;

/**
 * A string scalar that every reader takes back as that same string: quoted
 * when a plain one would read as something else under YAML 1.2 (`true`,
 * `null`, `1e3`) or 1.1 (`no`, `on`), plain like its neighbours otherwise.
 */
export function stringScalar(value: string): Scalar<string> {
  const scalar = new Scalar(value);
  let same: boolean;
  try {
    same = parse(value) === value && !YAML11_TYPED.test(value);
  } catch {
    same = false;
  }
  if (!same) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}
