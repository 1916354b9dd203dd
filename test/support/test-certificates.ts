import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate and its private key, PEM encoded. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** `sha256:<lower-case hex>`, the form agent manifests bind. */
  readonly fingerprint: string;
}

export interface TestPki {
  /** The CA the gateway trusts for client certificates (`gateway.tls.clientCa`). */
  readonly ca: TestCertificate;
  /** The gateway's server certificate for 127.0.0.1, issued by the CA. */
  readonly server: TestCertificate;
  /** Issues a client certificate from the CA, optionally with a SPIFFE URI SAN. */
  client(commonName: string, options?: { readonly spiffeId?: string }): TestCertificate;
  /** A client certificate signed by its own key, not by the CA (optionally claiming a SPIFFE id). */
  selfSigned(commonName: string, options?: { readonly spiffeId?: string }): TestCertificate;
  /** Removes the temp folder the keys were generated in. */
  dispose(): void;
}

// Found on PATH, like any other tool the tests run.
const OPENSSL = 'openssl';
// P-256 keys: generated in milliseconds, unlike RSA.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * A throw-away PKI generated with the `openssl` CLI into a temp folder: real X.509
 * certificates that Node's TLS stack verifies the way it would in production.
 */
export function createTestPki(): TestPki {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'warden-pki-'));
  const file = (name: string) => path.join(directory, name);
  const openssl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
  const read = (name: string): TestCertificate => {
    const cert = readFileSync(file(`${name}.crt`), 'utf8');
    return { cert, key: readFileSync(file(`${name}.key`), 'utf8'), fingerprint: fingerprintOf(cert) };
  };

  openssl('req', '-x509', ...NEW_KEY, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=Warden Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  let serial = 0;
  const issue = (name: string, subject: string, extensions: string): TestCertificate => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...NEW_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-out', file(`${name}.crt`), '-extfile', file(`${name}.ext`));
    return read(name);
  };
  const clientExtensions = (spiffeId: string | undefined) =>
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n${spiffeId ? `subjectAltName=URI:${spiffeId}\n` : ''}`;

  const server = issue('server', '/CN=127.0.0.1', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');

  return {
    ca: read('ca'),
    server,
    client(commonName, options = {}) {
      return issue(`client-${++serial}`, `/CN=${commonName}`, clientExtensions(options.spiffeId));
    },
    selfSigned(commonName, options = {}) {
      const name = `self-${++serial}`;
      const san = options.spiffeId ? ['-addext', `subjectAltName=URI:${options.spiffeId}`] : [];
      openssl('req', '-x509', ...NEW_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`), '-days', '2', '-subj', `/CN=${commonName}`,
        '-addext', 'basicConstraints=CA:FALSE', '-addext', 'extendedKeyUsage=clientAuth', ...san);
      return read(name);
    },
    dispose() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The SHA-256 fingerprint of a PEM certificate as agent manifests write it. */
export function fingerprintOf(pem: string): string {
  return `sha256:${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`;
}
