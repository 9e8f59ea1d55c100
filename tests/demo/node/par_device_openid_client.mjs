// PAR (RFC 9126) and the device grant (RFC 8628) against the proauth2 demo, built on openid-client 6.
//
// Usage: node par_device_openid_client.mjs ISSUER RELYING_PARTY   (the base of its redirect URIs)
//
// One confidential client of its own (RFC 7591, client_secret_post: openid-client's default), registered
// for the code, refresh and device grants, then:
//   1. buildAuthorizationUrlWithPAR pushes the authorization request (PKCE,
//      state, nonce) and gives the URL with client_id and request_uri only; the
//      test's browser (steps.mjs) signs alice in; authorizationCodeGrant checks
//      the answer and the ID token;
//   2. initiateDeviceAuthorization, the code shown to the user (the test's
//      browser enters it at /device and allows) while pollDeviceAuthorizationGrant
//      polls; the ID token of the device's tokens is checked too.
// A custom fetch records what the demo answered at each endpoint.

import * as client from 'openid-client';
import { browse, run, showUserCode } from './steps.mjs';

const RELYING_PARTY = process.argv[3];
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const SCOPE = 'openid profile';

async function main() {
  const issuer = new URL(process.argv[2]);
  const config = await client.dynamicClientRegistration(issuer, {
    client_name: 'openid-client PAR and device client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: SCOPE,
  }, undefined, { execute: [client.allowInsecureRequests] });

  const answers = [];
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options);
    const body = response.status >= 400 ? await response.clone().json() : undefined;
    answers.push({ method: options.method, path: new URL(url).pathname, status: response.status, error: body?.error });
    return response;
  };

  // 1. RFC 9126 through openid-client's own push
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: expectedState,
    nonce: expectedNonce,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
  });
  const tokens = await client.authorizationCodeGrant(config, await browse(url),
    { pkceCodeVerifier, expectedState, expectedNonce, idTokenExpected: true });

  // 2. RFC 8628: the code on the "screen", the browser deciding while the client polls
  const authorization = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
  const [page, deviceTokens] = await Promise.all([
    showUserCode(authorization.verification_uri, authorization.user_code),
    client.pollDeviceAuthorizationGrant(config, authorization),
  ]);

  return {
    client_id: config.clientMetadata().client_id,
    authorization_url_parameters: [...url.searchParams.keys()],
    request_uri: url.searchParams.get('request_uri'),
    token_type: tokens.token_type,
    claims: tokens.claims(),
    user_code: authorization.user_code,
    page,
    device_token_type: deviceTokens.token_type,
    device_scope: deviceTokens.scope,
    device_claims: deviceTokens.claims(),
    answers,
  };
}

run(main);
