// A strict OpenID Connect relying party of the proauth2 demo, built on oauth4webapi.
//
// Usage: node oidc_oauth4webapi.mjs ISSUER RELYING_PARTY ALG
//   (RELYING_PARTY: the base of its redirect URIs; ALG: the ID token algorithm it registers)
//
// OIDC Discovery, a client of its own (RFC 7591 with OIDC registration metadata),
// then, through the test's browser (steps.mjs):
//   1. prompt=consent with nonce, PKCE and max_age=300: the ID token validated by
//      processAuthorizationCodeResponse (expectedNonce, maxAge) and
//      getValidatedIdTokenClaims, UserInfo by processUserInfoResponse;
//   2. max_age=0 a second later: a new login, a later auth_time;
//   3. the refresh grant (the token of 1: offline_access needs prompt=consent,
//      OIDC Core §11): a new ID token of the same sign-in (§12.2);
//   4. RP-Initiated Logout with id_token_hint, back to the registered URI with state;
//   5. prompt=none, signed out: login_required at the redirect URI.

import * as oauth from 'oauth4webapi';
import { browse, joseHeader, run, sleep } from './steps.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };  // the demo serves http on loopback
const RELYING_PARTY = process.argv[3];  // where the test's browser lands back
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const POST_LOGOUT_REDIRECT_URI = `${RELYING_PARTY}/signed-out`;
const SCOPE = 'openid profile email offline_access';

async function main() {
  const issuer = new URL(process.argv[2]);
  const alg = process.argv[4];

  // OIDC Discovery §4: processDiscoveryResponse checks the issuer is the one asked for.
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, {
    algorithm: 'oidc',
    ...insecure,
  }));

  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi relying party',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
      scope: SCOPE,
    }, insecure),
  );
  // oauth4webapi refuses an ID token signed with any other algorithm than the client's.
  const client = { client_id: registered.client_id, id_token_signed_response_alg: alg };
  const clientAuth = oauth.ClientSecretBasic(registered.client_secret);

  // OIDC Core §3.1.2.1 and §3.1.3.7: one authentication request and its validated answer.
  async function signIn(extra, maxAge) {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...extra,
    }).toString();
    const callback = await browse(url);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, codeVerifier, insecure),
      { expectedNonce: nonce, maxAge, requireIdToken: true });
    return { tokens, claims: oauth.getValidatedIdTokenClaims(tokens), nonce };
  }

  const first = await signIn({ prompt: 'consent', max_age: '300' }, 300);
  const userinfo = await oauth.processUserInfoResponse(as, client, first.claims.sub,
    await oauth.userInfoRequest(as, client, first.tokens.access_token, insecure));

  await sleep(1100);  // auth_time is in seconds: a new login must show a later one
  const again = await signIn({ max_age: '0' }, 0);

  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, first.tokens.refresh_token, insecure));
  const refreshedClaims = oauth.getValidatedIdTokenClaims(refreshed);

  // RP-Initiated Logout 1.0 §2 and §3.
  const logoutState = oauth.generateRandomState();
  const logout = new URL(as.end_session_endpoint);
  logout.search = new URLSearchParams({
    id_token_hint: again.tokens.id_token,
    post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
    state: logoutState,
  }).toString();
  const signedOut = await browse(logout);

  // OIDC Core §3.1.2.6: prompt=none with nobody signed in.
  let silent;
  try {
    await signIn({ prompt: 'none' }, undefined);
    silent = { error: null };
  } catch (error) {
    if (!(error instanceof oauth.AuthorizationResponseError)) {
      throw error;
    }
    silent = { error: error.error, iss: error.cause.get('iss') };
  }

  return {
    issuer: as.issuer,
    client_id: client.client_id,
    id_token_header: joseHeader(first.tokens.id_token),
    claims: first.claims,
    scope: first.tokens.scope,
    userinfo,
    refresh_token_issued: Boolean(first.tokens.refresh_token),
    refresh_token_without_prompt_consent: Boolean(again.tokens.refresh_token),
    max_age_zero_claims: again.claims,
    refreshed_claims: refreshedClaims,
    refreshed_id_token_header: joseHeader(refreshed.id_token),
    signed_out_at: `${signedOut.origin}${signedOut.pathname}`,
    signed_out_state_echoed: signedOut.searchParams.get('state') === logoutState,
    prompt_none_after_logout: silent,
  };
}

run(main);
