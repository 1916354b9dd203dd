import { createHash } from 'node:crypto';
import type { FindingKind, ReportedFinding } from '../store/discovery-store.js';
import type { Inventory, InventoryEndpoint } from './inventory.js';

/** The stable id of a finding: the same endpoint or client found again is the same finding. */
export function findingId(kind: FindingKind, subject: string): string {
  return `fnd_${createHash('sha256').update(`${kind}\n${subject}`).digest('hex').slice(0, 12)}`;
}

/** `GET api.example.com/users/{userId}`, or `GET /users/{userId}` when the host is not known. */
export function endpointSubject(endpoint: Pick<InventoryEndpoint, 'method' | 'host' | 'template'>): string {
  return `${endpoint.method} ${endpoint.host ?? ''}${endpoint.template}`;
}

/** What of an inventory needs a person's decision: shadow, zombie and orphan endpoints, and unregistered clients. */
export function findingsOf(inventory: Inventory): ReportedFinding[] {
  const findings: ReportedFinding[] = [];
  for (const endpoint of inventory.endpoints) {
    const kind = endpoint.classification;
    if (kind !== 'shadow' && kind !== 'zombie' && kind !== 'orphan') continue;
    // Documented operations are named by API and template, whatever host the traffic used.
    const subject = endpoint.api !== undefined ? `${endpoint.api}: ${endpoint.method} ${endpoint.template}` : endpointSubject(endpoint);
    findings.push({ id: findingId(kind, subject), kind, subject, details: { ...endpoint } });
  }
  for (const client of inventory.unregisteredClients) {
    findings.push({ id: findingId('unregistered-client', client.client), kind: 'unregistered-client', subject: client.client, details: { ...client } });
  }
  return findings;
}
