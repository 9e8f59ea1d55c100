// A client and a resource server of the demo's API, both built on oauth4webapi.
//
// Usage: node resource_oauth4webapi.mjs API   (the resource identifier: the demo's {base}/api)
//
// 1. RFC 9728: resourceDiscoveryRequest / processResourceDiscoveryResponse read
//    the API's protected-resource metadata, which names its authorization server;
// 2. RFC 8414 discovery of that server, a client of its own (RFC 7591), and the
//    client credentials grant with resource=API (RFC 8707);
// 3. RFC 9068: validateJwtAccessToken, as a resource server would, checks the
//    JWT access token (signature over the JWKS, typ, iss, aud, exp...) for the
//    API, and refuses it for another audience; an opaque token (no resource)
//    is no JWT access token at all;
// 4. the API answers the token (RFC 6750).

import * as oauth from 'oauth4webapi';
import { run } from './steps.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };  // the demo serves http on loopback

async function refused(promise) {
  try {
    await promise;
    return false;
  } catch (error) {
    return error?.name ?? true;
  }
}

async function main() {
  const api = new URL(process.argv[2]);
  const rs = await oauth.processResourceDiscoveryResponse(api, await oauth.resourceDiscoveryRequest(api, insecure));
  const issuer = new URL(rs.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    ...insecure,
  }));
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi API caller',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'profile',
    }, insecure),
  );
  const client = { client_id: registered.client_id };
  const clientAuth = oauth.ClientSecretBasic(registered.client_secret);
  const grant = (parameters) => oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, insecure)
    .then((response) => oauth.processClientCredentialsResponse(as, client, response));

  const tokens = await grant({ scope: 'profile', resource: rs.resource });
  const asResourceServer = (token, audience) => oauth.validateJwtAccessToken(
    as,
    new Request(new URL('/api/me', api), { headers: { authorization: `Bearer ${token}` } }),
    audience,
    insecure,
  );
  const claims = await asResourceServer(tokens.access_token, rs.resource);
  const wrongAudience = await refused(asResourceServer(tokens.access_token, 'https://elsewhere.example.com/api'));
  const opaque = await grant({ scope: 'profile' });
  const opaqueRefused = await refused(asResourceServer(opaque.access_token, rs.resource));

  const me = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${api.href}/me`), undefined,
    null, insecure);
  const unknownTarget = await refused(grant({ scope: 'profile', resource: 'https://elsewhere.example.com/api' }));

  return {
    resource_metadata: rs,
    issuer: as.issuer,
    client_id: client.client_id,
    claims,
    wrong_audience_refused: wrongAudience,
    opaque_token_refused: opaqueRefused,
    me: { status: me.status, body: await me.json() },
    unknown_target_refused: unknownTarget,
  };
}

run(main);
