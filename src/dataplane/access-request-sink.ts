import type { ErrorCode } from '../model/errors.js';

/** What the control plane answers an agent's own request: a JSON document, or a refusal with a registry code. */
export type SelfServiceAnswer =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/**
 * Where the data plane hands an agent's access requests (DESIGN.md §1: events go up). The agent
 * is the one the gateway identified; nothing in the body can change that. The control plane
 * implements it; a gateway without one answers that access requests are not taken here.
 */
export interface AccessRequestSink {
  /** A new request for more access; `body` is the agent's parsed JSON, checked by the control plane. */
  submit(agent: string, body: unknown): Promise<SelfServiceAnswer>;
  /** One of the agent's own requests. */
  get(agent: string, id: string): Promise<SelfServiceAnswer>;
}
