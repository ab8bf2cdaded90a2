/** Where the webhook route still finds the credentials' AAD; it lives in security/credentials.ts. */
export { credentialsAad } from '../security/credentials';
