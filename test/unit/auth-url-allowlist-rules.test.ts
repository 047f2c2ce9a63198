import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';

/** Both sides of each rule of AUTH_URL_ALLOWLIST: what an entry may be, and which URLs an entry admits. */
const TOKEN_PATH = '/sharing/rest/oauth2/token/';

describe('entries: both sides of each boundary', () => {
  it.each([
    ['port 1', 'https://portal.example.com:1', 'https://portal.example.com:1'],
    ['port 65535', 'https://portal.example.com:65535', 'https://portal.example.com:65535'],
    ['a default port with leading zeros', 'https://portal.example.com:00443', 'https://portal.example.com'],
    ['a wildcard over a domain whose last label ends in a digit', 'https://*.maps.corp1', 'https://*.maps.corp1'],
    ['a wildcard over a domain whose last label starts with a digit', 'https://*.maps.1corp', 'https://*.maps.1corp'],
    ['a wildcard over a domain with a label of digits before its last', 'https://*.maps.2.example.com', 'https://*.maps.2.example.com'],
  ])('accepts %s', (_what, entry, described) => {
    expect(AuthUrlAllowlist.parse(entry).describe()).toBe(described);
  });

  it.each([
    ['port 65536', 'https://portal.example.com:65536', /port "65536"/],
    ['six digits of port', 'https://portal.example.com:000443', /port "000443"/],
    ['a port with a letter in front', 'https://portal.example.com:a443', /port "a443"/],
    ['a port with a letter behind', 'https://portal.example.com:443a', /port "443a"/],
    ['text in front of the scheme', '1https://www.arcgis.com', /is not an origin of the form scheme:\/\/host\[:port\]/],
    ['a host the URL parser refuses', 'https://exa%zzmple.com', /has host "exa%zzmple\.com", which is not a valid host name or IP address/],
    ['a wildcard over an IPv4 address ending in two digits', 'https://*.10.0.0.12', /has a wildcard over "10\.0\.0\.12"/],
    ['a wildcard over a domain with an empty label', 'https://*.arcgis..com', /has a wildcard over "arcgis\.\.com"/],
    ['a wildcard over a domain starting with a dot', 'https://*..arcgis.com', /has a wildcard over "\.arcgis\.com"/],
  ])('refuses %s', (_what, entry, why) => {
    expect(() => AuthUrlAllowlist.parse(entry)).toThrow(why);
    expect(() => AuthUrlAllowlist.parse(entry)).toThrow(`entry "${entry}"`);
  });

  it('describes a non-default port and a wildcard as written, lower case', () => {
    expect(AuthUrlAllowlist.parse('HTTP://*.Example.COM:8080,https://gis.example.com:443').describe()).toBe(
      'http://*.example.com:8080, https://gis.example.com',
    );
  });
});

describe('URLs: both sides of each rule', () => {
  const list = AuthUrlAllowlist.parse('https://www.arcgis.com,https://*.arcgis.com,http://127.0.0.1:4567');

  it.each([
    ['a password without a user name', `https://:pw@www.arcgis.com${TOKEN_PATH}`],
    ['a password without a user name on a wildcard host', `https://:pw@org.maps.arcgis.com${TOKEN_PATH}`],
    ['a host that is only the dot in front of a wildcard domain', `https://.arcgis.com${TOKEN_PATH}`],
    ['two dots in front of a wildcard domain', `https://..arcgis.com${TOKEN_PATH}`],
    ['an escaped dot in front of a wildcard domain', `https://%2e.arcgis.com${TOKEN_PATH}`],
    ['an empty label below a wildcard domain', `https://org..arcgis.com${TOKEN_PATH}`],
    ['an empty label at the start of a wildcard host', `https://.org.arcgis.com${TOKEN_PATH}`],
    ['a wildcard domain with a trailing dot', `https://org.arcgis.com.${TOKEN_PATH}`],
    ['a file URL', 'file:///etc/passwd'],
  ])('refuses %s', (_what, url) => {
    expect(list.allows(url)).toBe(false);
  });

  it.each([
    ['one label below a wildcard domain', `https://a.arcgis.com${TOKEN_PATH}`],
    ['an empty user info, which the URL drops', `https://:@www.arcgis.com${TOKEN_PATH}`],
    ['an empty port, which means the default one', `https://org.arcgis.com:${TOKEN_PATH}`],
  ])('admits %s', (_what, url) => {
    expect(list.allows(url)).toBe(true);
  });
});
