// A relying party of the proauth2 demo built on openid-client 6 (what most Node apps use).
//
// Usage: node oidc_openid_client.mjs ISSUER RELYING_PARTY   (the base of its redirect URIs)
//
// Registers a client of its own (RFC 7591, client_secret_post, RS256 ID tokens),
// then, through the test's browser (steps.mjs):
//   1. prompt=consent with PKCE, state, nonce and a claims request; UserInfo
//      (fetchUserInfo checks its sub);
//   2. prompt=none while signed in: an answer with no page, the same auth_time;
//   3. prompt=login a second later: the login form again, a later auth_time;
//   4. the refresh grant with the token of 1 (only prompt=consent grants
//      offline_access: OIDC Core §11);
//   5. buildEndSessionUrl: signed out with no page; prompt=none is then login_required.
// openid-client validates every ID token itself (signature over the JWKS, iss,
// aud, exp, iat, nonce, auth_time against max_age).

import * as client from 'openid-client';
import { browse, joseHeader, run, sleep } from './steps.mjs';

const RELYING_PARTY = process.argv[3];  // where the test's browser lands back
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const POST_LOGOUT_REDIRECT_URI = `${RELYING_PARTY}/signed-out`;
// No profile scope: two of its claims asked for by name instead (OIDC Core §5.5).
const SCOPE = 'openid email offline_access';
const CLAIMS = JSON.stringify({
  id_token: { preferred_username: { essential: true } },
  userinfo: { name: null, preferred_username: null },
});

async function main() {
  const issuer = new URL(process.argv[2]);
  const config = await client.dynamicClientRegistration(issuer, {
    client_name: 'openid-client relying party',
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: SCOPE,
  }, undefined, { execute: [client.allowInsecureRequests] });

  async function signIn(extra, maxAge) {
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
      ...extra,
    });
    const callback = await browse(url);
    const tokens = await client.authorizationCodeGrant(config, callback,
      { pkceCodeVerifier, expectedState, expectedNonce, maxAge, idTokenExpected: true });
    return { tokens, claims: tokens.claims() };
  }

  const first = await signIn({ prompt: 'consent', claims: CLAIMS });
  const userinfo = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
  const silent = await signIn({ prompt: 'none', max_age: '3600' }, 3600);
  await sleep(1100);  // auth_time is in seconds: a new login must show a later one
  const forced = await signIn({ prompt: 'login' });

  const refreshed = await client.refreshTokenGrant(config, first.tokens.refresh_token);

  const logoutState = client.randomState();
  const signedOut = await browse(client.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token,
    post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
    state: logoutState,
  }));

  let afterLogout;
  try {
    await signIn({ prompt: 'none' });
    afterLogout = { error: null };
  } catch (error) {
    if (!(error instanceof client.AuthorizationResponseError)) {
      throw error;
    }
    afterLogout = { error: error.error };
  }

  return {
    issuer: config.serverMetadata().issuer,
    client_id: config.clientMetadata().client_id,
    id_token_header: joseHeader(first.tokens.id_token),
    claims: first.claims,
    prompt_none_claims: silent.claims,
    prompt_login_claims: forced.claims,
    userinfo,
    refreshed_claims: refreshed.claims(),
    refresh_token_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== first.tokens.refresh_token,
    refresh_token_without_prompt_consent: Boolean(forced.tokens.refresh_token),
    signed_out_at: `${signedOut.origin}${signedOut.pathname}`,
    signed_out_state_echoed: signedOut.searchParams.get('state') === logoutState,
    prompt_none_after_logout: afterLogout,
  };
}

run(main);
