import { z } from 'zod';
import { MAX_LIMIT } from '../../core/schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { AuditPageResponse, AuditVerificationResponse } from '../../core/response-schemas.js';

/** Query string of an audit listing. */
const AuditQueryString = z.strictObject({
  space: z.string().optional(),
  since: z.string().optional(),
  action: z.string().optional(),
  actor: z.string().optional().describe('Only entries of this actor: a key id (`key_…`), or a name such as `cli` or `sweeper`'),
  order: z.enum(['asc', 'desc']).optional().describe('`desc`: newest first; a cursor continues in the order it was issued for'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().optional(),
});

/** The audit trail of a space, for its admins. */
export function auditRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/audit',
      scoped: true,
      tag: 'audit',
      summary: "The space's hash-chained audit trail, oldest first (or newest first), filtered by time, action and actor",
      role: 'admin',
      query: AuditQueryString,
      response: AuditPageResponse,
      handler: ({ request, space, call }) => {
        const { space: _space, ...q } = parseWith(AuditQueryString, request.query, 'query');
        return ms.spaces.audit(space, q, call);
      },
    },
    {
      method: 'GET',
      path: '/audit/verify',
      scoped: true,
      tag: 'audit',
      summary: 'Recompute the audit chain and name the first altered entry, if any',
      role: 'admin',
      query: z.strictObject({ space: z.string().optional() }),
      response: AuditVerificationResponse,
      handler: ({ space, call }) => ms.spaces.verifyAudit(space, call),
    },
  ];
}
