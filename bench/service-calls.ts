/** The few calls the benches make to a running service: map tokens to read, and one read. */

/** PUT agol map tokens pointing at the stand-in: by default one for the read benchmark, one for the storms. */
export async function createMapTokens(
  baseUrl: string,
  environment: string,
  adminKey: string,
  tokenUrl: string,
  names = [1, 2],
): Promise<number[]> {
  const item = (n: number) => ({
    organization_ID: 1,
    authType: 'agol',
    authKey: `bench-app-${n}`,
    authToken: `bench-secret-${n}`,
    authTimeout: 120,
    authURL: tokenUrl,
  });
  const res = await fetch(`${baseUrl}/api/v1/admin/map-tokens`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'atr-environment-id': environment, 'atr-subscription-key': adminKey },
    body: JSON.stringify(names.map(item)),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PUT /api/v1/admin/map-tokens answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { result: { mapTokenID: number }[] }).result.map((resource) => resource.mapTokenID);
}

export async function readOnce(url: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text}`);
  return text;
}
