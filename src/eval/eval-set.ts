import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import { validateId } from '../core/ids.js';
import type { ValidationIssue } from '../core/validate.js';

/** A memory of an evaluation set: what gets stored before the queries run. */
export interface EvalMemory {
  id: string;
  content: string;
  tags: string[];
  metadata: Record<string, unknown>;
}

/** A query of an evaluation set with its relevance labels. */
export interface EvalQuery {
  id: string;
  query: string;
  /** Relevant memory ids and their graded gain (1 when the labels were a plain list). */
  relevant: ReadonlyMap<string, number>;
}

/** A parsed, checked evaluation set. */
export interface EvalSet {
  memories: EvalMemory[];
  queries: EvalQuery[];
}

/** Most issues listed in one error; a broken file should not produce a megabyte of details. */
const MAX_ISSUES = 50;

const callerId = z.string().refine(
  (id) => {
    try {
      validateId(id);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'id must be 1-128 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-"' },
);

const MemoryLineSchema = z.strictObject({
  type: z.literal('memory'),
  id: callerId,
  content: z.string().min(1, 'content may not be empty'),
  tags: z.array(z.string().min(1).max(128)).max(64).default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

const RelevantSchema = z.union([
  z.array(callerId).min(1, 'a query needs at least one relevant memory'),
  z
    .record(callerId, z.number().positive('a relevance grade must be above 0').finite())
    .refine((r) => Object.keys(r).length > 0, 'a query needs at least one relevant memory'),
], { error: 'relevant is a list of memory ids or an object of memory id to grade' });

const QueryLineSchema = z.strictObject({
  type: z.literal('query'),
  id: callerId,
  query: z.string().min(1, 'query may not be empty'),
  relevant: RelevantSchema,
});

const LINE_TYPES = ['memory', 'query'] as const;

/**
 * Parses an evaluation set in JSON Lines: `{"type":"memory","id","content","tags"?,"metadata"?}`
 * and `{"type":"query","id","query","relevant"}` lines, where `relevant` is a list of memory ids
 * or an object of memory id to graded gain. Blank lines are skipped. Every problem is collected
 * and thrown as one `VALIDATION_FAILED` whose issue paths start with the line number: a line
 * that is not JSON, an unknown `type`, a bad field, a duplicate id, a query naming a memory the
 * set does not hold, and a set without memories or queries.
 * @param source - Named in the error message, e.g. the file path. @default "evaluation set"
 */
export function parseEvalSet(text: string, source = 'evaluation set'): EvalSet {
  const reader = new EvalSetReader();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) reader.readLine(lines[index]!, index + 1);
  return reader.finish(source);
}

/** Reads an evaluation set line by line, collecting its memories, its queries and every problem found. */
class EvalSetReader {
  private readonly issues: ValidationIssue[] = [];
  private readonly memories: EvalMemory[] = [];
  private readonly queries: (EvalQuery & { line: number })[] = [];
  /** The line each memory id is defined on. */
  private readonly memoryLines = new Map<string, number>();
  /** The line each query id is defined on. */
  private readonly queryLines = new Map<string, number>();

  /** Reads line number `line`: a memory, a query, or nothing when blank. */
  readLine(raw: string, line: number): void {
    if (raw.trim() === '') return;
    const parsed = jsonObject(raw);
    if ('problem' in parsed) {
      this.issues.push({ path: `line ${line}`, message: parsed.problem });
      return;
    }
    const type = parsed.value['type'];
    if (type === 'memory') this.readMemory(parsed.value, line);
    else if (type === 'query') this.readQuery(parsed.value, line);
    else this.issues.push(unknownTypeIssue(type, line));
  }

  /**
   * The set read, once every line is: checks what only the whole set can tell, and throws every
   * issue as one `VALIDATION_FAILED`, in line order.
   */
  finish(source: string): EvalSet {
    this.checkReferences();
    if (this.memories.length === 0) this.issues.push({ path: 'memories', message: 'the set holds no memories' });
    if (this.queries.length === 0) this.issues.push({ path: 'queries', message: 'the set holds no queries' });
    throwIssues(this.issues, source);
    return { memories: this.memories, queries: this.queries.map(({ line: _line, ...q }) => q) };
  }

  private readMemory(value: unknown, line: number): void {
    const parsed = MemoryLineSchema.safeParse(value);
    if (!parsed.success) {
      this.issues.push(...zodIssues(line, parsed.error));
      return;
    }
    const { id, content, tags, metadata } = parsed.data;
    if (!this.claimId('memory', this.memoryLines, id, line)) return;
    this.memories.push({ id, content, tags, metadata });
  }

  private readQuery(value: unknown, line: number): void {
    const parsed = QueryLineSchema.safeParse(value);
    if (!parsed.success) {
      this.issues.push(...zodIssues(line, parsed.error));
      return;
    }
    const { id, query, relevant } = parsed.data;
    if (!this.claimId('query', this.queryLines, id, line)) return;
    const grades = Array.isArray(relevant) ? relevant.map((m): [string, number] => [m, 1]) : Object.entries(relevant);
    const grade = new Map(grades);
    if (grade.size < grades.length) {
      this.issues.push({ path: `line ${line}: relevant`, message: 'a memory is listed twice' });
      return;
    }
    this.queries.push({ id, query, relevant: grade, line });
  }

  /** Records that `id` is defined on `line`; false, with an issue, when an earlier line defined it. */
  private claimId(what: 'memory' | 'query', lines: Map<string, number>, id: string, line: number): boolean {
    const first = lines.get(id);
    if (first !== undefined) {
      this.issues.push({ path: `line ${line}: id`, message: `${what} ${id} already defined on line ${first}` });
      return false;
    }
    lines.set(id, line);
    return true;
  }

  /** Queries may name memories defined further down, so references are checked once all is read. */
  private checkReferences(): void {
    for (const q of this.queries) {
      for (const id of q.relevant.keys()) {
        if (!this.memoryLines.has(id)) this.issues.push({ path: `line ${q.line}: relevant`, message: `query ${q.id} names unknown memory ${id}` });
      }
    }
  }
}

/** Reads and parses an evaluation set file; a missing file is `NOT_FOUND`. */
export async function readEvalSet(file: string): Promise<EvalSet> {
  return parseEvalSet(await readInputFile(file), file);
}

/** The text of a file an evaluation reads: a missing file is `NOT_FOUND`, a directory `VALIDATION_FAILED`. */
export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MemspaceError('NOT_FOUND', `file ${file} not found`, { file });
    if (code === 'EISDIR') throw new MemspaceError('VALIDATION_FAILED', `${file} is a directory`, { issues: [{ path: 'file', message: 'a directory' }] });
    throw error;
  }
}

function zodIssues(line: number, error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? `line ${line}` : `line ${line}: ${issue.path.map(String).join('.')}`,
    message: issue.message,
  }));
}

/** Issues without a line (whole-set problems) sort last. */
function lineOf(issue: ValidationIssue): number {
  const match = /^line (\d+)/.exec(issue.path);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

/** The JSON object a line holds, or the problem when it holds none. */
function jsonObject(raw: string): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { problem: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'not a JSON object' };
  return { value: value as Record<string, unknown> };
}

/** The issue of a line whose `type` is missing or not one of {@link LINE_TYPES}. */
function unknownTypeIssue(type: unknown, line: number): ValidationIssue {
  const shown = type === undefined ? 'no type' : `unknown type ${JSON.stringify(type)}`;
  return { path: `line ${line}: type`, message: `${shown}, expected ${LINE_TYPES.map((t) => `"${t}"`).join(' or ')}` };
}

/** Throws the issues, if any, as one `VALIDATION_FAILED` naming the first; issues without a line come last. */
function throwIssues(issues: ValidationIssue[], source: string): void {
  issues.sort((a, b) => lineOf(a) - lineOf(b));
  const first = issues[0];
  if (first === undefined) return;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new MemspaceError('VALIDATION_FAILED', `invalid ${source}: ${first.path}: ${first.message}${more}`, {
    issues: issues.slice(0, MAX_ISSUES),
  });
}
