import type { AuthUrlAllowlist } from '../arcgis/auth-url-allowlist';
import type { TokenRequest } from '../arcgis/token-request';
import type { SecretBox } from '../crypto/secret-box';
import type { ErrorDetail } from '../errors';
import type { MapTokenWriteItem } from '../services/map-token-types';
import type { TokenLifetime } from '../token-timing';

/**
 * The columns of a map token that an admin write sets, whatever its auth type. Each auth type narrows
 * them (agol.ts `AgolFields`, ...), so the compiler, not a `!`, says which fields an item has.
 */
export interface CommonFields {
  organizationId: number;
  /** One member of the AuthType union for the types of the service; a string, so that a test can add one. */
  authType: string;
  authKey: string | null;
  authSecretEnc: string | null;
  authTimeout: number | null;
  authUrl: string | null;
  /** Absent means null. */
  authReferer?: string | null;
  /** The ArcGIS REST root a static token is for; the other types' is derived (server()), never stored. Absent means null. */
  server?: string | null;
}

/** The fields as a store keeps them: authReferer always present (and server, read back as null where none was written). */
export type Stored<F extends CommonFields> = F extends unknown
  ? Omit<F, 'authReferer'> & { authReferer: Exclude<F['authReferer'], undefined> }
  : never;

/** The PUT item of one auth type, as schemas/map-token-write.json admits it. */
type WriteItemOf<T extends string> = MapTokenWriteItem & { authType: T };

/** What an auth type's write rules are given for one PUT item. */
export interface WriteContext<F extends CommonFields> {
  /** The item's position in the body, for the JSON paths of problems. */
  index: number;
  /** The row the item replaces when it has this same auth type: what a kept secret is taken from. */
  same: Stored<F> | undefined;
  box: SecretBox;
  allowlist: AuthUrlAllowlist;
  now: number;
  /** Where a problem with the item is recorded (the whole PUT then stores nothing). */
  problems: ErrorDetail[];
}

/** What the write rules make of one item. */
export interface WriteDraft<F extends CommonFields> {
  fields: F;
  /** A token given with the item (stored as is); absent when ArcGIS is to be asked. */
  token?: { plaintext: string; expiresAt: number | null };
  /** Set when ArcGIS must be asked for a token before the commit (new or changed credentials). */
  fetch?: TokenRequest;
}

/**
 * One auth type: everything the service knows of it, behind one interface. The registry (auth-types.ts)
 * lists one module per member of the `authType` union; the rest of the code asks the module of a row or
 * an item and never chooses on the authType value itself.
 */
export interface AuthTypeModule<F extends CommonFields> {
  readonly authType: F['authType'];
  /**
   * Write rules: the stored fields of a PUT item the schema admitted (its branch of
   * schemas/map-token-write.json), with a token given or to be fetched; undefined when the item has a
   * problem, recorded in `context.problems`.
   */
  draft(item: WriteItemOf<F['authType']>, context: WriteContext<F>): WriteDraft<F> | undefined;
  /** How a token is fetched for a stored row: its credentials read from the row (`unseal` opens its secret); null: never. */
  tokenRequest(fields: Stored<F>, unseal: (sealed: string) => string): TokenRequest | null;
  /** registerToken's `server`: the ArcGIS REST root the tokens are for; null when there is none. */
  server(fields: Stored<F>): string | null;
  /** Whether the service gets this type's tokens from ArcGIS: false, a report that ArcGIS rejected one forces nothing. */
  readonly renews: boolean;
  /** Lifetime: when a row holding `token` (null: none yet) is next due for renewal; null: never. */
  renewAt(token: TokenLifetime | null): number | null;
  /** Lifetime: whether a token that expires at `expiresAt` may still be handed out at `now`. */
  usable(expiresAt: number | null, now: number): boolean;
}
