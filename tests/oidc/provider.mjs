// provider.mjs - a real OpenID provider for allot's tests: npm's oidc-provider (a certified
// implementation) on 127.0.0.1, configured from a JSON file that provider.py writes:
//   {"port": PORT (0: any free one), "issuer": (default http://127.0.0.1:PORT), "jwks_file": ...,
//    "clients": [{client_id, client_secret, redirect_uris, ...}],
//    "users": {"alice": {"email": ..., "groups": [...]}}, "id_token_ttl": 3600,
//    "id_token_ttls": {"client_id": seconds},
//    "client_auth_methods": [...] (what the token endpoint takes; default: oidc-provider's)}
// Login is the provider's development interaction (a login form taking any password for a user
// the file names, then a consent form), walked with plain HTTP requests by provider.py.
// SIGHUP re-reads the file and the JWKS file (key rotation, new users or groups) without a
// restart: sessions and codes survive (the memory adapter's store is the module's).
// Prints "ready PORT" once listening and "reloaded" after each SIGHUP, on stdout.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const configPath = process.argv[2];
if (!configPath) {
    console.error('usage: node provider.mjs CONFIG.json');
    process.exit(2);
}

function readJson(path) {
    return JSON.parse(readFileSync(path, 'utf8'));
}

function build(issuer) {
    const cfg = readJson(configPath);
    const users = cfg.users || {};
    const extra = cfg.client_auth_methods ? { clientAuthMethods: cfg.client_auth_methods } : {};
    const provider = new Provider(issuer, {
        ...extra,
        clients: cfg.clients,
        jwks: readJson(cfg.jwks_file),
        async findAccount(ctx, id) {
            if (!Object.hasOwn(users, id)) return undefined;
            return { accountId: id, async claims() { return { ...users[id], sub: id }; } };
        },
        claims: {
            openid: ['sub'],
            email: ['email', 'email_verified'],
            profile: ['name', 'preferred_username'],
            groups: ['groups'],
        },
        scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
        // Scope claims in the ID token too, as enterprise providers send groups.
        conformIdTokenClaims: false,
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
        cookies: { keys: ['allot-tests-only-cookie-key'] },
        ttl: {
            IdToken: (ctx, token, client) =>
                (cfg.id_token_ttls || {})[client.clientId] || cfg.id_token_ttl || 3600,
            AccessToken: 3600,
            AuthorizationCode: 600,
            Interaction: 600,
            Session: 3600,
            Grant: 3600,
        },
    });
    // An error inside the provider goes to stderr, where the test shows it.
    provider.on('server_error', (ctx, err) => console.error('provider server_error:', err));
    return { issuer, handler: provider.callback() };
}

// The issuer names the port: the provider is made once the server listens.
let current = null;
const server = http.createServer((req, res) => current.handler(req, res));
process.on('SIGHUP', () => {
    try {
        current = build(current.issuer);
        console.log('reloaded');
    } catch (err) {
        console.log(`reload failed: ${err.message}`);
    }
});
process.on('SIGTERM', () => process.exit(0));
server.listen(readJson(configPath).port || 0, '127.0.0.1', () => {
    const { port } = server.address();
    current = build(readJson(configPath).issuer || `http://127.0.0.1:${port}`);
    console.log(`ready ${port}`);
});
