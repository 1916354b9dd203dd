/**
 * The smallest fleet the identity tests need: a `crm` API with one read operation and a
 * `reader` role granting it. `${UPSTREAM}` is filled in by startHarness.
 */
export const CRM_API = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /crm
  operations:
    - { id: getCustomer, method: GET, path: "/customers/{customerId}", parameters: [{ name: customerId, in: path }] }
`;

export const READER_ROLE = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: reader }
spec:
  grants:
    - { api: crm, operations: [getCustomer] }
`;
