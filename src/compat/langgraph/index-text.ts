/**
 * The texts of a value that a LangGraph index path names, with LangGraph's path syntax:
 * `$` (the whole value), `a.b` (nested fields), `a[0]`, `a[-1]`, `a[*]` (array elements),
 * `*` (every field) and `{a,b.c}` (several fields). Strings, numbers and booleans give their
 * text; objects and arrays their JSON; a path that leads nowhere gives nothing.
 */
export function textsAt(value: unknown, path: string): string[] {
  if (path === '' || path === '$') return [JSON.stringify(value)];
  return extract(value, tokenize(path), 0);
}

/** Splits `a.b[0].{c,d}` into `["a", "b", "[0]", "{c,d}"]`. */
export function tokenize(path: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const close = c === '[' ? ']' : c === '{' ? '}' : undefined;
    if (close !== undefined) {
      if (current) tokens.push(current);
      const end = path.indexOf(close, i);
      const stop = end === -1 ? path.length : end + 1;
      tokens.push(path.slice(i, stop));
      current = '';
      i = stop - 1;
    } else if (c === '.') {
      if (current) tokens.push(current);
      current = '';
    } else current += c;
  }
  if (current) tokens.push(current);
  return tokens;
}

function leaf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (value !== null && typeof value === 'object') return [JSON.stringify(value)];
  return [];
}

function extract(value: unknown, tokens: readonly string[], pos: number): string[] {
  if (pos >= tokens.length) return leaf(value);
  const token = tokens[pos]!;
  if (pos === 0 && token === '$') return extract(value, tokens, 1);
  if (token.startsWith('[') && token.endsWith(']')) {
    if (!Array.isArray(value)) return [];
    const index = token.slice(1, -1);
    if (index === '*') return value.flatMap((item) => extract(item, tokens, pos + 1));
    let i = Number.parseInt(index, 10);
    if (Number.isNaN(i)) return [];
    if (i < 0) i += value.length;
    return i >= 0 && i < value.length ? extract(value[i], tokens, pos + 1) : [];
  }
  if (value === null || typeof value !== 'object') return [];
  if (token.startsWith('{') && token.endsWith('}')) {
    return token
      .slice(1, -1)
      .split(',')
      .map((field) => field.trim())
      .filter((field) => field !== '')
      .flatMap((field) => extract(value, [...tokenize(field), ...tokens.slice(pos + 1)], 0));
  }
  if (token === '*') {
    return (Array.isArray(value) ? value : Object.values(value)).flatMap((item) => extract(item, tokens, pos + 1));
  }
  if (Array.isArray(value) || !Object.hasOwn(value, token)) return [];
  return extract((value as Record<string, unknown>)[token], tokens, pos + 1);
}
