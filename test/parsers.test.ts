// The syntax check of files no rule reads must accept and reject exactly what
// jscodeshift's parsers do: SYNTAX_OPTIONS are jscodeshift's own options for
// each parser, without the token list.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkSyntax, ParseError, SYNTAX_OPTIONS } from '../src/engine/parsers.js';
import type { CodeParser } from '../src/engine/types.js';

const require = createRequire(import.meta.url);
const babel = require('@babel/parser') as { parse: (code: string, options: unknown) => unknown };
const getParser = require('jscodeshift/src/getParser.js') as (name: CodeParser) => { parse(text: string): unknown };

/** What jscodeshift hands to babel for one parser. */
function jscodeshiftOptions(name: CodeParser): unknown {
  const original = babel.parse;
  let seen: unknown;
  babel.parse = (code, options) => {
    seen = options;
    return original(code, options);
  };
  try {
    getParser(name).parse('x;');
  } finally {
    babel.parse = original;
  }
  return seen;
}

describe('syntax check options', () => {
  for (const name of ['ts', 'tsx', 'babylon'] as const)
    it(`${name}: jscodeshift's options, tokens off`, () => {
      expect({ ...SYNTAX_OPTIONS[name], tokens: true }).toEqual(jscodeshiftOptions(name));
      expect(SYNTAX_OPTIONS[name].tokens).toBe(false);
    });

  it('accepts and rejects per parser as jscodeshift does (flow in .js, JSX only in .tsx, TS only in .ts)', () => {
    const ok = (file: string, text: string) => {
      try {
        checkSyntax('code', file, text);
        return true;
      } catch (err) {
        if (err instanceof ParseError) return false;
        throw err;
      }
    };
    expect(ok('a.js', 'function f(x: number): string { return <b>{x}</b>; }')).toBe(true);
    expect(ok('a.ts', 'const x = <T,>(y: T) => y;')).toBe(true);
    expect(ok('a.ts', 'const el = <div />;')).toBe(false);
    expect(ok('a.tsx', 'const el = <div />;')).toBe(true);
    expect(ok('a.js', 'const = 1;')).toBe(false);
  });
});
