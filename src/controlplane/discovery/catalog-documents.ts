import type { ApiManifest } from '../../model/manifests/index.js';
import { joinPath } from '../../policy/path-template.js';
import type { DocumentedApi, DocumentedOperation } from './documented-operation.js';

/**
 * The catalog's `Api` manifests as documentation: their declared operations under the
 * basePath, with the API's owner. A deprecated or retired API makes every operation of it
 * deprecated, so traffic to it is zombie traffic.
 */
export function catalogDocuments(apis: readonly ApiManifest[]): DocumentedApi[] {
  return apis.map((api) => {
    const lifecycle = api.spec.lifecycle;
    const apiDeprecated = lifecycle.status !== 'active';
    const operations: DocumentedOperation[] = api.spec.operations.map((operation) => ({
      api: api.metadata.name,
      version: 'catalog',
      method: operation.method,
      // Joined exactly as the gateway routes it: `/` under `/crm` is `/crm`.
      template: joinPath(api.spec.basePath, operation.path),
      operationId: operation.id,
      deprecated: apiDeprecated || operation.deprecated,
      sunset: lifecycle.sunset,
      dataClasses: operation.dataClasses ?? api.spec.dataClasses,
    }));
    const owner = api.spec.owner.trim();
    return { name: api.metadata.name, owner: owner === '' ? undefined : owner, source: 'catalog', files: [], versions: ['catalog'], basePath: api.spec.basePath, operations };
  });
}
