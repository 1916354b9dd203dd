import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultGatewayConfig } from '../../config/gateway-config-file.js';
import { AuditSinkConfigError, buildSinks } from './sink-from-config.js';

const CONTEXT = { baseDirectory: '/nonexistent', env: {}, productVersion: '0.1.0' };

function loaderProblems(sinks: unknown[]): string {
  try {
    defaultGatewayConfig({ audit: { sinks } });
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe('audit sink config', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'warden-sink-config-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('fills in the defaults of each type through the gateway config loader', () => {
    const config = defaultGatewayConfig({
      audit: {
        sinks: [
          { name: 'siem', type: 'syslog', host: 'siem.example', port: 6514 },
          { name: 'hook', type: 'webhook', url: 'https://siem.example/in', secret: 'env:HOOK_KEY' },
          { name: 'file', type: 'jsonl', file: 'audit/export.jsonl' },
        ],
      },
    });
    expect(config.audit.sinks).toEqual([
      { name: 'siem', type: 'syslog', host: 'siem.example', port: 6514, transport: 'tls', format: 'json', facility: 13, enterpriseId: 32473, timeoutMs: 10_000, batchSize: 500 },
      { name: 'hook', type: 'webhook', url: 'https://siem.example/in', secret: 'env:HOOK_KEY', format: 'json', body: 'array', timeoutMs: 10_000, batchSize: 100 },
      { name: 'file', type: 'jsonl', file: 'audit/export.jsonl', format: 'json', maxBytes: 104_857_600, rotateDaily: false, keep: 10, fsync: true, batchSize: 500 },
    ]);
  });

  it('names the field that is wrong, not the defaulted ones, and rejects unknown fields and types', () => {
    const badPort = loaderProblems([{ name: 'siem', type: 'syslog', host: 'h', port: 'six' }]);
    expect(badPort).toMatch(/audit\.sinks\.0\.port: must be a whole number/);
    expect(badPort).not.toMatch(/missing required field "transport"/);

    expect(loaderProblems([{ name: 'siem', type: 'syslog', host: 'h', port: 514, tranport: 'tcp' }])).toMatch(/unknown field "tranport"[\s\S]*transport/);
    expect(loaderProblems([{ name: 'siem', type: 'syslog', host: 'h', port: 514, format: 'leef' }])).toMatch(/"leef" is not one of json, cef, ocsf/);
    expect(loaderProblems([{ name: 'siem', type: 'splunk' }])).toMatch(/type "splunk" is not one of syslog, webhook, jsonl/);
    expect(loaderProblems([{ name: 'file', type: 'jsonl', file: 'x', format: 'cef' }])).toMatch(/"cef" is not one of json, ocsf/);
  });

  it('accepts https, and http only to this machine; never credentials in the URL', () => {
    const hook = (url: string) => loaderProblems([{ name: 'hook', type: 'webhook', url, secret: 'env:K' }]);
    expect(hook('https://siem.example:8443/in?x=1')).toBe('');
    expect(hook('http://127.0.0.1:9000/in')).toBe('');
    expect(hook('http://localhost/in')).toBe('');
    expect(hook('http://[::1]:8080')).toBe('');
    expect(hook('http://siem.example/in')).toMatch(/audit\.sinks\.0\.url: "http:\/\/siem.example\/in" is not valid/);
    expect(hook('https://user:pass@siem.example/in')).toMatch(/is not valid/);
    expect(hook('http://127.0.0.1.evil.example/in')).toMatch(/is not valid/);
  });

  it('refuses duplicate names, an unreadable CA file and an unresolvable secret, saying what to do', () => {
    const build = (sinks: unknown[], env: NodeJS.ProcessEnv = {}) => {
      try {
        buildSinks(sinks, { ...CONTEXT, baseDirectory: directory, env });
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(AuditSinkConfigError);
        return (error as Error).message;
      }
    };
    expect(build([{ name: 'a', type: 'jsonl', file: 'a' }, { name: 'a', type: 'jsonl', file: 'b' }])).toMatch(/audit\.sinks\.1 \(a\): the name "a" is also sink 0's\n {2}fix: give every sink its own name/);
    expect(build([{ name: 's', type: 'syslog', host: 'h', port: 6514, caFile: 'missing-ca.pem' }])).toMatch(new RegExp(`caFile ${path.join(directory, 'missing-ca.pem').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read \\(ENOENT\\)`));
    expect(build([{ name: 'h', type: 'webhook', url: 'https://siem.example', secret: 'env:SIEM_HOOK_KEY' }])).toMatch(/secret env:SIEM_HOOK_KEY cannot be resolved: environment variable SIEM_HOOK_KEY is not set; set environment variable SIEM_HOOK_KEY/);
    expect(build([{ name: 'h', type: 'webhook', url: 'https://siem.example', secret: 'file:keys/hook.key' }])).toContain(path.join(directory, 'keys/hook.key'));
  });

  it('resolves a file: secret relative to the config folder and never puts it in a message', async () => {
    const secret = 'whsec_never_in_a_message_0123';
    await writeFile(path.join(directory, 'hook.key'), `${secret}\n`);
    const [sink] = buildSinks([{ name: 'h', type: 'webhook', url: 'https://siem.example/in?token=abc', secret: 'file:hook.key' }], { ...CONTEXT, baseDirectory: directory });
    expect(sink!.transport.target).toBe('webhook https://siem.example');
    expect(JSON.stringify(sink)).not.toContain(secret);
    expect(inspect(sink, { depth: 10, showHidden: true })).not.toContain(secret);
    await sink!.transport.close();
  });
});
