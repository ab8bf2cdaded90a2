/**
 * zod schemas of the HaloPSA responses the adapter reads. Halo's shapes vary by build: ids come
 * back as numbers or numeric strings, lists are plain arrays on some endpoints and wrapped
 * (`{record_count, clients}`) on others, so everything here is lenient and keeps unknown keys.
 */
import { z } from 'zod';

/** An id as Halo sends it (number or string), normalised to a trimmed string. */
export const haloId = z.union([z.number(), z.string()]).transform((v) => String(v).trim());

/** Booleans arrive as true/false, 0/1 or "true"/"True". */
export const looseBool = z
  .union([z.boolean(), z.number(), z.string()])
  .transform((v) => v === true || v === 1 || (typeof v === 'string' && /^(true|1|yes)$/i.test(v.trim())));

const optionalId = haloId.nullish();
const optionalText = z.string().nullish();

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export const agentSchema = z.looseObject({ id: haloId, name: optionalText, inactive: looseBool.optional() });

export const ticketTypeSchema = z.looseObject({
  id: haloId,
  name: z.string(),
  inactive: looseBool.optional(),
  visible: looseBool.optional(),
  // The SLA field name differs between Halo builds.
  default_sla: optionalId,
  default_sla_id: optionalId,
  sla_id: optionalId,
  initial_status: optionalId,
});
export type HaloTicketType = z.output<typeof ticketTypeSchema>;

export const slaSchema = z.looseObject({ id: haloId, name: z.string() });

/** One row per (SLA, priority); a ticket's priority_id is `priorityid` under its SLA. */
export const prioritySchema = z.looseObject({
  id: haloId,
  slaid: optionalId,
  priorityid: haloId,
  name: z.string(),
  ishidden: looseBool.optional(),
});
export type HaloPriority = z.output<typeof prioritySchema>;

export const statusSchema = z.looseObject({ id: haloId, name: z.string(), shortname: optionalText });
export type HaloStatus = z.output<typeof statusSchema>;

export const clientSchema = z.looseObject({ id: haloId, name: z.string(), inactive: looseBool.optional() });
export type HaloClient = z.output<typeof clientSchema>;

export const licenceSchema = z.looseObject({
  id: haloId,
  name: z.string().nullish(),
  count: z.coerce.number().nullish(),
  client_id: optionalId,
  is_active: looseBool.optional(),
});
export type HaloLicence = z.output<typeof licenceSchema>;

export const ticketSchema = z.looseObject({
  id: haloId,
  summary: optionalText,
  status_id: haloId,
  client_id: optionalId,
  agent_id: optionalId,
  third_party_id: optionalText,
  hasbeenclosed: looseBool.optional(),
  dateclosed: optionalText,
  lastactiondate: optionalText,
});
export type HaloTicket = z.output<typeof ticketSchema>;

export const actionSchema = z.looseObject({
  id: haloId,
  ticket_id: optionalId,
  who_agentid: optionalId,
  who: optionalText,
  outcome: optionalText,
  outcome_id: optionalId,
  actiondatecreated: optionalText,
  note: optionalText,
  note_html: optionalText,
});
export type HaloAction = z.output<typeof actionSchema>;

export const webhookSchema = z.looseObject({ id: haloId });

/** `record_count` of wrapped lists; absent on plain arrays. */
export const recordCountSchema = z.looseObject({ record_count: z.coerce.number().optional() });
