import type { Project, ProjectInfo } from '../core/views.js';
import { segment } from './path-segment.js';
import { ProjectInfoResponse, ProjectPageResponse, ProjectResponse } from './responses.js';
import type { Call, Transport } from './transport.js';
import type { Page, ProjectCreateInput, ProjectListQuery, ProjectPatchInput, RequestOptions } from './types.js';

/** Projects through the HTTP API: named groups of spaces, with defaults their spaces inherit, quotas across them and totals. */
export interface ProjectsClient {
  /** Creates a project (`POST /v1/projects`); needs admin over it. `CONFLICT` if the name is taken, in any case. */
  create(input: ProjectCreateInput, options?: RequestOptions): Promise<Project>;
  /** A page of the projects the key can see, by name. */
  list(query?: ProjectListQuery, options?: RequestOptions): Promise<Page<Project>>;
  /** A project with its totals (memories, bytes, spaces by state, quota use); `NOT_FOUND` also for one the key may not see. */
  get(name: string, options?: RequestOptions): Promise<ProjectInfo>;
  /** Changes a project; spaces inheriting a changed default follow it. */
  update(name: string, patch: ProjectPatchInput, options?: RequestOptions): Promise<Project>;
  /** Deletes a project; `CONFLICT` while it holds spaces unless `cascade` deletes them too. */
  delete(name: string, options?: RequestOptions & { cascade?: boolean }): Promise<void>;
}

/** The project calls over `http`; `call` carries a call's signal and timeout. */
export function projectsClient(http: Transport, call: (options: RequestOptions | undefined) => Pick<Call, 'signal' | 'timeoutMs'>): ProjectsClient {
  // Project names follow the rules of space names, and are refused the same way.
  const path = (name: string): string => `/v1/projects/${segment(name, 'space')}`;
  return {
    create: async (input, o) => http.json({ method: 'POST', path: '/v1/projects', json: input, ...call(o) }, ProjectResponse),
    list: async (query = {}, o) => http.json({ method: 'GET', path: '/v1/projects', query: { ...query }, ...call(o) }, ProjectPageResponse),
    get: async (name, o) => http.json({ method: 'GET', path: path(name), ...call(o) }, ProjectInfoResponse),
    update: async (name, patch, o) => http.json({ method: 'PATCH', path: path(name), json: patch, ...call(o) }, ProjectResponse),
    delete: async (name, o) => http.empty({ method: 'DELETE', path: path(name), ...(o?.cascade === true && { query: { cascade: 'true' } }), ...call(o) }),
  };
}
