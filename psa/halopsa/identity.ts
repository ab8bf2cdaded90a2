/**
 * Who "we" are in HaloPSA: the agent behind the API application (`GET /api/Agent/me`). Needed to
 * tell our own actions from a technician's. Cached per connection inside the process, since the
 * application's agent does not change while the credentials stay the same.
 */
import type { HaloApi } from './client';
import { agentSchema } from './schemas';
import { PsaUnavailableError } from '../core/errors';

export interface HaloAgent {
  id: string;
  name: string;
}

const agents = new Map<string, HaloAgent>();

export class HaloIdentity {
  constructor(
    private readonly api: HaloApi,
    private readonly cacheKey: string,
  ) {}

  /** The API agent, read once per connection and process. */
  async me(): Promise<HaloAgent> {
    const cached = agents.get(this.cacheKey);
    if (cached) return cached;
    return this.refresh();
  }

  async refresh(): Promise<HaloAgent> {
    const parsed = agentSchema.safeParse(await this.api.get('Agent/me'));
    if (!parsed.success) throw new PsaUnavailableError('HaloPSA returned an unexpected shape for Agent/me');
    const agent = { id: parsed.data.id, name: parsed.data.name ?? `Agent ${parsed.data.id}` };
    agents.set(this.cacheKey, agent);
    return agent;
  }
}
