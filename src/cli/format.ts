/** Something text can be written to: a stream, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Formats rows as an aligned text table with a header; long cells are cut with an ellipsis. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[], maxWidth = 60): string {
  const cells = rows.map((row) => row.map((cell) => clip(cell === null || cell === undefined ? '' : String(cell), maxWidth)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines, keys aligned. */
export function fields(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n') + '\n';
}

/** The line after a listing that has more pages: how to ask for the next one. */
export function nextPageHint(nextCursor: string | null): string {
  return nextCursor ? `next page: --cursor ${nextCursor}\n` : '';
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * A progress bar on a terminal, redrawn at most every 100 ms; silent when `sink` is not a
 * terminal, so scripts and pipes get clean output.
 */
export function progressBar(sink: TextSink, label: string): { update(done: number, total: number | null): void; done(): void } {
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number | null): void => {
    const width = 30;
    const bar =
      total === null || total === 0
        ? ''
        : `[${'#'.repeat(Math.round((done / total) * width)).padEnd(width, '.')}] `;
    sink.write(`\r${label} ${bar}${done}${total === null ? '' : `/${total}`}`);
    drawn = true;
  };
  return {
    update(done, total) {
      if (sink.isTTY !== true) return;
      const now = Date.now();
      if (now - last < 100 && done !== total) return;
      last = now;
      draw(done, total);
    },
    done() {
      if (drawn) sink.write('\n');
    },
  };
}
