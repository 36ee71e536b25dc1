/** A tiny signed-request helper for the sandbox tests, built on the real signer. */
import { newNonce, signedHeaders } from '../../../src/node/signer.ts';
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

/**
 * A clock for `SandboxOptions.clock` that moves only when told: tests advance
 * it past a timeout instead of sleeping. It starts at the real time, so
 * requests signed with the real time still fall inside the window until it
 * is moved far. A latency fault waiting on it records the delay in `slept`
 * and advances the clock by that much at once.
 */
export class ManualClock {
  #now: number;
  readonly slept: number[] = [];

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`a clock only moves forward (advance by ${ms})`);
    this.#now += ms;
  }

  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.advance(ms);
    return Promise.resolve();
  }

  /** The clock's time as a request timestamp (seconds). */
  timestamp(): number {
    return Math.floor(this.#now / 1000);
  }
}

export class Harness {
  readonly sandbox: Sandbox;
  readonly phone: VirtualPhone;
  readonly app: Creds;
  /** The sandbox's clock: its requests are signed with this time. */
  readonly clock: { now(): number };

  constructor(sandbox: Sandbox, clock: { now(): number } = { now: () => Date.now() }) {
    this.sandbox = sandbox;
    this.phone = new VirtualPhone(sandbox.baseUrl);
    this.app = { clientId: sandbox.applicationId, secret: sandbox.applicationSecret };
    this.clock = clock;
  }

  static async start(options: SandboxOptions = {}): Promise<Harness> {
    return new Harness(await startSandbox(options), options.clock);
  }

  /** `signed()` with the sandbox's clock as the timestamp (unless the options give one); the application's credentials by default. */
  sign(method: string, url: string, options: SignOptions = {}, creds: Creds = this.app): Promise<Answer> {
    return signed(method, url, creds, { timestamp: Math.floor(this.clock.now() / 1000), ...options });
  }

  mgmt(route: string, user?: string, query = ''): string {
    const base = `${this.sandbox.baseUrl}/management/${route}/${this.app.clientId}`;
    return user === undefined ? base : `${base}/${quotePlus(user)}${query}`;
  }

  authUrl(user: string, query = ''): string {
    return `${this.sandbox.baseUrl}/authentication/authenticate_user/${this.app.clientId}/${quotePlus(user)}${query}`;
  }

  addUsers(users: string[]): Promise<Answer> {
    return this.sign('POST', this.mgmt('add_users'), { body: JSON.stringify({ users }) });
  }

  async link(user: string): Promise<string> {
    const a = await this.sign('GET', this.mgmt('device_registration_link', user));
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
    const a = await this.sign('GET', this.mgmt('has_registered_mobile_device', user));
    return (a.json as { device_registered: boolean }).device_registered;
  }

  async authenticate(user: string, query = ''): Promise<{ answer: Answer; session: Session | null }> {
    const answer = await this.sign('POST', this.authUrl(user, query), { body: '{}' });
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
    const a = await this.sign('GET', session.statusUrl, {}, { clientId: session.token, secret: session.secret });
    if (a.status !== 200) throw new Error(`status ${a.status} ${a.text}`);
    return (a.json as { authentication_status: { session_status: string } }).authentication_status.session_status;
  }

  logout(session: Session): Promise<Answer> {
    return this.sign('POST', session.logoutUrl, {}, { clientId: session.token, secret: session.secret });
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
