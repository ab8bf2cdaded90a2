import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (it also runs inside the workflow sandbox): moves failure messages and stack
 * traces into an encoded attribute, so the payload codec encrypts them like any payload.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
