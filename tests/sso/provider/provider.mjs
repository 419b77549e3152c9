// A real OpenID Provider for the SSO tests: panva/oidc-provider (OpenID Certified), on 127.0.0.1 port 0.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [<oidc-provider client metadata>...], "accounts_file": "accounts.json"}
// accounts.json: {"<login>": {"email": "...", "name": "...", "groups": ["..."]}, ...}; read again on every claims
// request, so a test changes a user's groups by rewriting the file.
//
// Interactions are oidc-provider's devInteractions: a login form (the login names the account, any password) and a
// consent form, both plain HTML forms a test drives with an HTTP client. PKCE is required of every client. ID tokens
// are RS256-signed with a key generated at start and published at the provider's jwks_uri. Once listening, it prints
// one JSON line {"issuer": "http://127.0.0.1:<port>"} on stdout, then logs nothing else there.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function readAccounts() {
  return JSON.parse(readFileSync(config.accounts_file, 'utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(readAccounts(), id)) {
        return undefined;
      }
      return {
        accountId: id,
        async claims() {
          const account = readAccounts()[id] ?? {};
          return {
            sub: id,
            preferred_username: id,
            email: account.email ?? `${id}@example.test`,
            email_verified: true,
            name: account.name ?? id,
            groups: account.groups ?? [],
          };
        },
      };
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
