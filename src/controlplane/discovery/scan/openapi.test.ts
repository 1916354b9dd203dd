import { describe, expect, it } from 'vitest';
import { describeOpenApi, parseSpecText } from './openapi.js';

describe('parseSpecText', () => {
  it('reads JSON, YAML and a byte-order mark alike', () => {
    expect(parseSpecText('{"openapi":"3.1.0"}', 'application/json')).toEqual({ openapi: '3.1.0' });
    expect(parseSpecText('openapi: 3.1.0\npaths: {}\n', 'text/plain')).toEqual({ openapi: '3.1.0', paths: {} });
    expect(parseSpecText('\uFEFF{"swagger":"2.0"}', '')).toEqual({ swagger: '2.0' });
  });

  it('does not parse HTML, broken YAML, or an alias bomb', () => {
    expect(parseSpecText('openapi: 3.0.0', 'text/html')).toBeUndefined();
    expect(parseSpecText('  <!doctype html><html></html>', 'application/octet-stream')).toBeUndefined();
    expect(parseSpecText('a: [1, 2\nb: {', 'application/yaml')).toBeUndefined();
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) levels.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10).fill(`*${String.fromCharCode(96 + level)}`).join(',')}]`);
    expect(parseSpecText(levels.join('\n'), 'application/yaml')).toBeUndefined();
  });
});

describe('describeOpenApi', () => {
  it('wants a 3.x or 2.0 version and a paths object', () => {
    expect(describeOpenApi({ openapi: '3.1.0', paths: {} }, 'https://h/openapi.json')).toBeDefined();
    expect(describeOpenApi({ swagger: 2, paths: {} }, 'https://h/swagger.yaml')?.finding.specVersion).toBe('2.0');
    expect(describeOpenApi({ openapi: '4.0.0', paths: {} }, 'https://h/x')).toBeUndefined();
    expect(describeOpenApi({ swagger: '1.2', paths: {} }, 'https://h/x')).toBeUndefined();
    expect(describeOpenApi({ openapi: '3.0.0', paths: [] }, 'https://h/x')).toBeUndefined();
    expect(describeOpenApi({ openapi: '3.0.0' }, 'https://h/x')).toBeUndefined();
    expect(describeOpenApi('openapi: 3.0.0', 'https://h/x')).toBeUndefined();
  });

  it('resolves relative servers against the document URL and keeps templated ones as written', () => {
    const servers = (document: object): unknown => describeOpenApi({ openapi: '3.0.0', paths: {}, ...document }, 'https://h:8443/docs/openapi.json')?.finding.servers;
    expect(servers({})).toEqual(['https://h:8443/']);
    expect(servers({ servers: [{ url: 'v2' }, { url: 'https://{region}.example.com/api' }, { url: 'https://api.example.com' }] }))
      .toEqual(['https://h:8443/docs/v2', 'https://{region}.example.com/api', 'https://api.example.com/']);
    const swagger = describeOpenApi({ swagger: '2.0', paths: {}, basePath: '/v1' }, 'http://h:8080/v2/api-docs');
    expect(swagger?.finding.servers).toEqual(['http://h:8080/v1']);
  });

  it('gives the same fingerprint to the same document whatever its key order', () => {
    const one = describeOpenApi({ openapi: '3.0.0', info: { title: 'A', version: '1' }, paths: {} }, 'https://h/a');
    const two = describeOpenApi({ paths: {}, info: { version: '1', title: 'A' }, openapi: '3.0.0' }, 'https://h/b');
    expect(one?.fingerprint).toBe(two?.fingerprint);
  });
});
