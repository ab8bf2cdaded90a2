/**
 * zod schemas of the Autotask answers the adapter reads. Parsed leniently: Autotask adds
 * fields between releases and leaves many of them null, so unknown keys pass through and
 * everything but what we rely on is optional.
 */
import { z } from 'zod';
import { PsaUnavailableError } from '../core/errors';

const id = z.coerce.number().int();
const nullableText = z.string().nullish();

export const zoneInfoSchema = z.object({ url: z.string().min(1), zoneName: z.string().nullish(), webUrl: z.string().nullish() }).passthrough();

export const picklistValueSchema = z
  .object({
    value: z.coerce.string(),
    label: z.string(),
    isActive: z.boolean().nullish(),
    parentValue: z.coerce.string().nullish(),
    sortOrder: z.number().nullish(),
  })
  .passthrough();
export type PicklistValue = z.infer<typeof picklistValueSchema>;

/** `/{Entity}/entityInformation`: what the entity supports and what the API user's security level allows. */
export const entityInfoSchema = z.object({
  info: z.object({ userAccessForCreate: z.string().nullish(), userAccessForUpdate: z.string().nullish() }).passthrough(),
});

export const fieldsSchema = z.object({
  fields: z.array(z.object({ name: z.string(), isPickList: z.boolean().nullish(), picklistValues: z.array(picklistValueSchema).nullish() }).passthrough()),
});

export const rowSchema = z.object({ id }).passthrough();
export type Row = z.infer<typeof rowSchema>;

export const queryPageSchema = z.object({
  items: z.array(rowSchema),
  pageDetails: z.object({ count: z.number().nullish(), nextPageUrl: z.string().nullish() }).passthrough().nullish(),
});

export const itemSchema = z.object({ item: rowSchema });
export const itemIdSchema = z.object({ itemId: id });

export const ticketSchema = z
  .object({
    id,
    ticketNumber: nullableText,
    status: id,
    externalID: nullableText,
    rmmAlertID: nullableText,
    assignedResourceID: id.nullish(),
    lastActivityResourceID: id.nullish(),
  })
  .passthrough();
export type RawTicket = z.infer<typeof ticketSchema>;

export const unitsSchema = z.object({ id, contractID: id, serviceID: id, units: z.coerce.number() }).passthrough();
export const contractServiceSchema = z.object({ id, contractID: id, serviceID: id }).passthrough();

/** Parses a vendor answer; an unexpected shape is an outage on their side, not our bug to retry forever. */
export function parseVendor<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new PsaUnavailableError(`Autotask answered ${what} in an unexpected shape`);
  return result.data;
}
