import type { AuthType } from '../domain';
import { agol } from './agol';
import type { AuthTypeModule, Stored } from './auth-type-module';
import { enterprise } from './enterprise';
import { staticToken } from './static-token';

/**
 * The auth types, one module each. Typed over the `authType` union (schemas/map-token-write.json):
 * a member without a module, or a module under another member's name, does not compile.
 */
export type AuthTypeRegistry<T extends string = AuthType> = { readonly [K in T]: AnyModule & { readonly authType: K } };

/** Each module is typed with its own fields where it is defined (agol.ts, ...); here only its name is checked. */
// biome-ignore lint/suspicious/noExplicitAny: a module's methods take its own fields only; any lets the registry hold them all
type AnyModule = AuthTypeModule<any>;

export const authTypes = { agol, enterprise, static: staticToken } satisfies AuthTypeRegistry;

/** The auth types whose tokens are stored as given and never renewed (static): they can only expire. */
export const unrenewedAuthTypes: readonly AuthType[] = Object.values(authTypes)
  .filter((module) => !module.renews)
  .map((module) => module.authType);

/** What an admin write sets, by authType: the fields of every module of the registry. */
export type MapTokenFields = FieldsOf<(typeof authTypes)[AuthType]>;
type FieldsOf<M> = M extends AuthTypeModule<infer F> ? F : never;
export type StoredMapTokenFields = Stored<MapTokenFields>;

/**
 * The module of a row's or an item's authType, to be given that same row or item: the one place that reads
 * the discriminant. Everything an auth type decides is asked of its module.
 */
export function authTypeOf(of: { authType: AuthType }): AuthTypeModule<MapTokenFields> {
  // the caller hands the module only the row or item it was looked up by, so its fields are the module's own
  return authTypes[of.authType] as AuthTypeModule<MapTokenFields>;
}
