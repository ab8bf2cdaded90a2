/** zod shapes of configurations, their types, companies, sites and contacts as ConnectWise answers them. */
import { z } from 'zod';
import { refSchema } from './schemas';

const text = z.string().nullish();

export const customFieldSchema = z.looseObject({
  id: z.number(),
  caption: z.string().nullish(),
  type: z.string().nullish(),
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
});

export const configurationSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  type: refSchema.nullish(),
  status: refSchema.nullish(),
  company: refSchema,
  site: refSchema.nullish(),
  contact: refSchema.nullish(),
  deviceIdentifier: text,
  serialNumber: text,
  activeFlag: z.boolean().nullish(),
  managementLink: text,
  customFields: z.array(customFieldSchema).nullish(),
  _info: z.record(z.string(), z.unknown()).nullish(),
});
export type CwConfiguration = z.infer<typeof configurationSchema>;

export const configurationTypeSchema = z.looseObject({ id: z.number(), name: z.string(), inactiveFlag: z.boolean().nullish() });

export const companyRecordSchema = z.looseObject({
  id: z.number(),
  identifier: z.string().nullish(),
  name: z.string(),
  deletedFlag: z.boolean().nullish(),
  status: refSchema.nullish(),
});

export const siteSchema = z.looseObject({ id: z.number(), name: z.string(), primaryAddressFlag: z.boolean().nullish(), inactiveFlag: z.boolean().nullish() });

export const contactSchema = z.looseObject({
  id: z.number(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  company: refSchema.nullish(),
  inactiveFlag: z.boolean().nullish(),
  communicationItems: z.array(z.looseObject({ value: z.string().nullish(), communicationType: z.string().nullish(), defaultFlag: z.boolean().nullish() })).nullish(),
});

/** One answer of a bulk request: the saved record, or the item's refusal. */
export const bulkItemSchema = z.looseObject({
  statusCode: z.number().nullish(),
  entity: z.looseObject({ id: z.number() }).nullish(),
  id: z.number().nullish(),
  message: z.string().nullish(),
  errors: z.array(z.looseObject({ message: z.string().nullish(), field: z.string().nullish(), code: z.string().nullish() })).nullish(),
});
export type BulkItem = z.infer<typeof bulkItemSchema>;
