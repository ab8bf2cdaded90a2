/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
import { z } from 'zod';
import type { RouteDef } from './http';
import { PSA_LABELS } from '../psa/core/types';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

export function openApiDocument(routes: readonly RouteDef[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    if (r.auth === 'user') {
      parameters.push({ name: 'X-User-Id', in: 'header', required: true, description: 'The acting portal user', schema: { type: 'string', format: 'uuid' } });
    }
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema || !(schema instanceof z.ZodObject)) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        parameters.push({ name, in: where, required: where === 'path' || !field.safeParse(undefined).success, schema: jsonSchema(field) });
      }
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: r.tags ?? [],
      security: r.auth === 'none' ? [] : [{ platformToken: [] }],
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(r.response ? { content: { 'application/json': { schema: jsonSchema(r.response) } } } : {}) },
        '400': { description: 'Invalid input, with field-level issues' },
        '401': { description: 'Missing or bad platform token / user' },
        '404': { description: 'Not found (or belongs to another tenant)' },
        '409': { description: 'A rule of the integration forbids this; `error.code` is stable' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'psa-sync API', version: '1.0.0', description: `Integrations between the partner platform and ${new Intl.ListFormat('en').format(Object.values(PSA_LABELS))}.` },
    components: {
      securitySchemes: {
        platformToken: { type: 'http', scheme: 'bearer', description: 'Platform token; user routes also need X-User-Id.' },
      },
    },
    paths,
  };
}
