/** Builds every activity from injected dependencies; the worker registers the result. */
import type { ActivityDeps } from './deps';
import { createSystemActivities } from './system';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
