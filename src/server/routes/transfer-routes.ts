import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { MemspaceError } from '../../core/errors.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { SpaceOnlyQuery } from './memory-routes.js';
import { ExportLineResponse, ImportSummaryResponse } from '../../core/response-schemas.js';

/** Export and import of a whole space as JSON Lines. */
export function transferRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/export',
      scoped: true,
      tag: 'transfer',
      summary: 'Export the space as JSON Lines, embeddings included',
      role: 'read',
      query: SpaceOnlyQuery,
      produces: 'application/x-ndjson',
      response: ExportLineResponse,
      handler: async ({ reply, space, call }) => {
        const lines = ms.transfer.exportSpace(space, undefined, call);
        // The first line is read before the 200 is sent, so a missing space fails as an error.
        const first = await lines.next();
        reply.type('application/x-ndjson');
        return Readable.from(
          (async function* () {
            if (first.done === true) return;
            yield `${JSON.stringify(first.value)}\n`;
            for await (const line of lines) yield `${JSON.stringify(line)}\n`;
          })(),
        );
      },
    },
    {
      method: 'POST',
      path: '/import',
      scoped: true,
      tag: 'transfer',
      summary: 'Import JSON Lines (an export) into the space; existing ids are skipped (creating the space takes admin)',
      role: 'write',
      query: SpaceOnlyQuery,
      response: ImportSummaryResponse, consumes: 'application/x-ndjson', errors: ['DIMENSION_MISMATCH'],
      handler: async ({ request, space, call }) => {
        if (!(request.body instanceof Readable)) {
          throw new MemspaceError('VALIDATION_FAILED', 'send the export as application/x-ndjson', {
            issues: [{ path: 'content-type', message: 'expected application/x-ndjson' }],
          });
        }
        const body = request.body;
        // The line reader starts when the importer first asks for a line, not before: one made
        // at once would read the body while access is checked (round trips on PostgreSQL) and
        // drop the lines no one was iterating yet, its end included, leaving the import hanging.
        const lines = (async function* () {
          yield* createInterface({ input: body, crlfDelay: Infinity });
        })();
        return ms.transfer.importSpace(space, lines, undefined, call);
      },
    },
  ];
}
