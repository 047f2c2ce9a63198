/** The example item of the Atrius "Admin Map Tokens API (v1)" page, as published. */
export const ATRIUS_EXAMPLE_ITEM = {
  mapTokenID: 1,
  organization_ID: 1,
  authType: 'agol',
  authKey: 'f2f591dcea8345ac8e9af5c9e3757618',
  authToken: 'cb3793c4272243fdaab1169d2228e442243fdaab1169d2228e4493c4272243fdaab1d2228e448',
  authTimeout: 60,
  authURL: 'https://www.arcgis.com/sharing/rest/oauth2/token/',
  token: '5ce9c3bf-6141ef83290e41f2b20672a6b616f469e959d9e07--d764ee0878fb05faa9db8c9fe15e1c95d4a4be19d55cd5a74bfe8c3-w..',
  token_Expire_Date: '2017-08-28T13:50:48.2739467Z',
} as const;
