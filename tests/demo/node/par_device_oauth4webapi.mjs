// PAR (RFC 9126), the device grant (RFC 8628) and private_key_jwt (RFC 7523) against the proauth2 demo,
// built on oauth4webapi.
//
// Usage: node par_device_oauth4webapi.mjs ISSUER RELYING_PARTY   (the base of its redirect URIs)
//
// RFC 8414 discovery, then three clients of its own, each registered through RFC 7591:
//   1. PAR: a confidential client (client_secret_basic) pushes its authorization
//      request (pushedAuthorizationRequest), sends the test's browser (steps.mjs)
//      with client_id and request_uri alone, exchanges the code and calls
//      /api/me; a push with a redirect_uri it never registered is refused at the
//      push, as JSON;
//   2. the device grant: a public client asks for a device authorization
//      (deviceAuthorizationRequest), polls once (authorization_pending), shows
//      the user its code (the test's browser enters it at /device and allows)
//      and polls every `interval` seconds (deviceCodeGrantRequest,
//      processDeviceCodeResponse) until the tokens come; /api/me; refresh;
//   3. private_key_jwt: an ES256 key pair of its own (generateKeyPair), its
//      public key registered as `jwks`, and every call to the server
//      authenticated by an assertion it signs (PrivateKeyJwt): a client
//      credentials token, its introspection, its revocation; an assertion by
//      another key is refused.

import * as oauth from 'oauth4webapi';
import { browse, run, showUserCode, sleep } from './steps.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };  // the demo serves http on loopback
const RELYING_PARTY = process.argv[3];
const REDIRECT_URI = `${RELYING_PARTY}/callback`;
const SCOPE = 'profile';

// What a refused request said: its status, error and challenge (a 401 invalid_client challenges, RFC 6749 §5.2).
async function refusal(promise) {
  try {
    await promise;
    return { refused: false };
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      return { refused: true, status: error.status, error: error.error };
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const body = await error.response.json();
      return { refused: true, status: error.status, error: body.error, challenge: error.cause[0]?.scheme };
    }
    throw error;
  }
}

async function register(as, metadata) {
  return oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, metadata, insecure));
}

async function getMe(issuer, accessToken) {
  const response = await oauth.protectedResourceRequest(accessToken, 'GET', new URL('/api/me', issuer), undefined,
    null, insecure);
  return { status: response.status, body: await response.json() };
}

// 1. RFC 9126: push, then the browser with the reference alone.
async function pushed(as, issuer) {
  const registered = await register(as, {
    client_name: 'oauth4webapi PAR client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: SCOPE,
  });
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.ClientSecretBasic(registered.client_secret);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const parameters = {
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
  };
  const par = await oauth.processPushedAuthorizationResponse(as, client,
    await oauth.pushedAuthorizationRequest(as, client, clientAuth, parameters, insecure));

  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({ client_id: client.client_id, request_uri: par.request_uri }).toString();
  const params = oauth.validateAuthResponse(as, client, await browse(url), state);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, codeVerifier, insecure));

  // §2.3: a bad parameter is the client's 400 at the push, never a redirect of the user's browser
  const badRedirect = await refusal(oauth.processPushedAuthorizationResponse(as, client,
    await oauth.pushedAuthorizationRequest(as, client, clientAuth,
      { ...parameters, redirect_uri: 'https://evil.example/callback' }, insecure)));

  return {
    pushed_authorization_request_endpoint: as.pushed_authorization_request_endpoint,
    require_pushed_authorization_requests: as.require_pushed_authorization_requests,
    request_uri: par.request_uri,
    expires_in: par.expires_in,
    authorization_url_parameters: [...url.searchParams.keys()],
    token_type: tokens.token_type,
    scope: tokens.scope,
    me: await getMe(issuer, tokens.access_token),
    bad_redirect_uri: badRedirect,
  };
}

// 2. RFC 8628: a public client with no browser.
async function device(as, issuer) {
  const registered = await register(as, {
    client_name: 'oauth4webapi device client',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    token_endpoint_auth_method: 'none',
    scope: SCOPE,
  });
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.None();
  const authorization = await oauth.processDeviceAuthorizationResponse(as, client,
    await oauth.deviceAuthorizationRequest(as, client, clientAuth, { scope: SCOPE }, insecure));

  const answers = [];
  const poll = async () => {
    try {
      const tokens = await oauth.processDeviceCodeResponse(as, client,
        await oauth.deviceCodeGrantRequest(as, client, clientAuth, authorization.device_code, insecure));
      answers.push('tokens');
      return tokens;
    } catch (error) {
      if (!(error instanceof oauth.ResponseBodyError)) {
        throw error;
      }
      answers.push(error.error);
      if (error.error !== 'authorization_pending' && error.error !== 'slow_down') {
        throw error;
      }
      return undefined;
    }
  };
  // §3.5: poll every `interval` seconds, 5 more after a slow_down, until the user decided
  const pollUntilTokens = async () => {
    let interval = authorization.interval ?? 5;
    for (;;) {
      await sleep(interval * 1000);
      const tokens = await poll();
      if (tokens) {
        return tokens;
      }
      if (answers.at(-1) === 'slow_down') {
        interval += 5;
      }
    }
  };

  await poll();  // the user has not been shown the code yet: authorization_pending
  const [page, tokens] = await Promise.all([
    showUserCode(authorization.verification_uri, authorization.user_code),
    pollUntilTokens(),
  ]);
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, insecure));

  return {
    device_authorization_endpoint: as.device_authorization_endpoint,
    client_id: client.client_id,
    user_code: authorization.user_code,
    verification_uri: authorization.verification_uri,
    verification_uri_complete: authorization.verification_uri_complete,
    expires_in: authorization.expires_in,
    interval: authorization.interval,
    page,
    answers,
    token_type: tokens.token_type,
    scope: tokens.scope,
    refresh_token_issued: Boolean(tokens.refresh_token),
    me: await getMe(issuer, tokens.access_token),
    refreshed_me: await getMe(issuer, refreshed.access_token),
    refresh_token_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
  };
}

// A key pair's public half as the JWK a client registers: its kid, its algorithm, for signatures.
async function publicJwk(publicKey, kid) {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
  return { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' };
}

// 3. RFC 7523 §2.2: no secret at all, an assertion signed by the client's own key instead.
async function privateKeyJwt(as) {
  const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
  const kid = 'oauth4webapi-1';
  const registered = await register(as, {
    client_name: 'oauth4webapi private_key_jwt client',
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [await publicJwk(keyPair.publicKey, kid)] },
    scope: SCOPE,
  });
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.PrivateKeyJwt({ key: keyPair.privateKey, kid });

  const tokens = await oauth.processClientCredentialsResponse(as, client,
    await oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: SCOPE }, insecure));
  const introspect = async () => oauth.processIntrospectionResponse(as, client,
    await oauth.introspectionRequest(as, client, clientAuth, tokens.access_token, insecure));
  const introspected = await introspect();
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, clientAuth, tokens.access_token, insecure));
  const afterRevocation = await introspect();

  const otherKey = await oauth.generateKeyPair('ES256');
  const otherKeyRefused = await refusal(oauth.processClientCredentialsResponse(as, client,
    await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: otherKey.privateKey, kid }),
      { scope: SCOPE }, insecure)));

  return {
    token_endpoint_auth_methods_supported: as.token_endpoint_auth_methods_supported,
    token_endpoint_auth_signing_alg_values_supported: as.token_endpoint_auth_signing_alg_values_supported,
    client_id: client.client_id,
    registered_auth_method: registered.token_endpoint_auth_method,
    client_secret_issued: 'client_secret' in registered,
    registered_jwks: registered.jwks,
    token_type: tokens.token_type,
    scope: tokens.scope,
    introspected: { active: introspected.active, client_id: introspected.client_id, scope: introspected.scope },
    active_after_revocation: afterRevocation.active,
    other_key: otherKeyRefused,
  };
}

async function main() {
  const issuer = new URL(process.argv[2]);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    ...insecure,
  }));
  return {
    issuer: as.issuer,
    par: await pushed(as, issuer),
    device: await device(as, issuer),
    private_key_jwt: await privateKeyJwt(as),
  };
}

run(main);
