import type { WhoAmI } from '../core/grants.js';
import { segment } from './path-segment.js';
import { CreatedKeyResponse, KeyListResponse, KeyResponse, WhoAmIResponse } from './responses.js';
import type { Call, Transport } from './transport.js';
import type { CreatedKey, KeyCreateInput, KeyPatchInput, KeyView, RequestOptions } from './types.js';

/** API keys within the calling key's admin grants, and the calling key's own current space (docs/namespaces.md). */
export interface KeysClient {
  /** Creates a key; its secret `key` is in the result and never shown again. */
  create(input: KeyCreateInput, options?: RequestOptions): Promise<CreatedKey>;
  /** The keys the calling key administers, oldest first. */
  list(options?: RequestOptions): Promise<KeyView[]>;
  /** Revokes a key at once. */
  revoke(id: string, options?: RequestOptions): Promise<void>;
  /**
   * Changes a key's default ("current") space (`PATCH /v1/keys/{id}`): the space its calls reach
   * when they name none; `null` goes back to `default`. A key may change its own, to a space its
   * grants read; a key that administers another may change that one's. A space the caller cannot
   * see is `SPACE_NOT_FOUND`, as a missing one; a revoked key, or one the caller may not change,
   * is `NOT_FOUND`.
   */
  update(id: string, input: KeyPatchInput, options?: RequestOptions): Promise<KeyView>;
}

/** The key calls over `http`; `call` carries a call's signal and timeout. */
export function keysClient(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): KeysClient {
  return {
    create: async (input, o) => http.json({ method: 'POST', path: '/v1/keys', json: input, ...call(o) }, CreatedKeyResponse),
    list: async (o) => (await http.json({ method: 'GET', path: '/v1/keys', ...call(o) }, KeyListResponse)).items,
    revoke: async (id, o) => http.empty({ method: 'DELETE', path: `/v1/keys/${segment(id)}`, ...call(o) }),
    update: async (id, input, o) => http.json({ method: 'PATCH', path: `/v1/keys/${segment(id)}`, json: input, ...call(o) }, KeyResponse),
  };
}

/**
 * `GET /v1/whoami` over `http`: the calling key's id, name, grants, default ("current") space and
 * how many spaces it can see.
 */
export function whoamiCall(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): (options?: RequestOptions) => Promise<WhoAmI> {
  return async (o) => http.json({ method: 'GET', path: '/v1/whoami', ...call(o) }, WhoAmIResponse);
}
