/**
 * registerToken's `server`: the REST root of authURL, i.e. the path up to and including
 * `/sharing/rest` (ArcGIS Online, a portal), or for a standalone ArcGIS Server's
 * `/<instance>/tokens/generateToken` its `/<instance>/rest/services`; else the origin.
 */
export function serverOf(authUrl: string | null): string | null {
  if (authUrl === null) return null;
  let url: URL;
  try {
    url = new URL(authUrl);
  } catch {
    return null;
  }
  const path = url.pathname;
  const sharing = path.toLowerCase().indexOf('/sharing/rest');
  if (sharing >= 0) return url.origin + path.slice(0, sharing + '/sharing/rest'.length);
  // no ^ needed: the greedy group starts at the path's beginning
  const server = /(.*)\/tokens(?:\/generateToken)?\/?$/i.exec(path);
  if (server) return `${url.origin}${server[1]}/rest/services`;
  return url.origin;
}
