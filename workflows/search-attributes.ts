/**
 * Custom search attributes on every psa-sync workflow, so ops can filter runs in the Web UI
 * (e.g. `PsaPartnerId = "…" AND PsaVendor = "autotask"`). Registered when the dev server starts
 * and by `worker/register-search-attributes.ts` on other servers.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PartnerIdKey = defineSearchAttributeKey('PsaPartnerId', SearchAttributeType.KEYWORD);
export const VendorKey = defineSearchAttributeKey('PsaVendor', SearchAttributeType.KEYWORD);
export const LifecycleStateKey = defineSearchAttributeKey('PsaLifecycleState', SearchAttributeType.KEYWORD);
export const OrganizationIdKey = defineSearchAttributeKey('PsaOrganizationId', SearchAttributeType.KEYWORD);
export const ProblemKey = defineSearchAttributeKey('PsaProblem', SearchAttributeType.KEYWORD);
export const TicketStateKey = defineSearchAttributeKey('PsaTicketState', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  PartnerIdKey,
  VendorKey,
  LifecycleStateKey,
  OrganizationIdKey,
  ProblemKey,
  TicketStateKey,
] as const;
