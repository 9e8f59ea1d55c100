// A public OAuth client of the proauth2 demo whose tokens are DPoP-bound (RFC 9449), built on oauth4webapi.
//
// Usage: node dpop_oauth4webapi.mjs ISSUER RELYING_PARTY   (the base of its redirect URIs)
//
// RFC 8414 discovery (dpop_signing_alg_values_supported), a public client of its
// own (RFC 7591, token_endpoint_auth_method "none"), an ES256 key pair and
// oauth.DPoP's handle on it, then:
//   1. the code flow with PKCE, resource={ISSUER}/api and dpop_jkt (RFC 9449 §10)
//      through the test's browser (steps.mjs);
//   2. the code exchanged with a proof (§5): the demo wants its nonce first
//      (use_dpop_nonce, §8), the request is sent again once with it;
//   3. the refresh grant with the same key (a public client's refresh token is
//      bound to it, §5);
//   4. GET /api/me with Authorization: DPoP and a proof (§7), through a handle of
//      its own as a resource server's nonces are its own (§9): refused for want
//      of the nonce, then answered.
// The summary reports each nonce retry, and the access token (for the test to
// show that, stolen, it is useless).

import * as oauth from 'oauth4webapi';
import { browse, run } from './steps.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };  // the demo serves http on loopback
const RELYING_PARTY = process.argv[3];
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const SCOPE = 'profile';

// The payload of a JWT access token (RFC 9068), for its cnf.jkt (RFC 9449 §6.1).
function jwtClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function main() {
  const issuer = new URL(process.argv[2]);
  const api = `${issuer.origin}/api`;
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    ...insecure,
  }));

  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi DPoP client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: SCOPE,
    }, insecure),
  );
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.None();

  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keyPair);
  const jkt = await DPoP.calculateThumbprint();

  // RFC 9449 §8 and §9: refused with use_dpop_nonce, the handle has cached the nonce; send once more.
  const nonceRetries = [];
  async function withNonceRetry(step, request) {
    try {
      return await request();
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) {
        throw error;
      }
      nonceRetries.push({ step, status: error.status });
      return request();
    }
  }

  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    resource: api,
    dpop_jkt: jkt,
    prompt: 'consent',
  }).toString();
  const params = oauth.validateAuthResponse(as, client, await browse(url), state);

  const tokens = await withNonceRetry('token', async () => oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, codeVerifier,
      { DPoP, ...insecure })));

  const refreshed = await withNonceRetry('refresh', async () => oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, { DPoP, ...insecure })));

  const resourceDPoP = oauth.DPoP(client, keyPair);  // the same key; no nonce of the resource known yet
  const me = await withNonceRetry('me', async () => {
    const response = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(`${api}/me`),
      undefined, null, { DPoP: resourceDPoP, ...insecure });
    return { status: response.status, body: await response.json() };
  });

  return {
    issuer: as.issuer,
    dpop_signing_alg_values_supported: as.dpop_signing_alg_values_supported,
    client_id: client.client_id,
    token_endpoint_auth_method: registered.token_endpoint_auth_method,
    jkt,
    token_type: tokens.token_type,
    access_token_cnf: jwtClaims(tokens.access_token).cnf,
    refresh_token_issued: Boolean(tokens.refresh_token),
    refreshed_token_type: refreshed.token_type,
    refreshed_access_token_cnf: jwtClaims(refreshed.access_token).cnf,
    refresh_token_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
    me,
    nonce_retries: nonceRetries,
    access_token: refreshed.access_token,
    refresh_token: refreshed.refresh_token,
  };
}

run(main);
