import { describe, expect, it } from 'vitest';
import { planProbes, PROBE_LOCATIONS } from './locations.js';
import { parseTarget } from './targets.js';

describe('planProbes', () => {
  it('probes each location at the origin when there is no base path', () => {
    const planned = planProbes(parseTarget('https://api.example.com/'));
    expect(planned.map((probe) => probe.url)).toEqual(PROBE_LOCATIONS.map((location) => `https://api.example.com${location.path}`));
  });

  it('tries the base path first, then the origin, once per URL, and .well-known at the origin only', () => {
    const urls = planProbes(parseTarget('http://h:8080/api/')).map((probe) => `${probe.kind} ${probe.url}`);
    expect(urls.slice(0, 4)).toEqual(['openapi http://h:8080/api/openapi.json', 'openapi http://h:8080/openapi.json', 'openapi http://h:8080/api/v3/api-docs', 'openapi http://h:8080/v3/api-docs']);
    expect(urls.filter((url) => url === 'openapi http://h:8080/api/openapi.json')).toHaveLength(1);
    expect(urls.filter((url) => url === 'graphql http://h:8080/api/graphql')).toHaveLength(1);
    expect(urls).toContain('openapi http://h:8080/.well-known/openapi.json');
    expect(urls).not.toContain('openapi http://h:8080/api/.well-known/openapi.json');
    expect(new Set(urls).size).toBe(urls.length);
  });
});
