/**
 * The filter language compiled to SQL, once for every backend: the walk of a parsed filter and
 * what each operator means. A backend supplies a {@link FilterDialect} (placeholders, casts,
 * JSON access, the tags column); this module decides which of its pieces each condition uses.
 *
 * Meaning, whatever the backend: a filter node is true or false, never unknown, so `not`, `ne`
 * and `nin` match memories that lack the field; metadata comparisons are typed (`"1"` never
 * equals `1`) and equality also matches an element of an array value (`{"eq": "x"}` matches
 * `["x", "y"]`), as document databases do; an empty `and` matches everything, an empty `or` or
 * `in` nothing. Every value and every metadata path is a bound parameter (paths were restricted
 * by the parser), so no input reaches the SQL text.
 */
import type { FilterColumn, FilterField, FilterNode, FilterOperator, FilterScalar } from '../../core/filter.js';

/** Collects a query's bound parameters and hands out their placeholders. */
export interface SqlParams {
  /** Binds `value` and returns the placeholder that stands for it in the SQL text. */
  add(value: unknown): string;
}

/** Types of the memory columns a filter compares, which a dialect maps to its own. */
export type ColumnType = 'text' | 'real' | 'integer';

/** A metadata path: the keys from the top of the metadata object down. */
export type MetadataPath = readonly string[];

/** An order comparison in SQL. */
export type SqlComparison = '>' | '>=' | '<' | '<=';

/**
 * The SQL pieces a backend supplies for {@link compileFilter}, over the alias `m` (the memories
 * table). A piece that binds values must bind them in the order its placeholders appear in the
 * text it returns (positional `?` parameters depend on it).
 */
export interface FilterDialect {
  /** The literal of a condition that always holds. */
  readonly true: string;
  /** The literal of a condition that never holds. */
  readonly false: string;
  /** The number of the memory's tags. */
  readonly tagsLength: string;
  /** A bound value compared with a column of `type`. */
  value(params: SqlParams, value: FilterScalar, type: ColumnType): string;
  /** True when `left` and `right` differ, NULL counting as a value (`IS NOT`, `IS DISTINCT FROM`). */
  distinct(left: string, right: string): string;
  /** True when `column` equals one of `values` (none of them null, at least one). */
  oneOf(params: SqlParams, column: string, values: readonly FilterScalar[], type: ColumnType): string;
  /** True when the text `haystack` contains the text `needle` (both SQL expressions). */
  containsText(haystack: string, needle: string): string;
  /** True when the memory's tags hold one of `values` (at least one). */
  tagsAny(params: SqlParams, values: readonly FilterScalar[]): string;
  /** An expression that is NULL exactly when the metadata holds nothing at `path` (a JSON `null` is something). */
  metadataAt(params: SqlParams, path: MetadataPath): string;
  /**
   * True when the value at `path`, or an element of it when it is an array, equals one of
   * `values` (at least one) with JSON's types: a string never equals a number, an object nothing.
   */
  metadataEquals(params: SqlParams, path: MetadataPath, values: readonly FilterScalar[]): string;
  /** True when the value at `path` is of `value`'s JSON type (number or string) and compares so; strings in binary order. */
  metadataCompare(params: SqlParams, path: MetadataPath, comparison: SqlComparison, value: number | string): string;
  /** True when the value at `path` is a string that contains `value`. */
  metadataContainsText(params: SqlParams, path: MetadataPath, value: string): string;
}

/** The memory columns a filter may name, with their types; tags have conditions of their own. */
const COLUMNS: Readonly<Record<Exclude<FilterColumn, 'tags'>, { sql: string; type: ColumnType }>> = {
  id: { sql: 'm.id', type: 'text' },
  userId: { sql: 'm.user_id', type: 'text' },
  agentId: { sql: 'm.agent_id', type: 'text' },
  runId: { sql: 'm.run_id', type: 'text' },
  kind: { sql: 'm.kind', type: 'text' },
  importance: { sql: 'm.importance', type: 'real' },
  createdAt: { sql: 'm.created_at', type: 'integer' },
  updatedAt: { sql: 'm.updated_at', type: 'integer' },
  expiresAt: { sql: 'm.expires_at', type: 'integer' },
  supersededBy: { sql: 'm.superseded_by', type: 'text' },
};

const COMPARISONS: Readonly<Partial<Record<FilterOperator, SqlComparison>>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Compiles a parsed filter into a SQL boolean expression over `m`, binding its values through `params`. */
export function compileFilter(node: FilterNode, dialect: FilterDialect, params: SqlParams): string {
  return new FilterCompiler(dialect, params).node(node);
}

class FilterCompiler {
  constructor(
    private readonly d: FilterDialect,
    private readonly params: SqlParams,
  ) {}

  node(node: FilterNode): string {
    switch (node.kind) {
      case 'and':
      case 'or':
        if (node.nodes.length === 0) return node.kind === 'and' ? this.d.true : this.d.false;
        return `(${node.nodes.map((n) => this.node(n)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return this.negate(this.node(node.node));
      case 'cond':
        if (node.field.kind === 'metadata') return this.metadata(node.field, node.op, node.value);
        if (node.field.name === 'tags') return this.tags(node.op, node.value);
        return this.column(COLUMNS[node.field.name], node.op, node.value);
    }
  }

  /** Two-valued NOT: a condition that is unknown (a NULL field) counts as false, so its negation holds. */
  private negate(sql: string): string {
    return `(NOT coalesce(${sql}, ${this.d.false}))`;
  }

  private column(col: { sql: string; type: ColumnType }, op: FilterOperator, value: FilterScalar | FilterScalar[]): string {
    const { d, params } = this;
    const c = col.sql;
    switch (op) {
      case 'eq':
        return value === null ? `${c} IS NULL` : `${c} = ${d.value(params, value as FilterScalar, col.type)}`;
      case 'ne':
        return d.distinct(c, d.value(params, value as FilterScalar, col.type));
      case 'in':
      case 'nin': {
        const values = value as FilterScalar[];
        const nonNull = values.filter((v) => v !== null);
        const list = nonNull.length > 0 ? d.oneOf(params, c, nonNull, col.type) : d.false;
        const sql = nonNull.length < values.length ? `(${list} OR ${c} IS NULL)` : list;
        return op === 'in' ? `(${sql})` : this.negate(sql);
      }
      case 'contains':
        return typeof value === 'string' && col.type === 'text' ? d.containsText(c, d.value(params, value, 'text')) : this.column(col, 'eq', value);
      case 'exists':
        return value === true ? `${c} IS NOT NULL` : `${c} IS NULL`;
      default:
        return `${c} ${comparison(op)} ${d.value(params, value as FilterScalar, col.type)}`;
    }
  }

  /**
   * `eq`, `ne`, `in` and `nin` over a field that "equals one of" some values (tags, metadata):
   * `ne` and `nin` are the negations, so they match a memory without the field. Undefined for
   * other operators.
   */
  private membership(op: FilterOperator, value: FilterScalar | FilterScalar[], equalsOneOf: (values: readonly FilterScalar[]) => string): string | undefined {
    const oneOf = (values: readonly FilterScalar[]): string => (values.length === 0 ? this.d.false : equalsOneOf(values));
    switch (op) {
      case 'eq':
        return oneOf([value as FilterScalar]);
      case 'ne':
        return this.negate(oneOf([value as FilterScalar]));
      case 'in':
        return oneOf(value as FilterScalar[]);
      case 'nin':
        return this.negate(oneOf(value as FilterScalar[]));
      default:
        return undefined;
    }
  }

  private tags(op: FilterOperator, value: FilterScalar | FilterScalar[]): string {
    const any = (values: readonly FilterScalar[]): string => this.d.tagsAny(this.params, values);
    if (op === 'contains') return any([value as FilterScalar]);
    if (op === 'exists') return `${this.d.tagsLength} ${value === true ? '>' : '='} 0`;
    const sql = this.membership(op, value, any);
    if (sql === undefined) throw new Error(`unhandled tags operator ${op}`);
    return sql;
  }

  private metadata(field: Extract<FilterField, { kind: 'metadata' }>, op: FilterOperator, value: FilterScalar | FilterScalar[]): string {
    const { d, params } = this;
    const path = field.path;
    const equals = (values: readonly FilterScalar[]): string => d.metadataEquals(params, path, values);
    switch (op) {
      case 'contains':
        // A string is also looked for inside a string value; anything else must equal the value or an element of it.
        return typeof value === 'string' ? `(${d.metadataContainsText(params, path, value)} OR ${equals([value])})` : equals([value as FilterScalar]);
      case 'exists':
        return `${d.metadataAt(params, path)} ${value === true ? 'IS NOT NULL' : 'IS NULL'}`;
      default:
        return this.membership(op, value, equals) ?? d.metadataCompare(params, path, comparison(op), value as number | string);
    }
  }
}

function comparison(op: FilterOperator): SqlComparison {
  const sql = COMPARISONS[op];
  if (sql === undefined) throw new Error(`unhandled operator ${op}`);
  return sql;
}
