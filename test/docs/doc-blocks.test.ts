import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparableLines, consoleBlocks, documentFiles, exampleMarkers, fences, maskVarying, outputMatches, readRepoFile, REPO_ROOT } from '../support/doc-blocks.js';

const match = (expected: string, actual: string): boolean => outputMatches(comparableLines(expected), comparableLines(actual));

describe('console blocks are read as a shell reads them', () => {
  const doc = [
    'Intro',
    '```console',
    '$ export A=1',
    '$ curl -s localhost:7420 \\',
    '    -d \'{"a":1}\'',
    '{"ok":true}',
    '$ curl -d \'{"memories":[',
    '{"id":"x"}]}\'',
    '201',
    "$ cat > f.jsonl <<'EOF'",
    '{"$ not a command":1}',
    'EOF',
    '$ memspace serve > server.log &',
    'listening',
    '$ a && b',
    '```',
    '```sh',
    '$ not run',
    '```',
  ].join('\n');

  it('cuts commands, continuation lines, open quotes, here-documents and outputs', () => {
    const [block, ...rest] = consoleBlocks(doc, 'doc.md');
    expect(rest).toEqual([]);
    expect(block!.commands.map((c) => [c.text, c.expected, c.line, c.background])).toEqual([
      ['export A=1', [], 3, false],
      ['curl -s localhost:7420 \\\n    -d \'{"a":1}\'', ['{"ok":true}'], 4, false],
      ['curl -d \'{"memories":[\n{"id":"x"}]}\'', ['201'], 7, false],
      ["cat > f.jsonl <<'EOF'\n{\"$ not a command\":1}\nEOF", [], 10, false],
      ['memspace serve > server.log &', ['listening'], 13, true],
      ['a && b', [], 15, false],
    ]);
  });

  it('refuses output before the first command', () => {
    expect(() => consoleBlocks('```console\nhello\n$ x\n```', 'doc.md')).toThrow(/doc\.md:2/);
  });

  it('finds fences indented in lists, with the line before them', () => {
    const found = fences('- item\n\n  <!-- example: examples/a.ts -->\n  ```ts\n  const a = 1;\n  ```\n');
    expect(found).toEqual([{ lang: 'ts', line: 4, body: ['const a = 1;'], before: '<!-- example: examples/a.ts -->' }]);
  });

  it('pairs example and output markers with their blocks, and reports TypeScript without one', () => {
    const found = exampleMarkers('<!-- example: examples/a.ts -->\n```ts\nx\n```\n<!-- output: examples/a.ts -->\n```text\n1\n```\n```ts\ny\n```\n', 'd.md');
    expect(found.shown).toEqual([{ file: 'd.md', example: 'examples/a.ts', line: 2, body: 'x\n' }]);
    expect(found.outputs).toEqual([{ file: 'd.md', example: 'examples/a.ts', line: 6, lines: ['1'] }]);
    expect(found.unmarkedTypeScript).toEqual([9]);
  });
});

describe('output is compared exactly, apart from masks and elisions', () => {
  it('masks ids, keys, times', () => {
    expect(maskVarying('01a20830-4e04-7004-b772-0456c2819cf3 key_01a2086e39ac7006bdc8ec74025b5363 msk_i1sB-k_x 2026-11-23T11:35:16.783Z')).toBe(
      '<uuid> key_<id> msk_<secret> <time>',
    );
    expect(match('id 01a20830-4e04-7004-b772-0456c2819cf3', 'id 01a24a8a-de53-7007-b971-98fa662ad9b6')).toBe(true);
  });

  it('tells a different word, a missing line and an extra line apart from a match', () => {
    expect(match('created space work', 'created space work\n')).toBe(true);
    expect(match('created space work', 'created space home')).toBe(false);
    expect(match('a\nb', 'a')).toBe(false);
    expect(match('a', 'a\nb')).toBe(false);
    expect(match('0.507', '0.508')).toBe(false);
  });

  it('lets ... stand for characters within a line, or for lines', () => {
    expect(match('{"a":1,...,"z":2}', '{"a":1,"b":[1,2],"z":2}')).toBe(true);
    expect(match('{"a":1,...,"z":2}', '{"a":1,"b":[1,2],"z":3}')).toBe(false);
    expect(match('first\n...\nlast', 'first\nx\ny\nlast')).toBe(true);
    expect(match('first\n...\nlast', 'first\nlast')).toBe(true);
    expect(match('first\n...\nlast', 'first\nx')).toBe(false);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) out.add(slug(heading[1]!));
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('the documentation stands on its own', () => {
  it('keeps the README short', () => {
    expect(readRepoFile('README.md').split('\n').length).toBeLessThanOrEqual(251); // 250 lines and the final newline
  });

  it('keeps the two set-up commands of the README', () => {
    const readme = readRepoFile('README.md');
    expect(readme).toContain('npm ci && ./bin/memspace serve');
    expect(readme).toContain('npm ci && npm test');
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of documentFiles()) {
      const text = readRepoFile(file);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = path === '' ? join(REPO_ROOT, file) : join(REPO_ROOT, dirname(file), path);
        if (!existsSync(resolved)) broken.push(`${file}: ${target}`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('points nowhere outside the repository for its design notes', () => {
    const files = [
      ...documentFiles().map((f) => join(REPO_ROOT, f)),
      ...['src', 'test', 'examples', 'bench', 'scripts'].flatMap((dir) => walk(join(REPO_ROOT, dir))),
      join(REPO_ROOT, 'eslint.config.js'),
      join(REPO_ROOT, 'package.json'),
    ].filter((f) => /\.(md|ts|js|json)$/.test(f) && !f.includes(`${join('bench', 'out')}`));
    const outside = files.filter((f) => /\.\.\/shared\b|\/work\/shared\b/.test(readFileSync(f, 'utf8')));
    expect(outside.map((f) => relative(REPO_ROOT, f))).toEqual([]);
  });
});
