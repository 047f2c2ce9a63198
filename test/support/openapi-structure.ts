/**
 * A structural check of an OpenAPI 3.1 document: the fields the specification requires, the shapes of
 * operations, parameters, responses and security, and every $ref resolving. Each problem is one line.
 * (JSON Schema validity of components.schemas and of the examples is checked with Ajv by the test.)
 */
type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PATH_ITEM_FIELDS = new Set([...METHODS, '$ref', 'summary', 'description', 'servers', 'parameters']);
const PARAMETER_LOCATIONS = new Set(['query', 'header', 'path', 'cookie']);
const STATUS = /^([1-5](\d\d|XX)|default)$/;
const MEDIA_TYPE = /^[a-z*]+\/[a-z0-9.+*-]+$/i;
const COMPONENT_KEY = /^[a-zA-Z0-9._-]+$/;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value a local `#/a/b` reference points at, or undefined. */
export function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[key];
    if (node === undefined) return undefined;
  }
  return node;
}

/** Every `$ref` of the document with the JSON pointer of where it stands. */
export function allRefs(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (Array.isArray(node)) return node.flatMap((child, index) => allRefs(child, `${at}/${index}`));
  if (!isObject(node)) return [];
  return Object.entries(node).flatMap(([key, child]) => {
    const here = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return key === '$ref' && typeof child === 'string' ? [{ at: here, ref: child }] : allRefs(child, here);
  });
}

export function openApiProblems(document: Json): string[] {
  const problems: string[] = [];
  const problem = (where: string, what: string) => problems.push(`${where}: ${what}`);
  const deref = (value: unknown): Json => {
    let node = value;
    for (let hops = 0; isObject(node) && typeof node.$ref === 'string' && hops < 10; hops++) node = resolvePointer(document, node.$ref);
    return isObject(node) ? node : {};
  };

  if (typeof document.openapi !== 'string' || !/^3\.1\.\d+$/.test(document.openapi)) problem('openapi', 'must be 3.1.x');
  const info = document.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string')
    problem('info', 'needs title and version strings');
  if (!isObject(document.paths)) problem('paths', 'must be an object');

  for (const { at, ref } of allRefs(document)) {
    if (resolvePointer(document, ref) === undefined) problem(at, `$ref ${ref} does not resolve`);
  }

  const components = isObject(document.components) ? document.components : {};
  for (const [section, entries] of Object.entries(components)) {
    for (const key of Object.keys(isObject(entries) ? entries : {}))
      if (!COMPONENT_KEY.test(key)) problem(`components/${section}/${key}`, 'name has characters not allowed');
  }
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  for (const [name, scheme] of Object.entries(schemes) as [string, Json][]) {
    if (scheme.type === 'apiKey' && (typeof scheme.name !== 'string' || !['query', 'header', 'cookie'].includes(scheme.in as string)))
      problem(`securityScheme ${name}`, 'apiKey needs name and in');
    else if (scheme.type === 'http' && typeof scheme.scheme !== 'string') problem(`securityScheme ${name}`, 'http needs scheme');
    else if (!['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(scheme.type as string))
      problem(`securityScheme ${name}`, 'unknown type');
  }

  const tags = new Set(((document.tags as Json[] | undefined) ?? []).map((tag) => tag.name));
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    if (!path.startsWith('/')) problem(path, 'must start with /');
    const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]));
    for (const key of Object.keys(item)) if (!PATH_ITEM_FIELDS.has(key) && !key.startsWith('x-')) problem(path, `unknown field ${key}`);
    for (const method of METHODS.filter((name) => isObject(item[name]))) {
      const where = `${method.toUpperCase()} ${path}`;
      const operation = item[method] as Json;
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId)) problem(where, `operationId ${operation.operationId} is not unique`);
        operationIds.add(operation.operationId);
      }
      for (const tag of (operation.tags as string[] | undefined) ?? []) if (!tags.has(tag)) problem(where, `tag ${tag} is not declared`);
      for (const requirement of (operation.security as Json[] | undefined) ?? []) {
        for (const name of Object.keys(requirement)) if (!(name in schemes)) problem(where, `security names unknown scheme ${name}`);
      }
      const parameters = [...((item.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])].map(deref);
      const seen = new Set<string>();
      for (const parameter of parameters) {
        const id = `${parameter.in} ${parameter.name}`;
        if (typeof parameter.name !== 'string' || !PARAMETER_LOCATIONS.has(parameter.in as string))
          problem(where, `parameter ${id} needs name and a valid in`);
        if (seen.has(id)) problem(where, `parameter ${id} is listed twice`);
        seen.add(id);
        if ('schema' in parameter === 'content' in parameter) problem(where, `parameter ${id} needs exactly one of schema and content`);
        if (parameter.in === 'path' && (parameter.required !== true || !templated.has(parameter.name as string)))
          problem(where, `path parameter ${parameter.name} must be required and in the path`);
      }
      for (const name of templated) if (!seen.has(`path ${name}`)) problem(where, `path parameter ${name} is not declared`);
      if (operation.requestBody !== undefined) checkContent(deref(operation.requestBody).content, `${where} requestBody`, problem);
      const responses = isObject(operation.responses) ? operation.responses : {};
      if (!Object.keys(responses).length) problem(where, 'has no responses');
      for (const [status, value] of Object.entries(responses)) {
        const response = deref(value);
        if (!STATUS.test(status)) problem(where, `response key ${status} is not a status code`);
        if (typeof response.description !== 'string') problem(`${where} ${status}`, 'response needs a description');
        if (response.content !== undefined) checkContent(response.content, `${where} ${status}`, problem);
      }
    }
  }
  return problems;
}

function checkContent(content: unknown, where: string, problem: (where: string, what: string) => void): void {
  if (!isObject(content) || !Object.keys(content).length) return problem(where, 'content must name at least one media type');
  for (const [type, media] of Object.entries(content)) {
    if (!MEDIA_TYPE.test(type)) problem(where, `media type ${type} is malformed`);
    if (isObject(media) && 'example' in media && 'examples' in media) problem(where, `${type} has both example and examples`);
  }
}
