import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './gateway-config-file.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('warden.example.yaml', () => {
  it('is a valid config that docs/gateway.md describes, defaults filled in', async () => {
    const { config, baseDirectory } = await loadGatewayConfig(path.join(ROOT, 'warden.example.yaml'));
    expect(baseDirectory).toBe(ROOT);
    expect(config.rateLimits.backend).toBe('memory');
    expect(config.stepUp).toMatchObject({ pendingSeconds: 900, useWithinSeconds: 300, maxWaitSeconds: 30, maxPendingPerAgent: 10 });
    expect(config.gateway.region).toBe('eu');
  });
});
