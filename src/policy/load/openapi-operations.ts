import { dereference, validate, type ParserOptions } from '@readme/openapi-parser';
import { HTTP_METHODS, PARAMETER_TYPES, type HttpMethod, type OperationDeclaration, type ParameterDeclaration, type ParameterType } from '../../model/manifests/index.js';

/** What an OpenAPI document contributes to an `Api`, or why it could not. */
export type OpenApiImport =
  | { readonly ok: true; readonly operations: OperationDeclaration[] }
  | { readonly ok: false; readonly message: string; readonly fix: string };

interface OpenApiParameter {
  name?: string;
  in?: string;
  required?: boolean;
  description?: string;
  schema?: OpenApiSchema;
}
interface OpenApiSchema {
  type?: string | string[];
  format?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  description?: string;
}
interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  deprecated?: boolean;
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
  'x-warden-effect'?: unknown;
  'x-warden-data-classes'?: unknown;
}
type OpenApiPathItem = Partial<Record<Lowercase<HttpMethod>, OpenApiOperation>> & { parameters?: OpenApiParameter[] };

const OPERATION_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const BODY_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Reads an OpenAPI 3.x document and turns each path operation into an operation declaration.
 * Remote `$ref`s are refused: loading policy must never reach the network.
 */
export async function importOpenApiOperations(absolutePath: string): Promise<OpenApiImport> {
  // The resolver honours `http: false` although the typings only describe the object form.
  const options = { resolve: { http: false } } as unknown as ParserOptions;
  let document: { openapi?: string; swagger?: string; paths?: Record<string, OpenApiPathItem> };
  try {
    const result = await validate(absolutePath, options);
    if (!result.valid) {
      const first = result.errors[0]?.message ?? 'invalid document';
      return { ok: false, message: `OpenAPI document is invalid: ${first.split('\n')[0]}`, fix: 'fix the document so it validates against the OpenAPI 3 schema' };
    }
    document = (await dereference(absolutePath, options)) as typeof document;
  } catch (error) {
    return { ok: false, message: `cannot read OpenAPI document: ${(error as Error).message.split('\n')[0]}`, fix: 'check the path (relative to this manifest) and that the file is YAML or JSON' };
  }
  if (document.swagger !== undefined || !String(document.openapi ?? '').startsWith('3.')) {
    return { ok: false, message: `only OpenAPI 3.x documents contribute operations (this is ${document.swagger ? `Swagger ${document.swagger}` : 'not OpenAPI 3'})`, fix: 'convert the document to OpenAPI 3, or declare the operations in the manifest' };
  }
  const operations: OperationDeclaration[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method.toLowerCase() as Lowercase<HttpMethod>];
      if (!operation) continue;
      const id = operation.operationId ?? generatedOperationId(method, path);
      if (!OPERATION_ID.test(id)) {
        return { ok: false, message: `operationId "${id}" of ${method} ${path} is not a valid operation id`, fix: 'use letters, digits, `_`, `.` or `-`, starting with a letter' };
      }
      const declaration: OperationDeclaration = {
        id,
        method,
        path,
        parameters: parametersOf(item.parameters ?? [], operation),
        deprecated: operation.deprecated === true,
      };
      if (operation.summary) declaration.summary = operation.summary;
      const effect = operation['x-warden-effect'];
      if (effect === 'read' || effect === 'write') declaration.effect = effect;
      const dataClasses = operation['x-warden-data-classes'];
      if (Array.isArray(dataClasses) && dataClasses.every((value) => typeof value === 'string')) declaration.dataClasses = dataClasses;
      operations.push(declaration);
    }
  }
  return { ok: true, operations };
}

/** Operation-level parameters override path-level ones of the same name and location. */
function parametersOf(pathLevel: OpenApiParameter[], operation: OpenApiOperation): ParameterDeclaration[] {
  const byKey = new Map<string, ParameterDeclaration>();
  for (const parameter of [...pathLevel, ...(operation.parameters ?? [])]) {
    if (!parameter.name || (parameter.in !== 'path' && parameter.in !== 'query')) continue;
    byKey.set(`${parameter.in}:${parameter.name}`, {
      name: parameter.name,
      in: parameter.in,
      type: parameterType(parameter.schema),
      required: parameter.required === true || parameter.in === 'path',
      ...(parameter.description ? { description: parameter.description } : {}),
    });
  }
  const content = operation.requestBody?.content ?? {};
  const media = BODY_MEDIA_TYPES.find((type) => content[type]?.schema?.properties);
  const bodySchema = media ? content[media]?.schema : undefined;
  for (const [name, schema] of Object.entries(bodySchema?.properties ?? {})) {
    byKey.set(`body:${name}`, {
      name,
      in: 'body',
      type: parameterType(schema),
      required: bodySchema?.required?.includes(name) === true,
      ...(schema.description ? { description: schema.description } : {}),
    });
  }
  return [...byKey.values()];
}

function parameterType(schema: OpenApiSchema | undefined): ParameterType {
  const type = Array.isArray(schema?.type) ? schema?.type.find((candidate) => candidate !== 'null') : schema?.type;
  if (type === 'string' && (schema?.format === 'date' || schema?.format === 'date-time')) return schema.format;
  return (PARAMETER_TYPES as readonly string[]).includes(type ?? '') ? (type as ParameterType) : 'string';
}

/** `GET /customers/{id}/orders` → `getCustomersByIdOrders`, for specs without operationIds. */
function generatedOperationId(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const parameter = /^\{(.+)\}$/.exec(segment);
      const word = (parameter ? `by-${parameter[1]}` : segment).replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase());
      return word.charAt(0).toUpperCase() + word.slice(1);
    });
  return method.toLowerCase() + words.join('');
}
