/**
 * The words of detection that manifests use (a `Playbook` names detectors, severities and
 * actions). They live in the model so the manifest schema and the policy loader can check them
 * without importing the control plane; `controlplane/detection/detection-types.ts` and the
 * notification filter use these same lists.
 */

export const SEVERITY_NAMES = ['low', 'medium', 'high', 'critical'] as const;

export const DETECTOR_NAMES = [
  /** Call rate far above the agent's (or its role's) baseline. */
  'burst',
  /** Denials for APIs or operations outside what the agent's roles grant. */
  'scope-probing',
  /** A sensitive operation the agent (and its role) never used, and was not granted recently. */
  'new-sensitive-operation',
  /** Records or bytes far above baseline in a window or a day (slow exfiltration), or one customer's data after another. */
  'bulk-read',
  /** Activity in hours of the week the agent is never active in. */
  'off-hours',
  /** A source country or network the agent never used. */
  'new-network',
  /** Sequential or near-sequential ids walked through one operation. */
  'enumeration',
  /** Fan-out across APIs (systems) the agent does not normally touch. */
  'lateral-movement',
  /** Calls to a deprecated, sunset or retired API or operation, or to undeclared (shadow) paths. */
  'zombie-api',
  /** SQL, command, path-traversal or prompt-injection markers in parameters (a signal, never proof alone). */
  'injection',
  /** One credential used from two places (networks or countries) at once. */
  'credential-sharing',
  /** An answer carried a record of another customer than the task's, and the gateway withheld it. */
  'cross-customer',
] as const;
export type Detector = (typeof DETECTOR_NAMES)[number];

/** What a playbook may do about an alert; none of them grants anything. */
export const RESPONSE_ACTIONS = ['alert', 'throttle', 'require-step-up', 'suspend', 'quarantine', 'revoke-credentials'] as const;
