import FindMyWay from 'find-my-way';
import type { HttpMethod } from '../model/manifests/index.js';
import { parsePathTemplate } from './path-template.js';

export interface RoutedOperation {
  readonly method: HttpMethod;
  /** Full path template, base path included. */
  readonly fullPath: string;
}

/** A radix tree of operation templates (find-my-way). Validation and compilation share it, so they agree on what routes. */
export class OperationRouter<T extends RoutedOperation> {
  // Trailing slashes and case are significant and HEAD is its own method: every accepted form is declared.
  readonly #router = FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 1024 });
  readonly #shapes = new Map<string, T>();

  /** Adds an operation, or returns why it cannot be routed (bad template, or the same route as another operation). */
  add(operation: T): { readonly error: string; readonly conflictsWith?: T } | undefined {
    const template = parsePathTemplate(operation.fullPath);
    if ('error' in template) return { error: `path ${operation.fullPath} ${template.error}` };
    const shapeKey = `${operation.method} ${template.shape}`;
    const existing = this.#shapes.get(shapeKey);
    if (existing) return { error: `${operation.method} ${operation.fullPath} is the same route as ${existing.method} ${existing.fullPath}`, conflictsWith: existing };
    try {
      this.#router.on(operation.method, template.routerPath, noop, { operation });
    } catch (error) {
      return { error: `${operation.method} ${operation.fullPath} cannot be routed: ${(error as Error).message}` };
    }
    this.#shapes.set(shapeKey, operation);
    return undefined;
  }

  /** The operation and decoded path parameters for a method and canonical path. */
  find(method: string, path: string): { readonly operation: T; readonly params: Readonly<Record<string, string | undefined>> } | undefined {
    const found = this.#router.find(method as HttpMethod, path);
    if (!found) return undefined;
    // find-my-way lets a parameter match nothing (`/transactions/` → {transactionId: ''}):
    // that would turn a collection path with a trailing slash into an item route.
    const params = found.params;
    for (const name in params) if (params[name] === '') return undefined;
    return { operation: (found.store as { operation: T }).operation, params };
  }
}

function noop(): void {}
