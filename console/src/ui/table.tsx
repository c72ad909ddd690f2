import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';

export interface Column<Row> {
  key: string;
  label: string;
  render(row: Row): ComponentChildren;
  /** The value a sort by this column compares; absent: the column does not sort. */
  sort?(row: Row): string | number | null;
  numeric?: boolean;
}

/**
 * A table whose sortable headers are buttons (keyboard reachable, `aria-sort` told); wide tables
 * scroll sideways inside a focusable region on a narrow screen.
 */
export function Table<Row>(props: { caption: string; columns: Column<Row>[]; rows: readonly Row[]; rowKey(row: Row): string; empty?: ComponentChildren; initialSort?: { key: string; descending?: boolean } }): JSX.Element {
  const [sort, setSort] = useState<{ key: string; descending: boolean } | null>(props.initialSort === undefined ? null : { key: props.initialSort.key, descending: props.initialSort.descending === true });
  const column = props.columns.find((c) => c.key === sort?.key);
  const rows = column?.sort === undefined ? props.rows : [...props.rows].sort((a, b) => compare(column.sort!(a), column.sort!(b)) * (sort!.descending ? -1 : 1));
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.caption}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.key} scope="col" class={c.numeric === true ? 'num' : ''} aria-sort={sort?.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                {c.sort === undefined ? (
                  c.label
                ) : (
                  <button type="button" class="sort" onClick={() => setSort({ key: c.key, descending: sort?.key === c.key ? !sort.descending : false })}>
                    {c.label}
                    <span aria-hidden="true">{sort?.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((c) => (
                  <td key={c.key} class={c.numeric === true ? 'num' : ''} data-label={c.label}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}
