// A real OpenID Provider for the sign-in tests: the certified `oidc-provider` package, in memory.
// Configured from the environment by tests/oidc_provider.py; prints "ready" once it listens.
// Device flow (RFC 8628) for a public client, JWT access tokens for AUDIENCE (resource indicators),
// refresh tokens, and the built-in dev interactions (any login name, any password) so a test can
// approve a code without a person.
import fs from 'node:fs';
import Provider from 'oidc-provider';

const env = process.env;
const jwks = JSON.parse(fs.readFileSync(env.JWKS_FILE, 'utf8'));
const ttl = Number(env.ACCESS_TTL || 600);
const audience = env.AUDIENCE;

const provider = new Provider(env.ISSUER, {
  clients: [{
    client_id: env.CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  }],
  jwks,
  cookies: { keys: ['sign-in-tests-only'] },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'api:read'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api:read',
        audience,
        accessTokenTTL: ttl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // The login typed at the dev interaction is the account: its subject and its e-mail.
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, name: id }),
  }),
  extraTokenClaims: async (ctx, token) => (token.accountId ? { email: token.accountId } : undefined),
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: ttl,
    IdToken: ttl,
    DeviceCode: Number(env.DEVICE_CODE_TTL || 600),
    RefreshToken: 3600,
    Grant: 3600,
    Session: 3600,
    Interaction: 600,
  },
});

const server = provider.listen(Number(env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
