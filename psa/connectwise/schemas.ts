/**
 * zod shapes of the ConnectWise responses the adapter reads. Lenient on purpose: models differ
 * between API versions, so unknown keys pass through and anything we do not rely on is optional.
 */
import { z } from 'zod';

export const refSchema = z.looseObject({ id: z.number(), name: z.string().nullish(), identifier: z.string().nullish() });

const named = { id: z.number(), name: z.string() };

export const companyInfoSchema = z.looseObject({
  CompanyName: z.string().nullish(),
  Codebase: z.string().min(1),
  VersionCode: z.string().nullish(),
  CompanyID: z.string().nullish(),
  IsCloud: z.union([z.boolean(), z.string()]).nullish(),
  SiteUrl: z.string().nullish(),
});

export const systemInfoSchema = z.looseObject({
  version: z.string().nullish(),
  isCloud: z.boolean().nullish(),
  cloudRegion: z.string().nullish(),
});

export const boardSchema = z.looseObject({ ...named, inactiveFlag: z.boolean().nullish(), projectFlag: z.boolean().nullish() });
export const boardStatusSchema = z.looseObject({
  ...named,
  board: refSchema.nullish(),
  inactive: z.boolean().nullish(),
  closedStatus: z.boolean().nullish(),
  defaultFlag: z.boolean().nullish(),
});
export const boardChildSchema = z.looseObject({ ...named, board: refSchema.nullish(), inactiveFlag: z.boolean().nullish() });
export const prioritySchema = z.looseObject({ ...named, sortOrder: z.number().nullish() });
export const slaSchema = z.looseObject({ ...named });

export const companySchema = z.looseObject({ ...named, identifier: z.string().nullish(), deletedFlag: z.boolean().nullish() });
export const agreementSchema = z.looseObject({
  ...named,
  company: refSchema.nullish(),
  cancelledFlag: z.boolean().nullish(),
  agreementStatus: z.string().nullish(),
});
export const additionSchema = z.looseObject({
  id: z.number(),
  quantity: z.number(),
  product: refSchema.nullish(),
  description: z.string().nullish(),
  agreementId: z.number().nullish(),
  cancelledDate: z.string().nullish(),
});

export const categorySchema = z.looseObject({ ...named, inactiveFlag: z.boolean().nullish() });
export const subcategorySchema = z.looseObject({ ...named, category: refSchema.nullish(), inactiveFlag: z.boolean().nullish() });
export const productTypeSchema = z.looseObject({ ...named, inactiveFlag: z.boolean().nullish() });
export const catalogItemSchema = z.looseObject({
  id: z.number(),
  identifier: z.string(),
  description: z.string().nullish(),
  category: refSchema.nullish(),
  subcategory: refSchema.nullish(),
  type: refSchema.nullish(),
  price: z.number().nullish(),
  inactiveFlag: z.boolean().nullish(),
});

export const ticketSchema = z.looseObject({
  id: z.number(),
  summary: z.string().nullish(),
  board: refSchema.nullish(),
  status: refSchema,
  closedFlag: z.boolean().nullish(),
  externalXRef: z.string().nullish(),
  resources: z.string().nullish(),
  actualHours: z.number().nullish(),
  owner: refSchema.nullish(),
  _info: z.record(z.string(), z.unknown()).nullish(),
});
export type CwTicket = z.infer<typeof ticketSchema>;

export const countSchema = z.looseObject({ count: z.number() });
export const idOnlySchema = z.looseObject({ id: z.number() });
