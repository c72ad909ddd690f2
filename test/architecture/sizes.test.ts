import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
/** The web console's sources, held to the same sizes. */
const CONSOLE = resolve(import.meta.dirname, '../../console/src');
/** A file longer than this does more than one job (docs/architecture.md, "Rules"). */
const MAX_FILE_LINES = 400;
/** A function longer than this wants named steps, unless it is a declarative table. */
const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    // Generated code (the WebAssembly kernel's bytes) is data, not code anyone reads.
    return /\.tsx?$/.test(name) && !name.endsWith('.generated.ts') ? [path] : [];
  });
}

/**
 * A declarative table: a function whose body only names a few values and returns an array
 * literal (the route and tool tables). Its length is the number of rows, not of steps.
 */
function isTable(body: ts.ConciseBody): boolean {
  if (!ts.isBlock(body)) return ts.isArrayLiteralExpression(body);
  const last = body.statements.at(-1);
  return (
    last !== undefined &&
    ts.isReturnStatement(last) &&
    last.expression !== undefined &&
    ts.isArrayLiteralExpression(last.expression) &&
    body.statements.slice(0, -1).every((s) => ts.isVariableStatement(s))
  );
}

/** Every function of `file` longer than the limit, as `file:line name (n lines)`. */
function longFunctions(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const body = node.body as ts.ConciseBody;
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = source.getLineAndCharacterOfPosition(node.end).line - start + 1;
      if (lines > MAX_FUNCTION_LINES && !isTable(body)) {
        const name = node.name?.getText(source) ?? '(anonymous)';
        found.push(`${relative(SRC, file)}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('sizes that keep the code readable', () => {
  const files = [...sourceFiles(), ...sourceFiles(CONSOLE)];

  it('finds the files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    const long = files.map((f) => [relative(SRC, f), lineCount(readFileSync(f, 'utf8'))] as const).filter(([, n]) => n > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines, declarative tables aside`, () => {
    expect(files.flatMap(longFunctions)).toEqual([]);
  });

  it('tells a table from a long function', () => {
    const parse = (code: string): ts.ConciseBody => {
      const fn = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true).statements[0] as ts.FunctionDeclaration;
      return fn.body!;
    };
    expect(isTable(parse('function f() { const a = 1; return [{ a }, { a }]; }'))).toBe(true);
    expect(isTable(parse('function f() { if (x) y(); return [1]; }'))).toBe(false);
    expect(isTable(parse('function f() { return g(); }'))).toBe(false);
  });
});
