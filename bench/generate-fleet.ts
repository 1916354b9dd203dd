import type { AgentManifest, ApiManifest, ManifestSet, RoleManifest } from '../src/model/manifests/index.js';
import type { DecisionRequest } from '../src/policy/decide.js';

export interface FleetSize {
  readonly agents: number;
  readonly apis: number;
  readonly operationsPerApi: number;
  readonly roles: number;
}

/**
 * A synthetic fleet shaped like a real one: every API has reads and constrained writes, every
 * role grants reads by glob on one API and constrained writes on another and forbids one
 * operation, every agent holds two roles.
 */
export function generateFleet(size: FleetSize): ManifestSet {
  const apis: ApiManifest[] = [];
  for (let a = 0; a < size.apis; a++) {
    const operations: ApiManifest['spec']['operations'] = [];
    for (let o = 0; o < size.operationsPerApi; o++) {
      const resource = `resources${Math.floor(o / 2)}`;
      operations.push(
        o % 2 === 0
          ? { id: `get${o}`, method: 'GET', path: `/${resource}/{id}`, parameters: [], deprecated: false }
          : {
              id: `create${o}`,
              method: 'POST',
              path: `/${resource}`,
              parameters: [
                { name: 'amount', in: 'body', type: 'number', required: true },
                { name: 'currency', in: 'body', type: 'string', required: true },
              ],
              deprecated: false,
            },
      );
    }
    apis.push({
      apiVersion: 'warden.dev/v1',
      kind: 'Api',
      metadata: { name: `api-${a}` },
      spec: {
        owner: `team-${a % 17}@example.com`,
        upstream: { url: `http://127.0.0.1:${10_000 + a}` },
        basePath: `/api${a}`,
        mode: 'enforce',
        lifecycle: { status: 'active' },
        sensitivity: 'internal',
        criticality: 'medium',
        dataClasses: a % 3 === 0 ? ['pii'] : ['financial'],
        operations,
      },
    });
  }
  const roles: RoleManifest[] = [];
  for (let r = 0; r < size.roles; r++) {
    roles.push({
      apiVersion: 'warden.dev/v1',
      kind: 'Role',
      metadata: { name: `role-${r}` },
      spec: {
        grants: [
          { api: `api-${r % size.apis}`, operations: ['GET /**'], stepUp: false, rateLimit: '100/s' },
          {
            api: `api-${(r + 1) % size.apis}`,
            operations: ['POST /**'],
            params: { amount: { min: 0, max: 1000 }, currency: { enum: ['EUR', 'USD'] } },
            stepUp: false,
          },
        ],
        forbid: [{ api: `api-${(r + 1) % size.apis}`, operations: ['create1'] }],
      },
    });
  }
  const agents: AgentManifest[] = [];
  for (let i = 0; i < size.agents; i++) {
    agents.push({
      apiVersion: 'warden.dev/v1',
      kind: 'Agent',
      metadata: { name: `agent-${i}` },
      spec: {
        owner: `owner-${i % 101}@example.com`,
        purpose: 'Synthetic benchmark agent',
        roles: [`role-${i % size.roles}`, `role-${(i * 7 + 3) % size.roles}`],
        state: 'active',
        credentials: [],
      },
    });
  }
  return { apis, roles, agents };
}

/**
 * A request mix: 60% allowed reads, 20% allowed constrained writes, 10% not granted,
 * 10% denied by a parameter bound. Deterministic (seeded), so runs compare.
 */
export function generateRequests(size: FleetSize, count: number, time: number): DecisionRequest[] {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const requests: DecisionRequest[] = [];
  for (let n = 0; n < count; n++) {
    const i = Math.floor(random() * size.agents);
    const role = i % size.roles;
    const pick = random();
    const agent = `agent-${i}`;
    const resource = Math.floor((random() * size.operationsPerApi) / 2);
    if (pick < 0.6) {
      requests.push({ agent, method: 'GET', path: `/api${role % size.apis}/resources${resource}/${n}`, time });
    } else if (pick < 0.8 || pick >= 0.9) {
      const write = Math.max(1, resource) * 2 + 1 < size.operationsPerApi ? Math.max(1, resource) : 1;
      const amount = pick < 0.8 ? 250 : 5000;
      requests.push({ agent, method: 'POST', path: `/api${(role + 1) % size.apis}/resources${write}`, body: { amount, currency: 'EUR' }, time });
    } else {
      requests.push({ agent, method: 'GET', path: `/api${(role + 57) % size.apis}/resources${resource}/${n}`, time });
    }
  }
  return requests;
}
