/** Webhook subscriptions (`/api/Webhook`, uuid ids) and the events one can subscribe to. */
import type { SimServer } from '../../common/server';
import type { makeGate } from '../gate';
import { notFound, plainList } from '../listing';
import type { HaloSimState } from '../state';
import type { SimWebhook } from '../types';
import { records, saved } from './common';

export const WEBHOOK_EVENTS = ['New Ticket Logged', 'Ticket Updated', 'Ticket Status Changed', 'Ticket Closed', 'Action Added'];

// Halo never shows a stored password back.
const view = ({ basic_password: _pw, ...hook }: SimWebhook) => ({ ...hook, events: hook.events.map((name) => ({ name })) });

export function registerWebhookRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>): void {
  server.route('GET', '/api/WebhookEvent', gate.api(null, () => plainList(WEBHOOK_EVENTS.map((name, i) => ({ id: i + 1, name })))));
  server.route('GET', '/api/Webhook', gate.api(null, () => plainList(state.data.webhooks.map(view))));
  server.route('GET', '/api/Webhook/:id', gate.api(null, (req) => {
    const hook = state.data.webhooks.find((h) => h.id === req.params.id);
    return hook ? { status: 200, body: view(hook) } : notFound('Webhook', req.params.id ?? '');
  }));
  server.route('POST', '/api/Webhook', gate.api(null, (req) => saved(records(req).map((r) => view(state.addWebhook(r))))));
  server.route('DELETE', '/api/Webhook/:id', gate.api(null, (req) => {
    const before = state.data.webhooks.length;
    state.data.webhooks = state.data.webhooks.filter((h) => h.id !== req.params.id);
    return state.data.webhooks.length < before ? { status: 200, body: { id: req.params.id } } : notFound('Webhook', req.params.id ?? '');
  }));
}
