import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A verified client certificate's identifiers, the way agent bindings name them. */
export type PeerCertificate =
  | { readonly verified: true; readonly fingerprint: string; readonly spiffeIds: readonly string[] }
  | { readonly verified: false; readonly reason: string };

// One TLS connection carries many requests: read the certificate once per connection.
const perConnection = new WeakMap<Socket, PeerCertificate | null>();

/** The client certificate of an mTLS connection, or undefined when none was presented. */
export function peerCertificate(socket: Socket): PeerCertificate | undefined {
  const known = perConnection.get(socket);
  if (known !== undefined) return known ?? undefined;
  const found = readPeerCertificate(socket);
  perConnection.set(socket, found ?? null);
  return found;
}

function readPeerCertificate(socket: Socket): PeerCertificate | undefined {
  const tls = socket as TLSSocket;
  if (tls.encrypted !== true) return undefined;
  const certificate = tls.getPeerCertificate();
  if (certificate === null || certificate.raw === undefined) return undefined;
  // Only a chain to the configured client CA counts; a self-signed certificate is no identity.
  if (!tls.authorized) return { verified: false, reason: `the client certificate is not trusted (${String(tls.authorizationError)})` };
  const fingerprint = `sha256:${certificate.fingerprint256.replaceAll(':', '').toLowerCase()}`;
  const spiffeIds = (certificate.subjectaltname ?? '')
    .split(', ')
    .filter((name) => name.startsWith('URI:spiffe://'))
    .map((name) => name.slice(4));
  return { verified: true, fingerprint, spiffeIds };
}
