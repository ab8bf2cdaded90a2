/** The platform's typed clients: one shape each, `create…Client(deps)` (see deps.ts). */
export * from './deps';
export * from './alerts';
export * from './integrations';
export * from './seats';
export * from './reconcile';
export * from './devices';
export * from './directory';
export * from './org-import';
