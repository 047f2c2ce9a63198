import { AuthUrlAllowlist, AuthUrlNotAllowedError } from '../../src/arcgis/auth-url-allowlist';

const DEFAULT_LIST = 'https://www.arcgis.com,https://*.arcgis.com';

describe('AuthUrlAllowlist.parse', () => {
  it('accepts the default list and describes its entries in order', () => {
    expect(AuthUrlAllowlist.parse(DEFAULT_LIST).describe()).toBe('https://www.arcgis.com, https://*.arcgis.com');
  });

  it('trims whitespace, ignores empty entries and normalises case and default ports', () => {
    const list = AuthUrlAllowlist.parse(' HTTPS://WWW.ArcGIS.com:443 , ,http://127.0.0.1:4567,');
    expect(list.describe()).toBe('https://www.arcgis.com, http://127.0.0.1:4567');
  });

  it.each(['', '  ', ' , ,'])('refuses a list without any entry (%j)', (text) => {
    expect(() => AuthUrlAllowlist.parse(text)).toThrow(/empty/);
  });

  it.each([
    ['https://www.arcgis.com/sharing', /"https:\/\/www\.arcgis\.com\/sharing".*no path/],
    ['https://www.arcgis.com?x=1', /no path, query/],
    ['https://www.arcgis.com#top', /fragment/],
    ['https://user:pass@www.arcgis.com', /user/],
    ['www.arcgis.com', /scheme:\/\/host/],
    ['ftp://www.arcgis.com', /"ftp:\/\/www\.arcgis\.com" has scheme "ftp"/],
    ['https://www.arcgis.com:0', /port "0"/],
    ['https://www.arcgis.com:70000', /port "70000"/],
    ['https://www.arcgis.com:', /port ""/],
    ['https://www.arcgis.com:abc', /port "abc"/],
    ['https://', /no host/],
    ['https://*.', /no host/],
    ['https://*', /"\*"/],
    ['https://a.*.arcgis.com', /"\*"/],
    ['https://**.arcgis.com', /"\*"/],
    ['https://*.127.0.0.1', /wildcard/],
    ['https://127.1', /URLs spell "127\.0\.0\.1"/],
    ['https://exa mple.com', /scheme:\/\/host/],
  ])('refuses the malformed entry %j and says which entry and why', (entry, why) => {
    expect(() => AuthUrlAllowlist.parse(`https://www.arcgis.com, ${entry}`)).toThrow(why);
    expect(() => AuthUrlAllowlist.parse(`https://www.arcgis.com, ${entry}`)).toThrow(`entry "${entry}"`);
  });

  it('accepts a bracketed IPv6 host with a port', () => {
    const list = AuthUrlAllowlist.parse('http://[::1]:4567');
    expect(list.allows('http://[::1]:4567/sharing/rest/oauth2/token/')).toBe(true);
    expect(list.allows('http://[::1]:4568/')).toBe(false);
  });
});

describe('AuthUrlAllowlist.allows', () => {
  const list = AuthUrlAllowlist.parse(`${DEFAULT_LIST},http://127.0.0.1:4567`);

  it.each([
    'https://www.arcgis.com/sharing/rest/oauth2/token/',
    'https://WWW.ARCGIS.COM/sharing/rest/oauth2/token/',
    'https://www.arcgis.com:443/sharing/rest/oauth2/token/',
    'https://myorg.maps.arcgis.com/sharing/rest/oauth2/token/',
    'https://a.b.c.arcgis.com/sharing/rest/oauth2/token/',
    'http://127.0.0.1:4567/sharing/rest/oauth2/token/',
  ])('allows %s', (url) => {
    expect(list.allows(url)).toBe(true);
  });

  it.each([
    ['the bare domain of a wildcard', 'https://arcgis.com/sharing/rest/oauth2/token/'],
    ['plain http to an https entry', 'http://www.arcgis.com/sharing/rest/oauth2/token/'],
    ['https to an http entry', 'https://127.0.0.1:4567/sharing/rest/oauth2/token/'],
    ['another port', 'https://www.arcgis.com:8443/sharing/rest/oauth2/token/'],
    ['the http entry without its port', 'http://127.0.0.1/sharing/rest/oauth2/token/'],
    ['a look-alike suffix', 'https://evilarcgis.com/sharing/rest/oauth2/token/'],
    ['a look-alike prefix', 'https://www.arcgis.com.evil.example/sharing/rest/oauth2/token/'],
    ['user info', 'https://user:pass@www.arcgis.com/sharing/rest/oauth2/token/'],
    ['a user name only', 'https://someone@www.arcgis.com/sharing/rest/oauth2/token/'],
    ['another scheme', 'ftp://www.arcgis.com/'],
    ['text that is not a URL', 'not a url'],
    ['an empty string', ''],
    ['a relative path', '/sharing/rest/oauth2/token/'],
    ['a trailing-dot host', 'https://www.arcgis.com./sharing/rest/oauth2/token/'],
  ])('refuses %s', (_what, url) => {
    expect(list.allows(url)).toBe(false);
  });

  it('compares an explicit entry port with the default port of the URL scheme', () => {
    const explicit = AuthUrlAllowlist.parse('https://portal.example.com:443,http://portal.example.com:8080');
    expect(explicit.allows('https://portal.example.com/arcgis/sharing/rest/oauth2/token')).toBe(true);
    expect(explicit.allows('http://portal.example.com:8080/arcgis/sharing/rest/oauth2/token')).toBe(true);
    expect(explicit.allows('http://portal.example.com/arcgis/sharing/rest/oauth2/token')).toBe(false);
  });
});

describe('AuthUrlAllowlist.check', () => {
  const list = AuthUrlAllowlist.parse(DEFAULT_LIST);

  it('lets an allowed URL through and refuses any other with its own 502 error, showing origin and path only', () => {
    expect(() => list.check('https://www.arcgis.com/sharing/rest/oauth2/token/')).not.toThrow();
    let err: unknown;
    try {
      list.check('https://user:pw@evil.example/sharing/rest/oauth2/token/?client_secret=s3cret');
    } catch (error) {
      err = error;
    }
    expect(err).toBeInstanceOf(AuthUrlNotAllowedError);
    expect(err).toMatchObject({
      status: 502,
      code: 'BadGateway',
      message:
        'authURL https://evil.example/sharing/rest/oauth2/token/ is not in AUTH_URL_ALLOWLIST (https://www.arcgis.com, https://*.arcgis.com)',
    });
    expect(() => list.check('not a url')).toThrow('authURL (not a valid URL) is not in AUTH_URL_ALLOWLIST');
  });
});
