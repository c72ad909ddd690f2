/** The options of an audit listing (`GET /v1/spaces/{space}/audit`, `spaces.audit`, `memspace audit`). */
import { z } from 'zod';
import { auditAction, MAX_LIMIT } from './schemas.js';

/**
 * Options of an audit listing: filters by time (`since`, inclusive), `action` and `actor` (the key
 * id, or the name a library caller or the server gave, exactly); `order` `desc` lists newest
 * first. `cursor` continues after the last entry of the previous page in the same order.
 */
export const AuditQuerySchema = z.strictObject({
  since: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .optional(),
  action: auditAction.optional(),
  // An actor is any name a caller gave (key ids, `cli`, `sweeper`, ...): only empty or control characters are refused.
  actor: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\p{Cc}]+$/u, 'actor is a key id or a name, without control characters')
    .optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.number().int().min(1).max(MAX_LIMIT).default(100),
  cursor: z.string().max(200).optional(),
});
/** Parsed audit listing options. */
export type AuditQueryInput = z.output<typeof AuditQuerySchema>;
