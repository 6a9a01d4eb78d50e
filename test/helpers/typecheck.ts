/** Type-checks a fixture written at test time (so its declarations stay out of the repository's own check). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Writes `fixture` as `dir/name`, compiles it strictly and returns, for each error, the marker
 * (`LINE:<name>`) on its line, or `other: <message>` for an error on an unmarked line; sorted.
 */
export function errorMarkers(dir: string, name: string, fixture: string): string[] {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, fixture);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    jsx: ts.JsxEmit.ReactJSX,
    skipLibCheck: true,
    types: ['node'],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  const source = program.getSourceFile(file)!;
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => {
      const line = d.file === source ? source.getLineAndCharacterOfPosition(d.start!).line : -1;
      return /LINE:([\w-]+)/.exec(fixture.split('\n')[line] ?? '')?.[1] ?? `other: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    })
    .sort();
}
