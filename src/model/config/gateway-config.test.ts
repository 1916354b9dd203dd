import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION } from '../manifests/common.js';
import { GatewayConfigSchema, type GatewayConfig } from './gateway-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Defaults filled in, then checked: what the config loader does. */
function load(raw: Record<string, unknown>): { ok: boolean; config: GatewayConfig } {
  const config = Value.Default(GatewayConfigSchema, structuredClone({ apiVersion: API_VERSION, kind: 'GatewayConfig', ...raw })) as GatewayConfig;
  return { ok: Value.Check(GatewayConfigSchema, config), config };
}

describe('GatewayConfig notify', () => {
  it('takes no channel by default', () => {
    expect(load({}).config.notify).toEqual({});
  });

  it('accepts webhook, Slack and syslog channels, each with an optional minSeverity, and fills syslog defaults', () => {
    const { ok, config } = load({
      notify: {
        webhook: { url: 'https://tickets.example.com/hooks', secret: 'env:HOOK_SECRET', minSeverity: 'medium' },
        slack: { url: 'env:SLACK_WEBHOOK_URL', minSeverity: 'high' },
        syslog: { host: 'siem.example.com', port: 6514 },
      },
    });
    expect(ok).toBe(true);
    expect(config.notify.syslog).toEqual({ host: 'siem.example.com', port: 6514, transport: 'tls', facility: 13, appName: 'warden' });
    expect(config.notify.slack?.minSeverity).toBe('high');
  });

  it.each([
    ['https://hooks.slack.com/services/T1/B2/xyz'],
    ['http://127.0.0.1:9000/hook'],
    ['http://localhost/hook'],
    ['file:/run/secrets/slack-url'],
  ])('accepts the Slack URL %s', (url) => {
    expect(load({ notify: { slack: { url } } }).ok).toBe(true);
  });

  it.each([
    ['a plain-http URL off this machine (the URL is a credential)', { slack: { url: 'http://hooks.example.com/services/T1' } }],
    ['a URL with user:password', { slack: { url: 'https://me:pw@hooks.example.com/x' } }],
    ['a Slack channel without url', { slack: { minSeverity: 'high' } }],
    ['an unknown severity', { slack: { url: 'env:SLACK', minSeverity: 'urgent' } }],
    ['minSeverity none', { webhook: { url: 'https://a.example/h', minSeverity: 'none' } }],
    ['an unknown syslog transport', { syslog: { host: 'siem', port: 514, transport: 'relp' } }],
    ['a syslog port out of range', { syslog: { host: 'siem', port: 70000 } }],
    ['a syslog channel without host', { syslog: { port: 514 } }],
    ['a facility out of range', { syslog: { host: 'siem', port: 514, facility: 24 } }],
    ['an app name with a space', { syslog: { host: 'siem', port: 514, appName: 'war den' } }],
    ['an app name over 48 characters', { syslog: { host: 'siem', port: 514, appName: 'w'.repeat(49) } }],
    ['an unknown key in a channel', { syslog: { host: 'siem', port: 514, format: 'cef' } }],
    ['an unknown channel', { email: { to: 'security@example.com' } }],
    ['a webhook secret that is not a reference', { webhook: { url: 'https://a.example/h', secret: 'whsec_plain' } }],
  ])('refuses %s', (_why, notify) => {
    expect(load({ notify }).ok).toBe(false);
  });
});

describe('GatewayConfig detection', () => {
  it('is on with its defaults when absent', () => {
    const { ok, config } = load({});
    expect(ok).toBe(true);
    expect(config.detection).toEqual({ enabled: true, learningDays: 7, grantGraceDays: 7, baselineSaveSeconds: 60 });
  });

  it('accepts the bounds', () => {
    expect(load({ detection: { enabled: false, learningDays: 1, grantGraceDays: 0, baselineSaveSeconds: 5 } }).ok).toBe(true);
    expect(load({ detection: { learningDays: 90, grantGraceDays: 90, baselineSaveSeconds: 3600 } }).ok).toBe(true);
  });

  it.each([
    [{ learningDays: 0 }],
    [{ learningDays: 91 }],
    [{ learningDays: 1.5 }],
    [{ grantGraceDays: -1 }],
    [{ grantGraceDays: 91 }],
    [{ baselineSaveSeconds: 4 }],
    [{ baselineSaveSeconds: 3601 }],
    [{ enabled: 'yes' }],
    [{ detectors: ['burst'] }],
  ])('refuses %j', (detection) => {
    expect(load({ detection }).ok).toBe(false);
  });
});

/** Every field path of an object schema, down to the fields that are not objects (arrays, records, unions are fields). */
function fieldPaths(schema: TSchema, prefix = ''): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type !== 'object' || properties === undefined) return [prefix];
  return Object.entries(properties).flatMap(([key, child]) => fieldPaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

/** Every object path of the schema too: a docs row may name a whole section. */
function allPaths(schema: TSchema, prefix = ''): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type !== 'object' || properties === undefined) return [prefix];
  return [...(prefix === '' ? [] : [prefix]), ...Object.entries(properties).flatMap(([key, child]) => allPaths(child, prefix === '' ? key : `${prefix}.${key}`))];
}

/**
 * The field paths the first column of the docs' config table names. In a cell, a name with a
 * dot at its start (`.key`) or none at all (`headersMs`) is a sibling of the full path before it;
 * `[]` marks a list, `*` any one key.
 */
function documentedPaths(markdown: string, topLevel: ReadonlySet<string>): string[] {
  const section = markdown.slice(markdown.indexOf('## Configuration (`kind: GatewayConfig`)'));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => {
    let parent = '';
    return [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map(([, token]) => {
      const name = token!.replace(/\[\]$/, '');
      if (name.startsWith('.')) return `${parent}${name}`;
      if (!name.includes('.') && !topLevel.has(name)) return parent === '' ? name : `${parent}.${name}`;
      parent = name.split('.').slice(0, -1).join('.');
      return name;
    });
  });
}

/** True when the documented path, or a section it names, covers the field. */
function covers(documented: string, field: string): boolean {
  const pattern = documented.split('.');
  const segments = field.split('.');
  return pattern.length <= segments.length && pattern.every((segment, index) => segment === '*' || segment === segments[index]);
}

describe('docs/gateway.md and warden.example.yaml stay in step with the schema', () => {
  const markdown = readFileSync(path.join(ROOT, 'docs/gateway.md'), 'utf8');
  const topLevel = new Set(Object.keys(GatewayConfigSchema.properties));
  const documented = documentedPaths(markdown, topLevel);
  // apiVersion and kind are the file's header, not settings.
  const fields = fieldPaths(GatewayConfigSchema).filter((field) => field !== 'apiVersion' && field !== 'kind');

  it('documents every field in the config table', () => {
    expect(fields.filter((field) => !documented.some((entry) => covers(entry, field)))).toEqual([]);
  });

  it('documents no field the schema does not have', () => {
    const known = allPaths(GatewayConfigSchema);
    expect(documented.filter((entry) => !known.some((field) => covers(entry, field)))).toEqual([]);
  });

  it('has an example whose commented-out settings are valid too', () => {
    const text = readFileSync(path.join(ROOT, 'warden.example.yaml'), 'utf8');
    // `  # key: value` lines are settings shown but not applied; the header's prose never has that form.
    const uncommented = text.replace(/^(\s*)# (\s*[A-Za-z][A-Za-z0-9]*:(\s.*)?)$/gm, '$1$2');
    expect(uncommented).not.toBe(text);
    for (const example of [text, uncommented]) {
      const config = Value.Default(GatewayConfigSchema, parse(example));
      expect([...Value.Errors(GatewayConfigSchema, config)].map((error) => `${error.path}: ${error.message}`)).toEqual([]);
    }
  });
});
