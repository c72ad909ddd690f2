import { z } from 'zod';
import { ProjectCreateSchema, ProjectListQuerySchema, ProjectPatchSchema } from '../../core/project-schemas.js';
import { parseWith } from '../../core/validate.js';
import type { Memspace } from '../../memspace.js';
import type { RouteSpec } from '../route-table.js';
import { ProjectInfoResponse, ProjectPageResponse, ProjectResponse } from '../../core/response-schemas.js';

/** A project listing's query string: the listing's options, the limit as text. */
const ListProjectsQuery = ProjectListQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(1000).optional() });
/** A project deletion's query string: `cascade=true` deletes its spaces too. */
const DeleteProjectQuery = z.strictObject({ cascade: z.enum(['true', 'false']).optional() });

/** The `{project}` path parameter. */
function projectOf(params: unknown): string {
  return (params as { project: string }).project;
}

/** Routes on projects: named groups of spaces. The project service decides access (grants on the project). */
export function projectRoutes(ms: Memspace): RouteSpec[] {
  return [
    {
      method: 'POST',
      path: '/projects',
      scoped: false,
      tag: 'projects',
      summary: 'Create a project (needs admin over it: a grant on the project, or over every name)',
      body: ProjectCreateSchema,
      status: 201,
      response: ProjectResponse,
      handler: ({ request, call }) => ms.projects.create(request.body, call),
    },
    {
      method: 'GET',
      path: '/projects',
      scoped: false,
      tag: 'projects',
      summary: 'List the projects the key can see',
      query: ListProjectsQuery,
      response: ProjectPageResponse,
      handler: ({ request, call }) => ms.projects.list(parseWith(ListProjectsQuery, request.query, 'query'), call),
    },
    {
      method: 'GET',
      path: '/projects/:project',
      scoped: false,
      tag: 'projects',
      summary: 'A project with its totals: memories, payload and disk bytes, spaces by state, quota use',
      response: ProjectInfoResponse,
      handler: ({ request, call }) => ms.projects.get(projectOf(request.params), call),
    },
    {
      method: 'PATCH',
      path: '/projects/:project',
      scoped: false,
      tag: 'projects',
      summary: "Change a project's description, labels, defaults (its inheriting spaces follow) or quotas",
      body: ProjectPatchSchema,
      response: ProjectResponse,
      handler: ({ request, call }) => ms.projects.update(projectOf(request.params), request.body, call),
    },
    {
      method: 'DELETE',
      path: '/projects/:project',
      scoped: false,
      tag: 'projects',
      summary: 'Delete a project; CONFLICT while it holds spaces, unless cascade=true deletes them (audited in each)',
      query: DeleteProjectQuery,
      status: 204,
      handler: async ({ request, call }) => {
        const { cascade } = parseWith(DeleteProjectQuery, request.query, 'query');
        await ms.projects.delete(projectOf(request.params), { cascade: cascade === 'true' }, call);
      },
    },
  ];
}
