import type { JSX } from 'preact';
import { api, spacePath } from '../api.js';
import { BASE, onLinkClick } from '../router.js';
import { ErrorNote, Link, Loading } from '../ui/components.js';
import type { Loaded } from '../ui/load.js';
import { formatTime } from '../ui/format.js';
import { Table } from '../ui/table.js';
import { memoryPath, truncate, type Memory, type MemoryPage, type Relation } from './memory-model.js';

/** A memory's relations and, for their labels, the memories at their other end. */
export interface Neighbourhood {
  relations: Relation[];
  /** By id; a neighbour missing here is gone or expired: it is shown by its id. */
  neighbours: Record<string, Memory>;
}

/** The graph draws this many neighbours at most; the table below lists every relation. */
const MAX_DRAWN = 12;

/**
 * Loads the relations, then every neighbour in one listing (`id in [...]`) rather than one call
 * per neighbour. The neighbours only label the graph: if that call fails the ids stand in.
 */
export async function loadNeighbourhood(space: string, id: string, signal: AbortSignal): Promise<Neighbourhood> {
  const { relations } = await api<{ relations: Relation[] }>('GET', spacePath(space, `/memories/${encodeURIComponent(id)}/relations`), { signal, query: { direction: 'both' } });
  const others = [...new Set(relations.slice(0, 100).map((r) => (r.from === id ? r.to : r.from)).filter((other) => other !== id))].slice(0, 100);
  const neighbours: Record<string, Memory> = {};
  if (others.length > 0) {
    const filter = JSON.stringify({ id: { in: others } });
    const page = await api<MemoryPage>('GET', spacePath(space, '/memories'), { signal, query: { filter, limit: others.length, includeSuperseded: true } }).catch(() => ({ items: [], nextCursor: null }));
    for (const m of page.items) neighbours[m.id] = m;
  }
  return { relations, neighbours };
}

/** The relations section: a one-hop graph to look at and click, and the same edges as a table. */
export function RelationsSection(props: { space: string; id: string; loaded: Loaded<Neighbourhood> }): JSX.Element {
  const { data, error } = props.loaded;
  return (
    <section aria-labelledby="memory-relations-h">
      <h2 id="memory-relations-h">Relations</h2>
      <ErrorNote error={error} />
      {data === undefined ? (
        error === undefined && <Loading />
      ) : data.relations.length === 0 ? (
        <p class="muted">This memory has no relations.</p>
      ) : (
        <>
          <Graph space={props.space} id={props.id} hood={data} />
          <RelationTable space={props.space} id={props.id} hood={data} />
        </>
      )}
    </section>
  );
}

/** One neighbour as drawn: every edge to it folded into one line with its types. */
interface Spoke {
  other: string;
  out: string[];
  in: string[];
}

function spokesOf(id: string, relations: readonly Relation[]): Spoke[] {
  const byOther = new Map<string, Spoke>();
  for (const r of relations) {
    const other = r.from === id ? r.to : r.from;
    if (other === id) continue;
    const spoke = byOther.get(other) ?? { other, out: [], in: [] };
    (r.from === id ? spoke.out : spoke.in).push(r.type);
    byOther.set(other, spoke);
  }
  return [...byOther.values()];
}

function nameOf(hood: Neighbourhood, id: string, max: number): string {
  const m = hood.neighbours[id];
  return m === undefined ? truncate(id, max) : truncate(m.content, max);
}

const W = 400;
const H = 300;
const CX = W / 2;
const CY = H / 2;

/** The graph: this memory in the middle, neighbours on an ellipse, each edge labelled with its type and pointing its way. */
function Graph(props: { space: string; id: string; hood: Neighbourhood }): JSX.Element {
  const spokes = spokesOf(props.id, props.hood.relations);
  const drawn = spokes.slice(0, MAX_DRAWN);
  return (
    <figure class="memory-graph">
      <svg viewBox={`0 0 ${W} ${H}`} role="group" aria-label={`Relations graph: this memory and ${drawn.length} neighbours; each neighbour is a link`}>
        <defs>
          <marker id="memory-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="memory-graph-arrow" />
          </marker>
        </defs>
        {drawn.map((spoke, i) => (
          <SpokeView key={spoke.other} spoke={spoke} angle={(2 * Math.PI * i) / drawn.length - Math.PI / 2} {...props} />
        ))}
        <circle cx={CX} cy={CY} r={16} class="memory-node memory-node-centre" />
        <text x={CX} y={CY + 32} text-anchor="middle" class="memory-graph-label memory-graph-centre">
          this memory
        </text>
      </svg>
      <figcaption class="muted">
        Arrows point from a memory to the one it relates to.
        {spokes.length > drawn.length && ` The graph shows ${drawn.length} of ${spokes.length} neighbours; the table lists them all.`}
      </figcaption>
    </figure>
  );
}

function SpokeView(props: { space: string; id: string; hood: Neighbourhood; spoke: Spoke; angle: number }): JSX.Element {
  const { spoke, angle } = props;
  const x = CX + Math.cos(angle) * 150;
  const y = CY + Math.sin(angle) * 100;
  const len = Math.hypot(x - CX, y - CY);
  const ux = (x - CX) / len;
  const uy = (y - CY) / len;
  const types = [...spoke.out.map((t) => `${t} →`), ...spoke.in.map((t) => `← ${t}`)].join(', ');
  const to = memoryPath(props.space, spoke.other);
  const name = nameOf(props.hood, spoke.other, 18);
  return (
    <g>
      <line
        x1={CX + ux * 18}
        y1={CY + uy * 18}
        x2={x - ux * 11}
        y2={y - uy * 11}
        class="memory-edge"
        marker-end={spoke.out.length > 0 ? 'url(#memory-arrow)' : undefined}
        marker-start={spoke.in.length > 0 ? 'url(#memory-arrow)' : undefined}
      />
      <text x={(CX + x) / 2} y={(CY + y) / 2 - 4} text-anchor="middle" class="memory-graph-label memory-edge-label">
        {truncate(types, 24)}
      </text>
      <a href={`${BASE}${to}`} onClick={(e) => onLinkClick(e, to)} aria-label={`Neighbour: ${nameOf(props.hood, spoke.other, 60)} (${types})`} class="memory-graph-link">
        <circle cx={x} cy={y} r={9} class="memory-node" />
        <text x={x} y={y + (uy >= 0 ? 24 : -15)} text-anchor="middle" class="memory-graph-label">
          {name}
        </text>
      </a>
    </g>
  );
}

/** The table lists this many relations at most: a hub memory's thousands would make a slow page. */
const MAX_LISTED = 100;

/** The relations as rows: direction in words, type, the other memory as a link, weight, when made. */
function RelationTable(props: { space: string; id: string; hood: Neighbourhood }): JSX.Element {
  const all = props.hood.relations;
  return (
    <>
      {all.length > MAX_LISTED && <p class="muted">The table shows the first {MAX_LISTED} of {all.length} relations.</p>}
      <RelationRows {...props} rows={all.slice(0, MAX_LISTED)} />
    </>
  );
}

function RelationRows(props: { space: string; id: string; hood: Neighbourhood; rows: Relation[] }): JSX.Element {
  return (
    <Table
      caption="Relations of this memory"
      rows={props.rows}
      rowKey={(r) => r.id}
      columns={[
        { key: 'dir', label: 'Direction', render: (r) => (r.from === r.to ? 'to itself' : r.from === props.id ? 'outgoing →' : '← incoming'), sort: (r) => (r.from === props.id ? 0 : 1) },
        { key: 'type', label: 'Type', render: (r) => r.type, sort: (r) => r.type },
        {
          key: 'other',
          label: 'Other memory',
          render: (r) => {
            const other = r.from === props.id ? r.to : r.from;
            return <Link to={memoryPath(props.space, other)}>{nameOf(props.hood, other, 60)}</Link>;
          },
        },
        { key: 'weight', label: 'Weight', render: (r) => r.weight.toFixed(2), sort: (r) => r.weight, numeric: true },
        { key: 'created', label: 'Created (UTC)', render: (r) => formatTime(r.createdAt), sort: (r) => r.createdAt },
      ]}
    />
  );
}
