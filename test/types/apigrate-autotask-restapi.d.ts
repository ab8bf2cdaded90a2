// The package ships no types; the fidelity test uses it untyped on purpose (as its users do).
declare module '@apigrate/autotask-restapi' {
  export const AutotaskRestApi: new (user: string, secret: string, code: string, options?: { base_url?: string; version?: string }) => any;
}
