/**
 * Sections of bench/RESULTS.md written by scripts other than `run.ts` (`compare.ts`,
 * `ann-ef.ts`, `soak.ts`), each between `<!-- NAME:start -->` and `<!-- NAME:end -->`: `run.ts`
 * regenerates the rest of the file and keeps them.
 */
import { readFile, writeFile } from 'node:fs/promises';

const markers = (name: string): [string, string] => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
const SECTION = /<!-- ([a-z0-9-]+):start -->[\s\S]*?<!-- \1:end -->/g;

/** Every kept section of `text`, markers included, in order. */
export function keptSections(text: string): string[] {
  return [...text.matchAll(SECTION)].map((m) => m[0]);
}

/** Writes `section` as the kept section `name` of `file`, replacing the one there or appending it. */
export async function writeKeptSection(file: string, name: string, section: string): Promise<void> {
  const [start, end] = markers(name);
  const current = await readFile(file, 'utf8').catch(() => '');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const block = `${start}\n${section.trim()}\n${end}`;
  const next = from >= 0 && to > from ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}
