/** Escapes text for HTML. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

/** A collapsible block of JSON: a schema, shown as the document has it. */
function block(title: string, value: unknown): string {
  return `<details><summary>${escape(title)}</summary><pre>${escape(JSON.stringify(value, null, 2))}</pre></details>`;
}

/** The request body (any content type), and the success's body and the error statuses an operation answers. */
function bodies(op: Operation): string {
  const request = Object.entries(op.requestBody?.content ?? {}).map(([type, media]) => block(`body (${type})`, media.schema ?? {}));
  const statuses = Object.keys(op.responses ?? {});
  const success = statuses.filter((s) => s.startsWith('2'));
  const answers = success.flatMap((s) => Object.entries(op.responses![s]!.content ?? {}).map(([type, media]) => block(`${s} (${type})`, media.schema ?? {})));
  const errors = statuses.filter((s) => !s.startsWith('2'));
  return [...request, ...answers].join('') + (errors.length > 0 ? `<small>errors: ${escape(errors.join(' '))}</small>` : '');
}

/**
 * A self-contained HTML page listing every route of the OpenAPI document with its parameters,
 * request and response schemas and error statuses: readable without any script or asset from
 * elsewhere. Schemas named `$ref` are in /openapi.json, under `components`.
 */
export function docsPage(document: Record<string, unknown>): string {
  const paths = document['paths'] as Record<string, Record<string, Operation>>;
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = (op.parameters ?? []).map((p) => `${escape(p.name)} <small>(${escape(p.in)}${p.required ? ', required' : ''})</small>`).join('<br>');
      const key = Array.isArray(op.security) && op.security.length === 0 ? ' <small>(no key)</small>' : '';
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code>${key}</td><td>${escape(op.summary ?? '')}${bodies(op)}</td><td>${params}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>memspace API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td{border-top:1px solid #ddd;padding:.4rem .8rem;vertical-align:top}pre{font-size:.8rem}</style>
</head><body>
<h1>memspace API</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are always <code>{"error":{"code","message","details"?}}</code>.
Authenticate with <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key</code>.
Routes under <code>/v1/spaces/{space}/…</code> also exist without the space segment; the space then comes from the
<code>X-Memory-Space</code> header, the <code>space</code> query parameter, or a <code>space</code> field of the body.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>parameters</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
