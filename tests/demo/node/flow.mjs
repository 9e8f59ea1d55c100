// A non-Python OAuth client of the proauth2 demo, built on oauth4webapi.
//
// Usage: node flow.mjs ISSUER
//
// Reads the RFC 8414 metadata of ISSUER, registers a confidential client
// (RFC 7591), and sends the user (steps.mjs) to an authorization code request
// with state and a PKCE S256 challenge (RFC 7636). Back at the redirect URI it
// validates the answer (state, iss: RFC 9207), exchanges the code with
// client_secret_basic, calls /api/me, refreshes, revokes (RFC 7009) and checks
// the revoked tokens are refused; its summary says what the provider answered.

import * as oauth from 'oauth4webapi';
import { browse, run } from './steps.mjs';

// The demo serves plain http on loopback; oauth4webapi refuses that unless told.
const insecure = { [oauth.allowInsecureRequests]: true };
const REDIRECT_URI = 'http://127.0.0.1:8976/callback';
const SCOPE = 'profile';

// How a refused request looked: the challenge's error for a 401, else the status.
async function refusal(promise) {
  try {
    const response = await promise;
    return { refused: !response.ok, status: response.status };
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return { refused: true, status: error.status, error: error.cause[0]?.parameters?.error };
    }
    if (error instanceof oauth.ResponseBodyError) {
      return { refused: true, status: error.status, error: error.error };
    }
    throw error;
  }
}

async function main() {
  const issuer = new URL(process.argv[2]);

  // RFC 8414 §3: discovery; processDiscoveryResponse checks the issuer matches.
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    ...insecure,
  }));

  // RFC 7591 §3: a client of our own through the demo's open registration endpoint.
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi Node client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPE,
    }, insecure),
  );
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.ClientSecretBasic(registered.client_secret);

  // RFC 6749 §4.1.1 with RFC 7636 §4.3: state and an S256 challenge.
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();

  // RFC 6749 §4.1.2 and RFC 9207: validateAuthResponse checks state, and iss
  // since the metadata says authorization_response_iss_parameter_supported.
  const callback = await browse(authorizationUrl);
  const params = oauth.validateAuthResponse(as, client, callback, state);

  // RFC 6749 §4.1.3, RFC 7636 §4.5: the code, the verifier, HTTP Basic.
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, codeVerifier, insecure));

  const api = new URL('/api/me', issuer);
  const callApi = (accessToken) => oauth.protectedResourceRequest(accessToken, 'GET', api, undefined, null, insecure);
  const me = async (accessToken) => {
    const response = await callApi(accessToken);
    return { status: response.status, body: await response.json() };
  };
  const first = await me(tokens.access_token);

  // RFC 6749 §6: refresh; the demo rotates refresh tokens.
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure));
  const afterRefresh = await me(refreshed.access_token);

  // RFC 7009 §2: revoke the working access token; the resource server must refuse it.
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, clientAuth, refreshed.access_token, insecure));
  const revokedAccess = await refusal(callApi(refreshed.access_token));

  // RFC 9700 §4.14.2: the refresh token used once is spent.
  const oldRefreshReused = await refusal(oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure)));

  return {
    issuer: as.issuer,
    code_challenge_methods_supported: as.code_challenge_methods_supported,
    client_id: client.client_id,
    callback_iss: callback.searchParams.get('iss'),
    token_type: tokens.token_type,
    expires_in: tokens.expires_in,
    scope: tokens.scope,
    me: first,
    refreshed_token_differs: refreshed.access_token !== tokens.access_token,
    refresh_token_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
    me_after_refresh: afterRefresh,
    old_refresh_token_reused: oldRefreshReused,
    revoked_access_token: revokedAccess,
  };
}

run(main);
