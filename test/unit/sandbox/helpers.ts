/** A tiny signed-request helper for the sandbox tests, built on the real signer. */
import { newNonce, signedHeaders } from '../../../src/main/iampass/signer.ts';
import { quotePlus } from '../../../src/shared/encoding.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/server.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';

export interface Creds {
  clientId: string;
  secret: string;
}

export interface SignOptions {
  nonce?: string;
  timestamp?: number;
  body?: string;
  /** Edit headers after signing (tampering). */
  tamper?: (headers: Record<string, string>) => void;
  /** Sign this URL but send to `url`. */
  signedUrl?: string;
  contentType?: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function signed(method: string, url: string, creds: Creds, options: SignOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = signedHeaders('IAMPASS', creds, options.signedUrl ?? url, {
    nonce: options.nonce ?? newNonce(),
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
  if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  options.tamper?.(headers);
  const response = await fetch(url, { method, headers, body: options.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export class Harness {
  readonly sandbox: Sandbox;
  readonly phone: VirtualPhone;
  readonly app: Creds;

  constructor(sandbox: Sandbox) {
    this.sandbox = sandbox;
    this.phone = new VirtualPhone(sandbox.baseUrl);
    this.app = { clientId: sandbox.applicationId, secret: sandbox.applicationSecret };
  }

  static async start(options: SandboxOptions = {}): Promise<Harness> {
    return new Harness(await startSandbox(options));
  }

  mgmt(route: string, user?: string, query = ''): string {
    const base = `${this.sandbox.baseUrl}/management/${route}/${this.app.clientId}`;
    return user === undefined ? base : `${base}/${quotePlus(user)}${query}`;
  }

  authUrl(user: string, query = ''): string {
    return `${this.sandbox.baseUrl}/authentication/authenticate_user/${this.app.clientId}/${quotePlus(user)}${query}`;
  }

  addUsers(users: string[]): Promise<Answer> {
    return signed('POST', this.mgmt('add_users'), this.app, { body: JSON.stringify({ users }) });
  }

  async link(user: string): Promise<string> {
    const a = await signed('GET', this.mgmt('device_registration_link', user), this.app);
    const url = (a.json as { register_url?: string }).register_url;
    if (a.status !== 200 || typeof url !== 'string') throw new Error(`no link: ${a.status} ${a.text}`);
    return url;
  }

  /** Adds the user and registers a phone for it. */
  async enrol(user: string): Promise<string> {
    await this.addUsers([user]);
    return (await this.phone.register(await this.link(user))).deviceId;
  }

  async hasDevice(user: string): Promise<boolean> {
    const a = await signed('GET', this.mgmt('has_registered_mobile_device', user), this.app);
    return (a.json as { device_registered: boolean }).device_registered;
  }

  async authenticate(user: string, query = ''): Promise<{ answer: Answer; session: Session | null }> {
    const answer = await signed('POST', this.authUrl(user, query), this.app, { body: '{}' });
    const st = (answer.json as { authentication_status?: Record<string, unknown> } | null)?.authentication_status;
    if (answer.status !== 202 || !st) return { answer, session: null };
    return {
      answer,
      session: {
        token: String(st.session_token),
        secret: String(st.session_secret),
        statusUrl: String(st.status_url),
        logoutUrl: String(st.logout_url),
      },
    };
  }

  async status(session: Session): Promise<string> {
    const a = await signed('GET', session.statusUrl, { clientId: session.token, secret: session.secret });
    if (a.status !== 200) throw new Error(`status ${a.status} ${a.text}`);
    return (a.json as { authentication_status: { session_status: string } }).authentication_status.session_status;
  }

  logout(session: Session): Promise<Answer> {
    return signed('POST', session.logoutUrl, { clientId: session.token, secret: session.secret });
  }

  close(): Promise<void> {
    return this.sandbox.close();
  }
}

export interface Session {
  token: string;
  secret: string;
  statusUrl: string;
  logoutUrl: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
