import { z } from 'zod';
import { isMemspaceError, MemspaceError } from '../core/errors.js';
import { validateSpaceName } from '../core/space-name.js';
import type { CallContext } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import { SpaceGraph, type KnowledgeGraph } from './knowledge-graph.js';

// The reference MCP memory server keeps its graph in a JSON Lines file (MEMORY_FILE_PATH,
// memory.jsonl), one entity or relation per line. Other fields on a line are ignored.
const EntityLine = z.object({ type: z.literal('entity'), name: z.string(), entityType: z.string(), observations: z.array(z.string()) });
const RelationLine = z.object({ type: z.literal('relation'), from: z.string(), to: z.string(), relationType: z.string() });
const Line = z.discriminatedUnion('type', [EntityLine, RelationLine], { error: 'type must be "entity" or "relation"' });

/** What an import did. */
export interface McpMemoryImportSummary {
  space: string;
  /** The space did not exist and was created (default settings, the local embedder). */
  createdSpace: boolean;
  /** Entities new to the space, existing ones that gained observations, and those already complete. */
  entities: { created: number; updated: number; unchanged: number };
  relations: { created: number; unchanged: number };
}

/**
 * Reads a reference memory file whole and checks every line before anything is written: a line
 * that is not JSON, not an entity or relation of the right shape, or a relation naming an entity
 * neither the file nor the space holds is `VALIDATION_FAILED` with `details.line`, and the
 * space is left untouched.
 */
export async function readMcpMemoryFile(lines: AsyncIterable<string>): Promise<{ graph: KnowledgeGraph; relationLines: number[] }> {
  const graph: KnowledgeGraph = { entities: [], relations: [] };
  const relationLines: number[] = [];
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badLine(n, undefined, 'not JSON');
    }
    const parsed = Line.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badLine(n, issue.path.map(String).join('.') || undefined, issue.message);
    }
    const item = parsed.data;
    if (item.type === 'entity') graph.entities.push({ name: item.name, entityType: item.entityType, observations: item.observations });
    else {
      graph.relations.push({ from: item.from, to: item.to, relationType: item.relationType });
      relationLines.push(n);
    }
  }
  return { graph, relationLines };
}

/**
 * Imports a reference memory file into `space` (created when missing) as its knowledge graph:
 * the same entities and relations the MCP graph tools then show. Idempotent: importing the same
 * file again changes nothing, and a file that adds observations to known entities adds just those.
 *
 * Every line is checked before the first write (see {@link readMcpMemoryFile}). The writes then
 * land in this order: new entities in all-or-nothing batches of up to 10,000, observations of
 * existing entities one entity at a time, relations one at a time. Should a write fail part-way
 * (a full disk, a quota), running the import again adds exactly what is missing.
 */
export async function importMcpMemory(ms: Memspace, space: string, lines: AsyncIterable<string>, call: CallContext = {}): Promise<McpMemoryImportSummary> {
  validateSpaceName(space);
  const { graph, relationLines } = await readMcpMemoryFile(lines);
  const record = await ms.spaces.get(space, call).catch((error: unknown) => {
    if (isMemspaceError(error, 'SPACE_NOT_FOUND')) return undefined;
    throw error;
  });
  if (record?.embedder === 'none') {
    throw new MemspaceError('VALIDATION_FAILED', `space "${record.name}" has no embedder, and entities are embedded for search: import into a space with one`, {
      issues: [{ path: 'space', message: 'embedder none' }],
    });
  }
  const name = record?.name ?? space;
  const inFile = new Set(graph.entities.map((e) => e.name));
  const named = graph.relations.flatMap((r) => [r.from, r.to]).filter((n) => !inFile.has(n));
  const inSpace = record === undefined ? new Set<string>() : await new SpaceGraph(ms, name, call).existing(named);
  graph.relations.forEach((r, i) => {
    for (const end of [r.from, r.to]) {
      if (!inFile.has(end) && !inSpace.has(end)) throw badLine(relationLines[i]!, end === r.from ? 'from' : 'to', `no entity named ${JSON.stringify(end)} in the file or the space`);
    }
  });
  if (record === undefined) await ms.spaces.create({ name }, call);
  const result = await new SpaceGraph(ms, name, call).merge(graph);
  return { space: name, createdSpace: record === undefined, ...result };
}

/** A bad line of the file; `field` names the part of the line at fault, if one is. */
function badLine(line: number, field: string | undefined, message: string): MemspaceError {
  const where = field === undefined ? `line ${line}` : `line ${line}: ${field}`;
  return new MemspaceError('VALIDATION_FAILED', `${where}: ${message}; nothing was imported`, { line, issues: [{ path: where, message }] });
}
