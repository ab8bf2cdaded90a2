/** zod shapes of assets, asset types, customers, sites, top levels and users as HaloPSA answers them. */
import { z } from 'zod';
import { haloId, looseBool } from './schemas';

const text = z.string().nullish();
const fieldValue = z.union([z.string(), z.number(), z.boolean()]).nullish();

export const assetSchema = z.looseObject({
  id: haloId,
  inventory_number: text,
  key_field: text,
  client_id: haloId.nullish(),
  site_id: haloId.nullish(),
  assettype_id: haloId.nullish(),
  inactive: looseBool.optional(),
  last_modified: text,
  third_party_id_string: text,
  users: z.array(z.looseObject({ id: haloId })).nullish(),
  fields: z.array(z.looseObject({ id: haloId, name: text, value: fieldValue })).nullish(),
  customfields: z.array(z.looseObject({ id: haloId, name: text, label: text, type: z.union([z.number(), z.string()]).nullish(), value: fieldValue })).nullish(),
});
export type HaloAsset = z.output<typeof assetSchema>;

export const assetTypeSchema = z.looseObject({
  id: haloId,
  name: z.string(),
  inactive: looseBool.optional(),
  keyfield_id: haloId.nullish(),
  assetgroup_id: haloId.nullish(),
  fields: z.array(z.looseObject({ id: haloId, name: z.string() })).nullish(),
});
export type HaloAssetType = z.output<typeof assetTypeSchema>;

export const clientRecordSchema = z.looseObject({ id: haloId, name: z.string(), inactive: looseBool.optional(), toplevel_id: haloId.nullish() });
export const siteSchema = z.looseObject({ id: haloId, name: z.string(), client_id: haloId.nullish(), inactive: looseBool.optional() });
export const topLevelSchema = z.looseObject({ id: haloId, name: z.string() });
export const userSchema = z.looseObject({
  id: haloId,
  name: text,
  firstname: text,
  surname: text,
  emailaddress: text,
  login: text,
  inactive: looseBool.optional(),
});
