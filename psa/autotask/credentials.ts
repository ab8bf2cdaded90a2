import { z } from 'zod';

/**
 * What a partner types in for Autotask: the API user's user name (its "key") and secret. The API
 * tracking identifier (integration code) belongs to the vendor and is deployment configuration
 * (`AdapterContext.integrationId`); it is accepted here only so stored connections keep working.
 */
export const autotaskCredentialsSchema = z
  .object({
    apiUser: z.string().trim().min(3, 'Enter the API user name (the Key generated in Autotask)').max(254),
    secret: z.string().trim().min(1, 'Enter the API user secret').max(128),
    integrationCode: z.string().trim().min(1, 'The API tracking identifier (integration code) is empty').max(128).optional(),
  })
  .strict();

export type AutotaskCredentials = z.infer<typeof autotaskCredentialsSchema>;

/** Zone URLs must be Autotask's own hosts (the only other source of a URL here is zone discovery). */
export const AUTOTASK_HOST_PATTERNS = ['*.autotask.net'];
