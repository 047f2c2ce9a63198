import * as http from 'node:http';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

/**
 * Requests generated from an OpenAPI document, and answers checked against it (test/e2e/openapi-fuzz).
 * Valid requests draw each parameter from its schema and seed bodies from the document's own examples;
 * invalid ones break one thing. An answer must carry a status its operation documents, a documented
 * content type, a body valid against that response's schema, and its declared headers as declared.
 */

// biome-ignore lint/suspicious/noExplicitAny: a walked OpenAPI document is any JSON; the checks narrow it
export type Json = Record<string, any>;

export const ENV = 'fuzz';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'patch'] as const;

export interface Operation {
  method: string;
  path: string;
  pointer: string;
  op: Json;
  parameters: Json[];
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Set when a parameter breaks its documented schema: the service must refuse the request (4xx). */
  breaks?: string;
}

/** Values that break many a parameter schema (a pattern, a length, a range, a type). */
const BREAKING_VALUES = ['', ' ', 'a b', 'x'.repeat(300), '-1', '0', '2147483648', 'abc', '1.5', '{}'];

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');
/** Header values carry bytes 0x20-0x7e here: Node's client refuses others before they reach the server. */
export const headerSafe = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim();

function resolve(document: Json, node: Json): { node: Json; pointer: string | null } {
  if (typeof node?.$ref !== 'string') return { node, pointer: null };
  const pointer = node.$ref as string;
  const target = pointer
    .slice(2)
    .split('/')
    .reduce((at: Json, part: string) => at[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
  return { node: target, pointer };
}

export class Fuzzer {
  readonly ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
  readonly seen = new Map<string, Set<number>>();
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  sent = 0;

  constructor(
    readonly document: Json,
    readonly port: number,
    readonly hints: {
      adminKey: string;
      readerKey: string;
      bearer: string;
      clientId: string;
      clientSecret: string;
      mapTokenIds: number[];
      secretIds: string[];
      arcgisTokenUrl: string;
    },
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
  }

  operations(): Operation[] {
    return Object.entries(this.document.paths as Json).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => {
        const op = item[method] as Json;
        const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(
          (parameter: Json) => resolve(this.document, parameter).node,
        );
        return { method: method.toUpperCase(), path, pointer: `#/paths/${escapePointer(path)}/${method}`, op, parameters };
      }),
    );
  }

  validator(pointer: string): ValidateFunction {
    const validate = this.ajv.getSchema(`openapi.json${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return validate;
  }

  /** A value valid against `schema` (the subset of JSON Schema that schemas/ uses), or a hint for a known name. */
  valueFor(schema: Json, name?: string): fc.Arbitrary<unknown> {
    const hinted = this.hint(name);
    if (hinted) return hinted;
    const { node } = resolve(this.document, schema);
    if ('const' in node) return fc.constant(node.const);
    if (node.enum) return fc.constantFrom(...node.enum);
    if (node.oneOf || node.anyOf) return fc.oneof(...(node.oneOf ?? node.anyOf).map((branch: Json) => this.valueFor(branch)));
    const types: string[] = [node.type ?? 'string'].flat();
    return fc.oneof(
      ...types.map((type) => {
        switch (type) {
          case 'null':
            return fc.constant(null);
          case 'boolean':
            return fc.boolean();
          case 'integer':
            return fc.integer({ min: node.minimum ?? -1000, max: Math.min(node.maximum ?? 100000, 2147483647) });
          case 'number':
            return fc.double({ min: node.minimum ?? -1e6, max: node.maximum ?? 1e6, noNaN: true });
          case 'array':
            return fc.array(this.valueFor(node.items ?? {}), { minLength: node.minItems ?? 0, maxLength: Math.min(node.maxItems ?? 3, 3) });
          case 'object':
            return fc.constant({});
          default:
            if (node.format === 'date-time')
              return fc
                .date({ min: new Date('2031-01-01T00:00:00Z'), max: new Date('2039-01-01T00:00:00Z'), noInvalidDate: true })
                .map((date) => date.toISOString());
            if (node.pattern)
              return fc.stringMatching(new RegExp(node.pattern)).filter((text) => text.length <= (node.maxLength ?? Infinity));
            return fc.string({ minLength: Math.max(node.minLength ?? 0, 0), maxLength: Math.min(node.maxLength ?? 40, 40) });
        }
      }),
    );
  }

  private hint(name?: string): fc.Arbitrary<unknown> | null {
    const h = this.hints;
    switch (name) {
      case 'atr-environment-id':
        return fc.constant(ENV);
      case 'mapTokenID':
        return fc.oneof(fc.constantFrom(...h.mapTokenIds), fc.integer({ min: 1, max: 2147483647 }));
      case 'organization_ID':
        return fc.integer({ min: 1, max: 3 });
      case 'authURL':
        return fc.constant(h.arcgisTokenUrl);
      case 'client_id':
        return fc.constantFrom(h.clientId, h.clientId, 'mtpc_000000000000000000000000');
      case 'client_secret':
        return fc.constantFrom(h.clientSecret, h.clientSecret, 'wrong-secret');
      case 'customerId':
        return fc.constantFrom(ENV, 'other-env');
      case 'id':
        return fc.constantFrom(...h.secretIds, '000000000000000000000000');
      default:
        return null;
    }
  }

  /** A request body: the document's examples, with properties replaced by generated valid values where that keeps it valid. */
  private bodyFor(op: Operation): fc.Arbitrary<{ type: string; value: unknown } | undefined> {
    const content = op.op.requestBody?.content as Json | undefined;
    if (!content) return fc.constant(undefined);
    return fc.constantFrom(...Object.keys(content)).chain((type) => {
      const media = content[type];
      const validate = this.validator(`${op.pointer}/requestBody/content/${escapePointer(type)}/schema`);
      const examples = [
        ...(media.example !== undefined ? [media.example] : []),
        ...Object.values((media.examples ?? {}) as Json).map((example: Json) => example.value),
      ];
      const { node: schema } = resolve(this.document, media.schema);
      const itemSchema = schema.type === 'array' ? resolve(this.document, schema.items).node : schema;
      const properties = (itemSchema.properties ?? {}) as Json;
      const names = Object.keys(properties);
      const replacements = fc.array(
        fc.constantFrom(...names).chain((name) => this.valueFor(properties[name], name).map((value) => [name, value] as const)),
        { maxLength: 4 },
      );
      return fc.tuple(fc.constantFrom(...examples), replacements, fc.boolean()).map(([example, changes, dropId]) => {
        const localise = (item: Json): Json => {
          const copy: Json = { ...item, ...(typeof item.authURL === 'string' ? { authURL: this.hints.arcgisTokenUrl } : {}) };
          if (dropId) delete copy.mapTokenID;
          if ('client_id' in copy) copy.client_id = this.hints.clientId;
          if ('client_secret' in copy) copy.client_secret = this.hints.clientSecret;
          return copy;
        };
        const base = Array.isArray(example) ? example.map(localise) : localise(example);
        const changed = structuredClone(base);
        for (const [name, value] of changes) (Array.isArray(changed) ? changed[0] : changed)[name] = value;
        return { type, value: validate(changed) ? changed : base };
      });
    });
  }

  /** Headers that satisfy one of the operation's security requirements. */
  private credentials(op: Operation): fc.Arbitrary<Record<string, string>> {
    const declared = (op.op.security ?? this.document.security ?? []) as Json[];
    const requirements = declared.length ? declared : [{}];
    return fc.constantFrom(...requirements).chain((requirement) => {
      const scheme = Object.keys(requirement)[0];
      if (scheme === 'subscriptionKey')
        return fc.constantFrom(this.hints.adminKey, this.hints.readerKey).map((key) => ({ 'atr-subscription-key': key }));
      if (scheme === 'bearerAuth')
        return fc.constantFrom('Bearer', 'bearer').map((word) => ({ authorization: `${word} ${this.hints.bearer}` }));
      if (scheme === 'clientBasic')
        return fc.constant({
          authorization: `Basic ${Buffer.from(`${this.hints.clientId}:${this.hints.clientSecret}`).toString('base64')}`,
        });
      return fc.constant({});
    });
  }

  valid(op: Operation): fc.Arbitrary<Sent> {
    const parameter = (parameter: Json) =>
      (parameter.required
        ? this.valueFor(parameter.schema, parameter.name)
        : fc.option(this.valueFor(parameter.schema, parameter.name), { nil: undefined })
      ).map((value) => [parameter, value] as const);
    return fc
      .tuple(fc.tuple(...op.parameters.map(parameter)), this.credentials(op), this.bodyFor(op))
      .map(([values, credentials, body]) => {
        let path = op.path;
        const query: string[] = [];
        const headers: Record<string, string> = { ...credentials };
        for (const [parameter, value] of values) {
          if (value === undefined) continue;
          const text = String(value);
          if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(text));
          if (parameter.in === 'query') query.push(`${encodeURIComponent(parameter.name)}=${encodeURIComponent(text)}`);
          if (parameter.in === 'header') headers[parameter.name] = headerSafe(text);
        }
        // the token endpoint takes the credentials in the body or with Basic, not both
        if (headers.authorization?.startsWith('Basic ') && body && typeof body.value === 'object')
          body.value = { grant_type: 'client_credentials' };
        const sent: Sent = { method: op.method, path: query.length ? `${path}?${query.join('&')}` : path, headers };
        if (body) {
          headers['content-type'] = body.type;
          sent.body =
            body.type === 'application/x-www-form-urlencoded'
              ? new URLSearchParams(body.value as Record<string, string>).toString()
              : JSON.stringify(body.value);
        }
        return sent;
      });
  }

  /** A valid request with one thing broken. */
  invalid(op: Operation): fc.Arbitrary<Sent> {
    const breakers: fc.Arbitrary<(sent: Sent) => Sent>[] = [
      fc.constant((sent: Sent) => ({
        ...sent,
        headers: Object.fromEntries(Object.entries(sent.headers).filter(([name]) => name !== 'atr-environment-id')),
      })),
      fc
        .constantFrom('bad env!', '', 'x'.repeat(65))
        .map((value) => (sent: Sent) => ({ ...sent, headers: { ...sent.headers, 'atr-environment-id': value } })),
      fc
        .constantFrom('not-a-guid', '{00000000-0000-0000-0000-000000000000}')
        .map((value) => (sent: Sent) => ({ ...sent, headers: { ...sent.headers, 'atr-partner-id': value } })),
      fc.constant((sent: Sent) => ({ ...sent, headers: { ...sent.headers, 'atr-request-source': 'a'.repeat(257) } })),
      fc
        .constantFrom<Record<string, string>>(
          { 'atr-subscription-key': 'mtp_unknown' },
          { authorization: 'Bearer not.a.jwt' },
          { authorization: 'Token abc' },
          {},
        )
        .map((credentials) => (sent: Sent) => ({
          ...sent,
          headers: {
            ...Object.fromEntries(
              Object.entries(sent.headers).filter(([name]) => name !== 'authorization' && name !== 'atr-subscription-key'),
            ),
            ...credentials,
          },
        })),
      fc.constantFrom('0', '-1', '2147483648', 'abc', '1.5', '1e3', '%20').map((id) => (sent: Sent) => ({
        ...sent,
        path: op.path.includes('{mapTokenID}') ? op.path.replace('{mapTokenID}', id) : sent.path,
      })),
      fc
        .constantFrom(
          '__proto__=1',
          'limit=0',
          'limit=abc',
          'offset=-1',
          'unknown=1',
          'id=',
          'limit=1&limit=2',
          'customerId=x&customerId=y',
        )
        .map((query) => (sent: Sent) => ({ ...sent, path: `${sent.path}${sent.path.includes('?') ? '&' : '?'}${query}` })),
      fc
        .constantFrom(
          '{',
          '[]',
          '[{}]',
          '{"a":1}',
          '[{"organization_ID":"1","authType":"static","token":"t"}]',
          '[{"organization_ID":1,"authType":"static","token":"t","extra":1}]',
          'grant_type=password',
        )
        .map((body) => (sent: Sent) => ({
          ...sent,
          body,
          headers: { ...sent.headers, 'content-type': sent.headers['content-type'] ?? 'application/json' },
        })),
      fc
        .constantFrom('text/plain', 'application/xml', 'application/json; charset=latin1')
        .map((type) => (sent: Sent) => ({ ...sent, body: sent.body ?? '[]', headers: { ...sent.headers, 'content-type': type } })),
    ];
    const breakable = op.parameters.flatMap((parameter) => this.breaking(parameter).map((value) => [parameter, value] as const));
    if (breakable.length)
      breakers.push(
        fc.constantFrom(...breakable).map(
          ([parameter, value]) =>
            (sent: Sent) =>
              this.withParameter(op, sent, parameter, value),
        ),
      );
    return fc.tuple(this.valid(op), fc.oneof(...breakers)).map(([sent, broken]) => broken(sent));
  }

  /** Values of BREAKING_VALUES that the parameter's schema refuses (as its text would be read). */
  private breaking(parameter: Json): string[] {
    const schema = resolve(this.document, parameter.schema).node;
    const numeric = [schema.type].flat().includes('integer');
    return BREAKING_VALUES.filter((value) => !(parameter.in === 'header' && headerSafe(value) !== value)).filter(
      (value) => !this.ajv.validate(schema, numeric && /^-?\d+$/.test(value) ? Number(value) : value),
    );
  }

  private withParameter(op: Operation, sent: Sent, parameter: Json, value: string): Sent {
    const breaks = `${parameter.in} ${parameter.name}=${JSON.stringify(value)}`;
    if (parameter.in === 'header') return { ...sent, headers: { ...sent.headers, [parameter.name]: value }, breaks };
    if (parameter.in === 'path') return { ...sent, path: op.path.replace(`{${parameter.name}}`, encodeURIComponent(value)), breaks };
    const [path, query = ''] = sent.path.split('?');
    const params = new URLSearchParams(query);
    params.set(parameter.name, value);
    return { ...sent, path: `${path}?${params.toString()}`, breaks };
  }

  send(sent: Sent): Promise<Answer> {
    this.sent++;
    return new Promise((done, fail) => {
      const payload = sent.body === undefined ? undefined : Buffer.from(sent.body, 'utf8');
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: sent.method,
          path: sent.path,
          agent: this.agent,
          headers: { ...sent.headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** The answer as the document describes it for this operation; throws with the whole exchange otherwise. */
  check(op: Operation, sent: Sent, answer: Answer): void {
    const fail = (why: string) => {
      throw new Error(
        `${why}\n${sent.method} ${sent.path}\nheaders ${JSON.stringify(sent.headers)}\nbody ${String(sent.body ?? '').slice(0, 400)}\n-> ${answer.status} ${answer.text.slice(0, 400)}`,
      );
    };
    const key = `${op.method} ${op.path}`;
    this.seen.set(key, (this.seen.get(key) ?? new Set()).add(answer.status));
    if (sent.breaks && (answer.status < 400 || answer.status >= 500))
      fail(`the document refuses ${sent.breaks}, but the service answered ${answer.status}`);
    const declared = op.op.responses[String(answer.status)] ?? op.op.responses.default;
    if (!declared)
      return fail(`status ${answer.status} is not documented for ${key} (documented: ${Object.keys(op.op.responses).join(', ')})`);
    const { node: response, pointer } = resolve(this.document, declared);
    const at = pointer ?? `${op.pointer}/responses/${answer.status}`;
    if (typeof answer.headers['x-request-id'] !== 'string') fail('no x-request-id header');
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      const value = answer.headers[name.toLowerCase()];
      const schema = resolve(this.document, header).node.schema as Json;
      if (value === undefined || !schema) continue;
      const typed = schema.type === 'integer' && /^\d+$/.test(String(value)) ? Number(value) : value;
      if (!this.ajv.validate(schema, typed)) fail(`header ${name}: ${String(value)} does not match ${JSON.stringify(schema)}`);
    }
    const content = response.content as Json | undefined;
    if (!content) {
      if (answer.text !== '') fail(`status ${answer.status} is documented without a body, but one came`);
      return;
    }
    const type = String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!content[type])
      return fail(`content type "${type}" is not documented for ${answer.status} (documented: ${Object.keys(content).join(', ')})`);
    if (type !== 'application/json') return;
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return fail('the body is not JSON');
    }
    const validate = this.validator(`${at}/content/${escapePointer(type)}/schema`);
    if (!validate(body)) fail(`the body does not match its schema: ${JSON.stringify(validate.errors)}`);
  }
}
