// Every fixed TypeScript fixture must still type-check against the real type
// packages (@types/node, express, kafkajs, mongodb, mongoose, ioredis).
// One program for all outputs keeps this to a single compiler run.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { FIXTURES, listFixtureTransformIds } from './helpers/fixtures.js';

const outputs = listFixtureTransformIds().flatMap((id) =>
  fs
    .readdirSync(path.join(FIXTURES, id))
    .flatMap((c) => ['output.ts', 'output.tsx'].map((f) => path.join(FIXTURES, id, c, f)))
    .filter((f) => fs.existsSync(f)),
);

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  esModuleInterop: true,
  jsx: ts.JsxEmit.Preserve,
  types: ['node'],
  typeRoots: [path.join(FIXTURES, '..', 'node_modules', '@types')],
};

/** Relative imports point at sibling modules a fixture does not ship. */
function relevant(d: ts.Diagnostic): boolean {
  if (d.code !== 2307) return true;
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  return !/Cannot find module '\.\.?\//.test(text);
}

describe('fixed TypeScript fixtures type-check', () => {
  const program = outputs.length ? ts.createProgram(outputs, options) : null;
  for (const file of outputs) {
    it(path.relative(FIXTURES, file), () => {
      const sf = program!.getSourceFile(file)!;
      const diags = [...program!.getSyntacticDiagnostics(sf), ...program!.getSemanticDiagnostics(sf)].filter(relevant);
      const text = diags.map((d) => {
        const pos = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        return `${pos.line + 1}:${pos.character + 1} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      expect(text).toEqual([]);
    });
  }
});
