import { INSTANCE_REGIONS, INSTANCE_SIZES, type Instance, type SeedData } from './seed-data.js';
import { created, createRouter, fail, now, ok, requiredString, type RequestHandler } from './upstream-http.js';

/** IT operations of examples/apis/it-ops.yaml under /itops: the compute fleet. */
export function createItOpsUpstream(seed: SeedData): RequestHandler {
  const instances = new Map(seed.instances.map((instance) => [instance.id, instance]));
  let provisioned = 0;

  const instance = (id: string): Instance => instances.get(id) ?? fail(404, `no instance ${id}`);

  return createRouter([
    {
      method: 'GET',
      path: '/itops/compute/instances',
      handle: ({ query }) => {
        const region = query.get('region');
        const state = query.get('state');
        const matches = [...instances.values()].filter((each) => (region === null || each.region === region) && (state === null || each.state === state));
        return ok({ count: matches.length, instances: matches });
      },
    },
    {
      method: 'GET',
      path: '/itops/compute/instances/{instanceId}',
      handle: ({ param }) => ok(instance(param('instanceId'))),
    },
    {
      method: 'POST',
      path: '/itops/compute/instances',
      handle: ({ body }) => {
        const size = requiredString(body, 'size');
        const region = requiredString(body, 'region');
        if (!INSTANCE_SIZES.includes(size)) fail(400, `unknown size "${size}"; known: ${INSTANCE_SIZES.join(', ')}`);
        if (!INSTANCE_REGIONS.includes(region)) fail(400, `unknown region "${region}"; known: ${INSTANCE_REGIONS.join(', ')}`);
        provisioned += 1;
        // Ids of provisioned machines are counted, not random, so repeated demos show the same ids.
        const id = `i-1${String(provisioned).padStart(7, '0')}`;
        const launched: Instance = { id, name: `provisioned-${provisioned}`, size, region, state: 'pending', privateIp: `10.${INSTANCE_REGIONS.indexOf(region)}.250.${provisioned}`, launchedAt: now(), lastRestartAt: null };
        instances.set(id, launched);
        return created(launched);
      },
    },
    {
      method: 'POST',
      path: '/itops/compute/instances/{instanceId}/restart',
      handle: ({ param }) => {
        // A restart also starts a stopped machine, as cloud consoles do.
        const restarted: Instance = { ...instance(param('instanceId')), state: 'running', lastRestartAt: now() };
        instances.set(restarted.id, restarted);
        return ok(restarted);
      },
    },
    {
      method: 'DELETE',
      path: '/itops/compute/instances/{instanceId}',
      handle: ({ param }) => {
        const { id, name } = instance(param('instanceId'));
        instances.delete(id);
        return ok({ id, name, state: 'terminated', terminatedAt: now() });
      },
    },
  ]);
}
