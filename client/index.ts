/** The platform's typed clients. */
export * from './alerts';
export * from './integrations';
