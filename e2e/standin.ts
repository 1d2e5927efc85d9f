// Talking to the stand-in directly (E2E_UPSTREAM), past the relay: as the
// Onlinedienst with its client credentials, or as a citizen with a token of
// their own, to check what the strict stand-in refuses. The browser's app
// never does either (docs/relay.md).
import { createHash, randomBytes } from 'node:crypto';
import { upstreamOrigin } from './fixtures';

/** The Onlinedienst's client at the stand-in's provider (backends/src/idp/clients.rs; dev secret on loopback). */
export const SENDER = { id: 'buergeramt-onlinedienst', secret: 'dev-sender-secret' };

/** A service token of the sender for `scope` (`pvog:read`, `fitconnect:send`, `zbp:deliver`). */
export async function senderToken(scope: string): Promise<string> {
  const r = await fetch(`${upstreamOrigin()}/idp/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SENDER.id, client_secret: SENDER.secret, scope }),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`client credentials for ${scope}: ${r.status} ${text}`);
  return JSON.parse(text).access_token;
}

/** `name=value; …` of every cookie a response sets. */
function cookiesOf(r: Response): string {
  return r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/**
 * A citizen's own access token, as a public client gets it (authorization
 * code with PKCE, the password form of the stand-in's login page): exactly
 * what the relay keeps away from the browser.
 */
export async function citizenToken(user: string, password: string): Promise<string> {
  const up = upstreamOrigin();
  // The stand-in's own directory names its public client (for tools like this).
  const directory = await (await fetch(`${up}/config.json`)).json();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = await fetch(
    `${up}/idp/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: directory.client_id,
      redirect_uri: directory.redirect_uri,
      scope: 'openid profile',
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      acr_values: 'STORK-QAA-Level-1',
    })}`,
    { redirect: 'manual' },
  );
  const loginPage = new URL(authorize.headers.get('location') ?? '', up);
  if (authorize.status !== 303 || !loginPage.pathname.startsWith('/idp/login/')) {
    throw new Error(`authorize: ${authorize.status} ${await authorize.text()}`);
  }
  const cookie = cookiesOf(authorize);
  const html = await (await fetch(loginPage, { headers: { cookie } })).text();
  const csrf = html.match(/name="csrf" value="([^"]+)"/)?.[1];
  if (!csrf) throw new Error('the login page has no csrf field');
  const login = await fetch(`${up}${loginPage.pathname}/password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, username: user, password }),
  });
  const back = login.headers.get('location') ?? '';
  const code = back.includes('?') ? new URL(back, up).searchParams.get('code') : null;
  if (login.status !== 303 || !code) throw new Error(`password login: ${login.status} ${back}`);
  const token = await fetch(`${up}/idp/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: directory.redirect_uri,
      client_id: directory.client_id,
      code_verifier: verifier,
    }),
  });
  const text = await token.text();
  if (token.status !== 200) throw new Error(`token: ${token.status} ${text}`);
  return JSON.parse(text).access_token;
}
