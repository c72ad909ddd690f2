import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** README.md and every `docs/*.md`, as paths relative to the repository root, README first. */
export function documentFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** A fenced code block of a Markdown document. */
export interface Fence {
  /** The info string's first word: `console`, `sh`, `ts`, `json`, ... (empty when none). */
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The lines between the fences, with the fence's indentation removed. */
  body: string[];
  /** The last non-blank line before the opening fence (where marker comments go). */
  before: string;
}

/** Every fenced block of `markdown`, in document order (indented fences in lists included). */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    let before = '';
    for (let k = i - 1; k >= 0; k--) {
      if (lines[k]!.trim() !== '') {
        before = lines[k]!.trim();
        break;
      }
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    out.push({ lang, line: i + 1, body, before });
    i = j;
  }
  return out;
}

/** One command of a console block and the output the document shows for it. */
export interface ConsoleCommand {
  /** The command as a shell reads it: continuation lines and here-documents included. */
  text: string;
  /** Lines shown after the command, up to the next command. */
  expected: string[];
  /** 1-based line of the command in the document. */
  line: number;
  /** Ends in a single `&`: started in the background, its output waited for. */
  background: boolean;
}

/** A ```console block, cut into commands. */
export interface ConsoleBlock {
  line: number;
  commands: ConsoleCommand[];
}

/** True when `text` ends inside a quoted string of the shell (a command continued on the next line). */
function insideQuotes(text: string): boolean {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === undefined) {
      if (c === '\\') i++;
      else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
        while (i < text.length && text[i] !== '\n') i++; // a comment
      } else if (c === "'" || c === '"') quote = c;
    } else if (quote === '"' && c === '\\') i++;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}

/**
 * The ```console blocks of a document. A command starts with `$ `; a line ending in `\` or
 * inside a quoted string continues it, and a here-document (`<<'EOF'`) runs to its terminator.
 * Every other line is output of the command before it.
 */
export function consoleBlocks(markdown: string, file: string): ConsoleBlock[] {
  return fences(markdown)
    .filter((f) => f.lang === 'console')
    .map((f) => {
      const commands: ConsoleCommand[] = [];
      for (let i = 0; i < f.body.length; i++) {
        const line = f.body[i]!;
        if (!line.startsWith('$ ')) {
          const current = commands.at(-1);
          if (current === undefined) throw new Error(`${file}:${f.line + 1 + i}: a console block must start with a "$ " command`);
          current.expected.push(line);
          continue;
        }
        const parts = [line.slice(2)];
        const heredoc = /<<-?\s*(['"]?)(\w+)\1/.exec(line);
        while ((parts.at(-1)!.endsWith('\\') || insideQuotes(parts.join('\n'))) && i + 1 < f.body.length) parts.push(f.body[++i]!);
        if (heredoc) {
          while (i + 1 < f.body.length) {
            const next = f.body[++i]!;
            parts.push(next);
            if (next.trim() === heredoc[2]) break;
          }
        }
        const text = parts.join('\n');
        commands.push({ text, expected: [], line: f.line + 1 + (i - parts.length + 1), background: /[^&]&\s*(#.*)?$/.test(text) && !/&&\s*$/.test(text) });
      }
      return { line: f.line, commands };
    });
}

/** An `examples/*.ts` file shown in a document: `<!-- example: examples/x.ts -->` right before a code block. */
export interface ExampleShown {
  file: string;
  example: string;
  line: number;
  body: string;
}

/** Printed output shown for an example: `<!-- output: examples/x.ts -->` right before a ```text block. */
export interface ExampleOutput {
  file: string;
  example: string;
  line: number;
  lines: string[];
}

/** The example files and example outputs a document shows. */
export function exampleMarkers(markdown: string, file: string): { shown: ExampleShown[]; outputs: ExampleOutput[]; unmarkedTypeScript: number[] } {
  const shown: ExampleShown[] = [];
  const outputs: ExampleOutput[] = [];
  const unmarkedTypeScript: number[] = [];
  for (const f of fences(markdown)) {
    const example = /^<!--\s*example:\s*(\S+)\s*-->$/.exec(f.before)?.[1];
    const output = /^<!--\s*output:\s*(\S+)\s*-->$/.exec(f.before)?.[1];
    if (example !== undefined) shown.push({ file, example, line: f.line, body: `${f.body.join('\n')}\n` });
    else if (output !== undefined) outputs.push({ file, example: output, line: f.line, lines: f.body });
    else if (['ts', 'typescript', 'js', 'javascript', 'tsx', 'mjs'].includes(f.lang)) unmarkedTypeScript.push(f.line);
  }
  return { shown, outputs, unmarkedTypeScript };
}

/**
 * Replaces what legitimately differs from run to run with placeholders: UUIDs (memory, request
 * and relation ids), API keys (`msk_…`), key and share ids (`key_…`, `shr_…`) and ISO-8601 times. Applied to the
 * document's text and to the actual output alike; values of equal length keep tables aligned.
 */
export function maskVarying(text: string): string {
  return text
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/\bkey_[0-9a-f]{32}\b/g, 'key_<id>')
    .replace(/\bshr_[0-9a-f]{32}\b/g, 'shr_<id>')
    .replace(/\bmsk_[A-Za-z0-9_-]+/g, 'msk_<secret>')
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})/g, '<time>');
}

/** Lines of a command's output as compared: masked, without trailing blank lines. */
export function comparableLines(text: string | readonly string[]): string[] {
  const lines = (typeof text === 'string' ? text.split('\n') : [...text]).map((l) => maskVarying(l.replace(/\r$/, '')).trimEnd());
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** True when `line` is an elision of whole lines. */
function isLineElision(line: string): boolean {
  return line.trim() === '...';
}

/** One expected line against one actual line; `...` inside a line stands for any run of characters. */
function lineMatches(expected: string, actual: string): boolean {
  if (!expected.includes('...')) return expected === actual;
  const pattern = expected
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${pattern}$`).test(actual);
}

/**
 * Whether `actual` is what `expected` shows: line by line, where a line `...` stands for any
 * number of lines (none included) and `...` inside a line for any characters. Both sides are
 * expected to have gone through {@link comparableLines}.
 */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === expected.length) result = j === actual.length;
    else if (isLineElision(expected[i]!)) {
      result = false;
      for (let k = j; k <= actual.length && !result; k++) result = go(i + 1, k);
    } else result = j < actual.length && lineMatches(expected[i]!, actual[j]!) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** The text of a repository file. */
export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}
