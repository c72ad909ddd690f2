import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MemspaceError } from '../core/errors.js';
import { TokenBuckets } from '../core/token-bucket.js';
import { LOCAL_PRINCIPAL, type Principal } from '../engine/access-guard.js';
import { keyOfAuthorization, type KeyService } from '../engine/key-service.js';
import { isConsolePath } from './console.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who makes the request, set before any handler runs. */
    principal: Principal;
  }
}

/** Routes anyone may call: liveness and the API's description (and the console's files, server/console.ts). */
const PUBLIC = new Set(['/v1/health', '/openapi.json', '/docs']);

/** Who calls a public route without a key: no grant at all, so it sees what anyone may. */
const ANONYMOUS: Principal = Object.freeze({ keyId: 'anonymous', name: 'anonymous', grants: [], defaultSpace: null });

/** Options of authentication. */
export interface AuthOptions {
  /** Checks keys; undefined turns authentication off (every request acts as the local principal). */
  keys: KeyService | undefined;
  /** Requests per second per key, 0 for no limit. @default 0 */
  rateLimit?: number;
  /** Clock for the rate limit, in epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * Authenticates every non-public request: `Authorization: Bearer <key>` (also `Token <key>`,
 * or `X-API-Key`). Unknown, revoked or missing keys are `UNAUTHENTICATED`; a key over its rate
 * is `QUOTA_EXCEEDED`.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('principal', null as unknown as Principal);
  const limiter = new TokenBuckets();
  const rate = options.rateLimit ?? 0;
  const now = options.now ?? Date.now;
  app.addHook('onRequest', async (request) => {
    if (options.keys === undefined) {
      request.principal = LOCAL_PRINCIPAL;
      return;
    }
    const secret = presentedKey(request);
    // Public routes answer anyone; a key presented to them is still checked, so they can show
    // an operator (a key over every space) more than an anonymous caller.
    if ((PUBLIC.has(request.url.split('?')[0]!) || isConsolePath(request.url)) && secret === undefined) {
      request.principal = ANONYMOUS;
      return;
    }
    if (secret === undefined) throw new MemspaceError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key>');
    request.principal = await options.keys.authenticate(secret);
    const retryAfterMs = limiter.take(request.principal.keyId, rate, now());
    if (retryAfterMs > 0) {
      throw new MemspaceError('QUOTA_EXCEEDED', `this key is limited to ${rate} requests per second`, { quota: 'keyRequestsPerSecond', limit: rate, retryAfterMs });
    }
  });
}

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') return keyOfAuthorization(authorization);
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}
