/** Every activity of the integration lifecycle workflow, built from injected dependencies. */
import type { ActivityDeps } from './deps';
import { createConnectActivities } from './lifecycle-connect';
import { createMappingActivities } from './lifecycle-mappings';
import { createRevokeActivities } from './lifecycle-revoke';
import { lifecycleContext } from './lifecycle-support';

export function createLifecycleActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  return {
    ...createConnectActivities(ctx),
    ...createMappingActivities(ctx),
    ...createRevokeActivities(ctx),
  };
}

export type LifecycleActivities = ReturnType<typeof createLifecycleActivities>;
