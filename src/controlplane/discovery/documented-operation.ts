/** One operation a team documented: from an OpenAPI document or from an `Api` manifest in the catalog. */
export interface DocumentedOperation {
  /** The API it belongs to: the catalog name, or the document's `info.title`. */
  readonly api: string;
  /** The document version (`info.version`) or `catalog`. */
  readonly version: string;
  readonly method: string;
  /** Full path template, server path or basePath included, e.g. `/v1/customers/{id}`. */
  readonly template: string;
  readonly operationId: string;
  readonly deprecated: boolean;
  /** YYYY-MM-DD from which the operation is gone (`x-sunset`, or the API's lifecycle sunset). */
  readonly sunset: string | undefined;
  /** Data classes the operation is documented to return. */
  readonly dataClasses: readonly string[];
  /** Set on operations of an older version that the newest version of the API no longer has. */
  readonly removedIn?: string;
}

/** An API with its documented versions, newest last, and its owner when the catalog knows it. */
export interface DocumentedApi {
  readonly name: string;
  readonly owner: string | undefined;
  readonly source: 'openapi' | 'catalog';
  /** Where its documents came from (files, or the catalog). */
  readonly files: readonly string[];
  readonly versions: readonly string[];
  /** The catalog API's base path: undocumented calls under it are that API's. */
  readonly basePath?: string;
  /** The newest version's operations, plus those only older versions had (marked `removedIn`). */
  readonly operations: readonly DocumentedOperation[];
}
