/**
 * A FIT-Connect sender for end-to-end tests, in Node with WebCrypto only
 * (globalThis.crypto.subtle, Node 20): route → destination → key →
 * announce → upload attachments → submit, with compact JWEs
 * (RSA-OAEP-256 wrapping a random AES-256-GCM key; the AAD is the ASCII of
 * the base64url protected header), as docs/backends.md §3 describes.
 *
 * It is the citizen's app without the browser: it talks to the relay
 * (`/api/v1/…`, docs/relay.md) with the browser's session cookie after a
 * login through the UI, as the app does. The relay forwards the JWEs byte
 * for byte and records the submission as the citizen's; no token is ever
 * seen here (the relay holds them).
 */

import type { Page } from '@playwright/test';
import { API, sessionCookie } from './fixtures';

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export const EVENT_PREFIX = 'https://schema.fitko.de/fit-connect/events/';

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export async function sha512Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-512', bytes));
  return Buffer.from(digest).toString('hex');
}

export interface EncryptionJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  alg?: string;
  key_ops?: string[];
}

/** A compact JWE for `jwk`, as the browser makes it. */
export async function encryptJwe(jwk: EncryptionJwk, plaintext: Uint8Array, cty: string): Promise<string> {
  const rsa = await subtle.importKey(
    'jwk',
    { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256', ext: true, key_ops: ['wrapKey'] },
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['wrapKey'],
  );
  const cek = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
  const wrapped = new Uint8Array(await subtle.wrapKey('raw', cek, rsa, { name: 'RSA-OAEP' }));
  const header = { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid, cty };
  const protectedHeader = base64url(encoder.encode(JSON.stringify(header)));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(protectedHeader), tagLength: 128 },
      cek,
      plaintext,
    ),
  );
  const ciphertext = sealed.slice(0, sealed.length - 16);
  const tag = sealed.slice(sealed.length - 16);
  return [protectedHeader, base64url(wrapped), base64url(iv), base64url(ciphertext), base64url(tag)].join('.');
}

export interface Attachment {
  /** A UUID (the relay refuses anything else). */
  id: string;
  bytes: Uint8Array;
  mimeType: string;
  filename: string;
}

export interface Application {
  leikaKey: string;
  ars: string;
  serviceName: string;
  /** The form data (JSON), as the form would produce it. */
  data: unknown;
  attachments?: Attachment[];
  idempotencyKey?: string;
  /** Put a wrong data hash into the metadata (the authority then rejects it). */
  breakDataHash?: boolean;
  /** Stop after the announcement (an incomplete submission). */
  announceOnly?: boolean;
  /** Leave out the relay's attestation (the authority then rejects it). */
  withoutAttestation?: boolean;
}

export interface Sent {
  submissionId: string;
  caseId: string;
  /** The relay's short reference (`HST-2026-000001`). */
  senderReference: string;
  destinationId: string;
  destinationName: string;
  /** `submitted`, `rejected`, or `incomplete` when only announced. */
  status: string;
}

export class FitConnectClient {
  /**
   * `base`: the relay's API, e.g. `http://127.0.0.1:8080/api/v1`;
   * `cookie`: the browser's session cookie as `name=value`.
   */
  constructor(
    private readonly base: string,
    private readonly cookie: string,
  ) {}

  private async json(path: string, init: RequestInit = {}): Promise<any> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...API,
      Cookie: this.cookie,
      ...(init.headers as Record<string, string>),
    };
    const res = await fetch(`${this.base}${path}`, { ...init, headers });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async route(leikaKey: string, ars: string): Promise<any> {
    const r = await this.json(`/submission/routes?leikaKey=${leikaKey}&ars=${ars}`);
    if (r.routes.length !== 1) throw new Error(`expected one route for ${leikaKey} at ${ars}, got ${r.routes.length}`);
    return r.routes[0];
  }

  async destination(id: string): Promise<any> {
    return this.json(`/submission/destinations/${id}`);
  }

  async key(destinationId: string, kid: string): Promise<EncryptionJwk> {
    return this.json(`/submission/destinations/${destinationId}/keys/${kid}`);
  }

  async announce(
    body: unknown,
    idempotencyKey?: string,
    ars?: string,
  ): Promise<{ submissionId: string; caseId: string; senderReference: string }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const place = ars ? `?ars=${ars}` : '';
    return this.json(`/applications${place}`, { method: 'POST', headers, body: JSON.stringify(body) });
  }

  async upload(submissionId: string, attachmentId: string, jwe: string): Promise<void> {
    await this.json(`/applications/${submissionId}/attachments/${attachmentId}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/jose' },
      body: jwe,
    });
  }

  async submit(submissionId: string, encryptedMetadata: string, encryptedData: string): Promise<any> {
    return this.json(`/applications/${submissionId}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ encryptedMetadata, encryptedData }),
    });
  }

  async submissions(): Promise<any[]> {
    return (await this.json('/applications')).submissions;
  }

  /** The relay's signed attestation for this submission and data hash. */
  async attestation(submissionId: string, dataHash: string): Promise<string> {
    const r = await this.json(`/applications/${submissionId}/attestation`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dataHash }),
    });
    return r.attestation;
  }

  /** The citizen's BundID postbox (the session's `mailboxUuid`), if any. */
  async mailbox(): Promise<string | undefined> {
    const s = await this.json('/session');
    return (s.attributes ?? []).find((a: { name: string }) => a.name === 'mailboxUuid')?.value;
  }

  async events(caseId: string): Promise<string[]> {
    return (await this.json(`/cases/${caseId}/events`)).eventLog;
  }

  /** The whole flow for one application. */
  async send(app: Application): Promise<Sent> {
    const route = await this.route(app.leikaKey, app.ars);
    const dest = await this.destination(route.destinationId);
    if (dest.status !== 'active') throw new Error(`destination ${dest.destinationId} is ${dest.status}`);
    const jwk = await this.key(dest.destinationId, dest.encryptionKid);
    const schemaUri: string = dest.services[0].submissionSchemas[0].schemaUri;
    const attachments = app.attachments ?? [];
    const announced = await this.announce(
      {
        destinationId: dest.destinationId,
        announcedAttachments: attachments.map((a) => a.id),
        serviceType: { name: app.serviceName, identifier: `urn:de:fim:leika:leistung:${app.leikaKey}` },
      },
      app.idempotencyKey,
      app.ars,
    );
    const sent: Sent = {
      ...announced,
      destinationId: dest.destinationId,
      destinationName: route.destinationName,
      status: 'incomplete',
    };
    if (app.announceOnly) return sent;
    for (const a of attachments) {
      await this.upload(announced.submissionId, a.id, await encryptJwe(jwk, a.bytes, a.mimeType));
    }
    const data = encoder.encode(JSON.stringify(app.data));
    const mailbox = await this.mailbox();
    const hashed = app.breakDataHash ? encoder.encode('something else than the data') : data;
    // The relay vouches for the login and the verified attributes, bound to
    // this submission and this data (as the app does before it encrypts).
    const attestation = app.withoutAttestation
      ? undefined
      : await this.attestation(announced.submissionId, await sha512Hex(data));
    const metadata = {
      $schema: 'https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json',
      contentStructure: {
        data: {
          hash: { type: 'sha512', content: await sha512Hex(hashed) },
          submissionSchema: { schemaUri, mimeType: 'application/json' },
        },
        attachments: await Promise.all(
          attachments.map(async (a) => ({
            attachmentId: a.id,
            hash: { type: 'sha512', content: await sha512Hex(a.bytes) },
            purpose: 'attachment',
            mimeType: a.mimeType,
            filename: a.filename,
          })),
        ),
      },
      ...(attestation
        ? { authenticationInformation: [{ type: 'identificationReport', version: '1.0.0', content: attestation }] }
        : {}),
      additionalReferenceInfo: {
        applicationDate: new Date().toISOString().slice(0, 10),
        senderReference: announced.senderReference,
      },
      // Where the authority answers: FIT-Connect does not know the citizen.
      ...(mailbox ? { replyChannel: { idBundMailbox: { idBundMailboxAddress: mailbox } } } : {}),
    };
    const result = await this.submit(
      announced.submissionId,
      await encryptJwe(jwk, encoder.encode(JSON.stringify(metadata)), 'application/json'),
      await encryptJwe(jwk, data, 'application/json'),
    );
    return { ...sent, status: result.status };
  }
}

/** A client for the citizen logged in in `page`'s browser context (through the relay at `origin`, default the suite's). */
export async function citizenClient(page: Page, origin = `http://127.0.0.1:${process.env.E2E_PORT}`): Promise<FitConnectClient> {
  const cookie = await sessionCookie(page.context(), origin);
  if (!cookie) throw new Error('no session cookie: log in through the UI first');
  return new FitConnectClient(`${origin}/api/v1`, `${cookie.name}=${cookie.value}`);
}

/** Hundesteuer anmelden (Level-1) as Erika fills it: two dogs, no listed breed. */
export const HUNDESTEUER = {
  leikaKey: '99089005001000',
  serviceName: 'Hundesteuer anmelden',
  data: {
    F60000228: 'Erika',
    F60000227: 'Mustermann',
    F60000229: '1964-08-12',
    G60000086: { F60000243: 'Heidestr. 17', F60000246: '40721', F60000247: 'Hilden' },
    G99100001: [
      { F99100002: 'Bello', F99100003: 'Labrador', F99100004: '2026-10-01', F99100005: false },
      { F99100002: 'Luna', F99100003: 'Mischling', F99100004: '2025-03-15', F99100005: false },
    ],
    F60000240: 'erika.mustermann@example.org',
  },
};
