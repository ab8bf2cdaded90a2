/**
 * `POST /auth/token` (OAuth2 client credentials, form-encoded; `tenant` in the query or, as
 * some clients send it, in the form) and `GET /api/authinfo`.
 */
import type { SimServer } from '../../common/server';
import type { makeGate } from '../gate';
import type { HaloSimState } from '../state';

const oauthError = (error: string, description?: string) => ({ status: 400, body: description ? { error, error_description: description } : { error } });

export function registerAuthRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>, baseUrl: () => string): void {
  server.route(
    'POST',
    '/auth/token',
    gate.open((req) => {
      if (!/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''))) return oauthError('invalid_request', 'The request must be form-encoded');
      const form = req.form;
      if (form.get('grant_type') !== 'client_credentials') return oauthError('unsupported_grant_type');
      const tenant = req.query.get('tenant') ?? form.get('tenant');
      if (state.tenant !== null && tenant !== state.tenant) return oauthError('invalid_request', 'Unknown tenant');
      const scope = form.get('scope') ?? 'all';
      if (!scope.split(/\s+/).every((s) => s === 'all' || /^(read|edit):[a-z*]+$/i.test(s))) return oauthError('invalid_scope');
      const app = state.applicationOf(form.get('client_id'));
      if (!app || form.get('client_secret') !== app.client_secret) return oauthError('invalid_client');
      if (!app.active) return oauthError('unauthorized_client', 'This application is disabled');
      const agent = state.data.agents.find((a) => a.id === app.agent_id);
      if (!agent || agent.inactive) return oauthError('invalid_grant', 'The agent account for this application is inactive');
      const { token, expiresIn } = state.issueToken(app.client_id, agent.id);
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope } };
    }),
  );
  server.route(
    'GET',
    '/api/authinfo',
    gate.open(() => ({ status: 200, body: { auth_url: `${baseUrl()}/auth`, tenant_id: state.tenant ?? '' } })),
  );
}
