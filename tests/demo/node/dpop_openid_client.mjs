// An OpenID relying party of the proauth2 demo whose tokens are DPoP-bound (RFC 9449), built on openid-client 6.
//
// Usage: node dpop_openid_client.mjs ISSUER RELYING_PARTY   (the base of its redirect URIs)
//
// A public client of its own (RFC 7591, token_endpoint_auth_method "none"), an
// ES256 key pair (randomDPoPKeyPair) and getDPoPHandle's handle on it, then:
//   1. the code flow with PKCE, nonce and dpop_jkt (RFC 9449 §10) through the
//      test's browser (steps.mjs), authorizationCodeGrant with the handle (§5);
//   2. UserInfo (fetchUserInfo) and GET /api/me (fetchProtectedResource) with
//      Authorization: DPoP and a proof (§7), through a handle of the same key
//      knowing no nonce yet, as a resource server's nonces are its own (§9);
//   3. refreshTokenGrant with the same handle, and /api/me with the new token.
// openid-client retries a use_dpop_nonce refusal (§8, §9) by itself; a custom
// fetch records every answer, so the summary shows which were refusals for a
// nonce and that the same request then went through. The summary reports the
// tokens too (for the test to show that, stolen, they are useless).

import * as client from 'openid-client';
import { browse, run } from './steps.mjs';

const RELYING_PARTY = process.argv[3];
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const SCOPE = 'openid profile offline_access';

async function main() {
  const issuer = new URL(process.argv[2]);
  const config = await client.dynamicClientRegistration(issuer, {
    client_name: 'openid-client DPoP relying party',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: SCOPE,
  }, client.None(), { execute: [client.allowInsecureRequests] });

  // What the demo answered, request by request: a nonce refusal carries a DPoP-Nonce header.
  const answers = [];
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options);
    answers.push({
      method: options.method,
      path: new URL(url).pathname,
      status: response.status,
      nonce_sent: Boolean(options.headers?.dpop) && 'nonce' in JSON.parse(
        Buffer.from(options.headers.dpop.split('.')[1], 'base64url').toString()),
      dpop_nonce: response.headers.has('dpop-nonce'),
      www_authenticate: response.headers.get('www-authenticate'),
    });
    return response;
  };

  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const jkt = await DPoP.calculateThumbprint();

  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: expectedState,
    nonce: expectedNonce,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    dpop_jkt: jkt,
    prompt: 'consent',  // offline_access: a refresh token (OIDC Core §11)
  });
  const tokens = await client.authorizationCodeGrant(config, await browse(url),
    { pkceCodeVerifier, expectedState, expectedNonce, idTokenExpected: true }, undefined, { DPoP });
  const claims = tokens.claims();

  // The resources' nonces are theirs (RFC 9449 §9): a handle of the same key that knows none yet.
  const resourceDPoP = client.getDPoPHandle(config, keyPair);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP: resourceDPoP });
  const api = new URL('/api/me', issuer);
  const me = async (accessToken) => {
    const response = await client.fetchProtectedResource(config, accessToken, api, 'GET', undefined, undefined,
      { DPoP: resourceDPoP });
    return { status: response.status, body: await response.json() };
  };
  const first = await me(tokens.access_token);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  const afterRefresh = await me(refreshed.access_token);

  return {
    client_id: config.clientMetadata().client_id,
    jkt,
    token_type: tokens.token_type,
    claims,
    userinfo,
    me: first,
    refreshed_token_type: refreshed.token_type,
    refresh_token_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
    me_after_refresh: afterRefresh,
    answers,
    access_token: refreshed.access_token,
    refresh_token: refreshed.refresh_token,
  };
}

run(main);
