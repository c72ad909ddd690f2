import type { JSX } from 'preact';

/** A run of a diff: kept, added (only in the newer text) or removed (only in the older one). */
export interface DiffPart {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** Beyond this many token pairs the diff table would be too big for a page: the texts are shown whole, one removed, one added. */
const MAX_CELLS = 4_000_000;

/**
 * The differences between two token lists, by their longest common subsequence (the classic
 * table, walked back from the end). Plenty for a memory's content; larger texts fall back to a
 * whole replacement rather than stall the page.
 */
export function diffTokens(before: readonly string[], after: readonly string[]): DiffPart[] {
  // Common head and tail first: an edit usually touches a little in the middle, so the table stays small.
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  const middle = a.length * b.length > MAX_CELLS ? [...a.map((text) => ({ op: 'del' as const, text })), ...b.map((text) => ({ op: 'add' as const, text }))] : lcsDiff(a, b);
  const parts: DiffPart[] = [...before.slice(0, head).map((text) => ({ op: 'same' as const, text })), ...middle, ...before.slice(before.length - tail).map((text) => ({ op: 'same' as const, text }))];
  return merge(parts);
}

function lcsDiff(a: readonly string[], b: readonly string[]): DiffPart[] {
  const width = b.length + 1;
  // lengths[i * width + j]: the longest common subsequence of a[i..] and b[j..].
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const parts: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      parts.push({ op: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) parts.push({ op: 'del', text: a[i++]! });
    else parts.push({ op: 'add', text: b[j++]! });
  }
  while (i < a.length) parts.push({ op: 'del', text: a[i++]! });
  while (j < b.length) parts.push({ op: 'add', text: b[j++]! });
  return parts;
}

/** Joins neighbouring runs of one kind, so the page shows `<del>two words</del>`, not one element per word. */
function merge(parts: DiffPart[]): DiffPart[] {
  const merged: DiffPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.op === part.op) last.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}

/** Words and the whitespace between them, as separate tokens: a word diff that keeps the text's spacing. */
export function wordTokens(text: string): string[] {
  return text.split(/(\s+)/).filter((t) => t !== '');
}

/** Lines with their line ends, for a line diff. */
export function lineTokens(text: string): string[] {
  return text.split(/(?<=\n)/).filter((t) => t !== '');
}

/**
 * A word diff as running text: removals in `<del>`, additions in `<ins>`, each also marked in
 * words for screen readers and by strike-through / underline for the eye, so colour is never the
 * only sign.
 */
export function WordDiff(props: { before: string; after: string }): JSX.Element {
  const parts = diffTokens(wordTokens(props.before), wordTokens(props.after));
  if (parts.every((p) => p.op === 'same')) return <p class="muted">The content is the same in both versions.</p>;
  return (
    <div class="memory-diff" data-testid="content-diff">
      {parts.map((part, i) =>
        part.op === 'same' ? (
          <span key={i}>{part.text}</span>
        ) : part.op === 'add' ? (
          <ins key={i}>
            <span class="sr-only">[added: </span>
            {part.text}
            <span class="sr-only">]</span>
          </ins>
        ) : (
          <del key={i}>
            <span class="sr-only">[removed: </span>
            {part.text}
            <span class="sr-only">]</span>
          </del>
        ),
      )}
    </div>
  );
}

/** A line diff of two texts (metadata as pretty JSON), each line led by `+`, `-` or a space as in a unified diff. */
export function LineDiff(props: { before: string; after: string; label: string }): JSX.Element {
  const parts = diffTokens(lineTokens(props.before), lineTokens(props.after));
  if (parts.every((p) => p.op === 'same')) return <p class="muted">The {props.label} is the same in both versions.</p>;
  const lines = parts.flatMap((part) => part.text.split(/(?<=\n)/).filter((l) => l !== '').map((line) => ({ op: part.op, line: line.replace(/\n$/, '') })));
  return (
    <pre class="memory-linediff">
      {lines.map((l, i) =>
        l.op === 'same' ? (
          <span key={i}>{`  ${l.line}\n`}</span>
        ) : l.op === 'add' ? (
          <ins key={i}>{`+ ${l.line}\n`}</ins>
        ) : (
          <del key={i}>{`- ${l.line}\n`}</del>
        ),
      )}
    </pre>
  );
}
