/**
 * The platform's directory feed (platform token): single-record upserts and deletes of partners,
 * users, plans and organizations, and a bulk batch for loads of thousands of records. Each route
 * maps HTTP to client/directory.ts; a refused single record answers with its stable code (409),
 * a batch answers per record.
 */
import { z } from 'zod';
import { route, type RouteDef } from '../http';
import type { ApiDeps } from '../deps';
import { batchResultSchema, createDirectoryClient, deleteFields, directoryBatchSchema, organizationFields, partnerFields, planFields, recordResultSchema, userFields } from '../../client/directory';
import type { DIRECTORY_ENTITIES } from '../../domain/directory';
import { uuidId } from '../../domain/input';

const TAGS = ['directory'];
/** A batch of 10,000 records fits well within this. */
export const DIRECTORY_BATCH_BODY_LIMIT = 8 * 1024 * 1024;

const idParams = z.object({ id: uuidId() }).strict();
const COLLECTIONS = { partners: 'partner', users: 'user', plans: 'plan', organizations: 'organization' } as const satisfies Record<string, (typeof DIRECTORY_ENTITIES)[number]>;
const deleteParams = z.object({ collection: z.enum(Object.keys(COLLECTIONS) as [keyof typeof COLLECTIONS]), id: uuidId() }).strict();
const deleteQuery = z.object({ version: z.coerce.number().pipe(deleteFields.shape.version) }).strict();

export function directoryRoutes(deps: ApiDeps): RouteDef[] {
  const directory = createDirectoryClient(deps);
  const upsertRoute = <S extends z.ZodType>(path: string, what: string, body: S, send: (id: string, fields: z.infer<S>) => Promise<unknown>) =>
    route({
      method: 'PUT',
      path,
      summary: `Create or update ${what} at the platform's version (older versions are stale, a repeat is unchanged)`,
      tags: TAGS,
      auth: 'platform',
      params: idParams,
      body,
      response: recordResultSchema,
      async handler({ params, body: fields }) {
        return { body: await send(params.id, fields) };
      },
    });
  return [
    upsertRoute('/v1/directory/partners/:id', 'a partner (master, direct or sub-reseller with its parent)', partnerFields, (id, f) => directory.upsertPartner(id, f)),
    upsertRoute('/v1/directory/users/:id', 'a portal user (partner, role, active)', userFields, (id, f) => directory.upsertUser(id, f)),
    upsertRoute('/v1/directory/plans/:id', 'a plan (owner partner, sub-resellers it is assigned to)', planFields, (id, f) => directory.upsertPlan(id, f)),
    upsertRoute('/v1/directory/organizations/:id', 'an organization (partner, plan, name, seat count, status)', organizationFields, (id, f) => directory.upsertOrganization(id, f)),
    route({
      method: 'DELETE',
      path: '/v1/directory/:collection/:id',
      summary: 'Delete a partner, user, plan or organization at the platform\'s version (a tombstone: older upserts stay stale); consequences run through the integration lifecycle',
      tags: TAGS,
      auth: 'platform',
      params: deleteParams,
      query: deleteQuery,
      response: recordResultSchema,
      async handler({ params, query }) {
        return { body: await directory.delete(COLLECTIONS[params.collection], params.id, query.version) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/directory/batch',
      summary: 'Apply up to 10,000 directory records in one call; each is answered (applied, unchanged, stale, refused with its code)',
      tags: TAGS,
      auth: 'platform',
      body: directoryBatchSchema,
      bodyLimit: DIRECTORY_BATCH_BODY_LIMIT,
      response: batchResultSchema,
      async handler({ body }) {
        return { body: await directory.batch(body) };
      },
    }),
  ];
}
