import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAuditExport, type AuditExport } from '../../src/controlplane/audit/sinks/audit-export.js';
import type { SyslogSinkConfig } from '../../src/model/config/audit-sink-config.js';
import { createTestPki, type TestPki } from '../support/test-certificates.js';
import { eventually, openTestAuditLog, parseRfc5424, seqOf, upTo, type TestAuditLog } from './sink-receivers.js';

/**
 * The syslog sink against Debian's rsyslog, a receiver SIEM pipelines really use: a private
 * rsyslogd (imtcp, octet-counted framing; TLS through the gtls driver) writes each message it
 * parsed to a file. Nothing here is skipped: without rsyslogd the suite fails and says what to
 * install (.ci/run installs it).
 */

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', ...(process.env.PATH ?? '').split(':').map((folder) => path.join(folder, 'rsyslogd'))].find((file) => existsSync(file));
// Debian keeps rsyslog's modules in /usr/lib/<multiarch triplet>/rsyslog.
const GTLS_DRIVER = ['/usr/lib', ...readdirSync('/usr/lib').map((entry) => path.join('/usr/lib', entry))]
  .map((folder) => path.join(folder, 'rsyslog', 'lmnsd_gtls.so'))
  .find((file) => existsSync(file));
const FAST = { minMs: 50, maxMs: 500, refusedMinMs: 500 };

/** A private rsyslogd on a fixed port, writing `MSGID SD MSG` per message to a file. */
class Rsyslog {
  #process: ChildProcess | undefined;
  #stderr = '';
  readonly output: string;

  constructor(
    private readonly directory: string,
    readonly port: number,
    private readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string },
  ) {
    this.output = path.join(directory, 'received.log');
  }

  async start(): Promise<void> {
    const work = path.join(this.directory, 'work');
    await mkdir(work, { recursive: true });
    const conf = path.join(this.directory, 'rsyslog.conf');
    const driver = this.tls
      ? `global(DefaultNetstreamDriverCAFile="${this.tls.ca}" DefaultNetstreamDriverCertFile="${this.tls.cert}" DefaultNetstreamDriverKeyFile="${this.tls.key}")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")`
      : 'module(load="imtcp")';
    await writeFile(conf, `global(workDirectory="${work}" maxMessageSize="64k")
${driver}
template(name="wardenRecord" type="string" string="%msgid% %structured-data% %msg%\\n")
ruleset(name="warden") {
  action(type="omfile" file="${this.output}" template="wardenRecord")
}
input(type="imtcp" address="127.0.0.1" port="${this.port}" ruleset="warden")
`);
    this.#stderr = '';
    const child = spawn(RSYSLOGD!, ['-n', '-f', conf, '-i', path.join(this.directory, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#process = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`rsyslogd did not start listening on 127.0.0.1:${this.port} (exit ${child.exitCode}): ${this.#stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills it the hard way: no chance to say goodbye to the sender. */
  async kill(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The records in the output file, each line checked: rsyslog parsed MSGID and SD from our RFC 5424 frame. */
  async records(): Promise<number[]> {
    const text = existsSync(this.output) ? await readFile(this.output, 'utf8') : '';
    return text.split('\n').filter((line) => line !== '').map((line) => {
      // Our fields, as rsyslog took them apart, back into a message the grammar check reads.
      const parsed = parseRfc5424(`<110>1 - - - - ${line}`);
      expect(parsed.msgId).toBe('allow');
      expect(parsed.structuredData[0]!.id).toBe('warden@32473');
      const seq = seqOf(parsed.msg);
      expect(parsed.structuredData[0]!.params.seq).toBe(String(seq));
      return seq;
    });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let audit: TestAuditLog;
let exporter: AuditExport | undefined;
let rsyslog: Rsyslog | undefined;
let pki: TestPki;

beforeAll(() => {
  if (RSYSLOGD === undefined) throw new Error('rsyslogd is not installed: run `apt-get install -y --no-install-recommends rsyslog rsyslog-gnutls` (CI installs it in .ci/run)');
  if (GTLS_DRIVER === undefined) throw new Error('rsyslog\'s TLS driver (lmnsd_gtls.so) is not installed: run `apt-get install -y --no-install-recommends rsyslog-gnutls`');
  pki = createTestPki();
});

afterAll(() => pki?.dispose());

beforeEach(async () => {
  audit = await openTestAuditLog('warden-rsyslog-');
});

afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await rsyslog?.kill();
  rsyslog = undefined;
  await audit.close();
});

function start(sink: SyslogSinkConfig): AuditExport {
  return startAuditExport({ log: audit.log, cursors: audit.cursors, sinks: [sink], baseDirectory: audit.directory, env: {}, pollMs: 50, backoff: FAST });
}

/** All records arrive; rsyslogd is killed; more records; rsyslogd again on the same port; every record exactly once. */
async function survivesKilledReceiver(receiver: Rsyslog, sink: SyslogSinkConfig): Promise<void> {
  await receiver.start();
  audit.append(40);
  exporter = start(sink);
  await eventually(() => exporter!.status()[0]!.cursor === 40, 'cursor 40', 15_000);
  await expectEventually(() => receiver.records(), upTo(40));

  await receiver.kill();
  audit.append(35);
  exporter.nudge();
  await eventually(() => exporter!.status()[0]!.failures >= 1, 'a failed attempt while rsyslogd is down', 15_000);
  expect(exporter.status()[0]!.cursor).toBe(40);

  await receiver.start();
  await eventually(() => exporter!.status()[0]!.cursor === 75, 'cursor 75', 15_000);
  await expectEventually(() => receiver.records(), upTo(75));
  // A duplicate would show up within a few polls.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await receiver.records()).toEqual(upTo(75));
}

/** Polls until `read` gives `expected`; rsyslog writes its file a little after the socket took the frames. */
async function expectEventually(read: () => Promise<number[]>, expected: number[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await read();
    if (last.length >= expected.length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(last).toEqual(expected);
}

describe('syslog sink into rsyslog', () => {
  it('over TCP: every record arrives exactly once, also after rsyslogd was killed and restarted', async () => {
    const port = await freePort();
    rsyslog = new Rsyslog(audit.directory, port);
    await survivesKilledReceiver(rsyslog, { name: 'rsyslog', type: 'syslog', host: '127.0.0.1', port, transport: 'tcp' });
  });

  it('over TLS (gtls): every record arrives exactly once, also after rsyslogd was killed and restarted', async () => {
    const port = await freePort();
    const file = (name: string) => path.join(audit.directory, name);
    await writeFile(file('ca.pem'), pki.ca.cert);
    await writeFile(file('server.pem'), pki.server.cert);
    await writeFile(file('server.key'), pki.server.key, { mode: 0o600 });
    rsyslog = new Rsyslog(audit.directory, port, { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') });
    await survivesKilledReceiver(rsyslog, { name: 'rsyslog', type: 'syslog', host: '127.0.0.1', port, transport: 'tls', caFile: 'ca.pem' });
  });
});
