/**
 * A small typed client of the sandbox-only API (not signed; loopback only):
 * the virtual phone, applications and faults. Used by tests, E2E and the CLI.
 * Every failure is an AppError.
 */
import { quotePlus } from '../shared/encoding.ts';
import { AppError } from '../shared/errors.ts';
import type { AuthMethod, SessionStatus } from '../shared/iampass.ts';
import type { FaultRule } from './faults.ts';

export interface PhoneRequest {
  /** The session token: also the ID the phone answers with. */
  id: string;
  applicationId: string;
  userId: string;
  methods: AuthMethod[] | null;
  sessionStatus: SessionStatus;
  createdAt: string;
  answerBy: string;
}

export class VirtualPhone {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/sandbox/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new AppError('network', 'The sandbox did not answer.', { cause: error });
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      // plain-text 404 / 403
    }
    if (!response.ok) {
      const reason = (json as { reason?: unknown } | null)?.reason;
      const message = typeof reason === 'string' ? reason : text.slice(0, 200);
      const code =
        response.status === 404 || response.status === 410
          ? 'not_found'
          : response.status === 409
            ? 'conflict'
            : response.status >= 500
              ? 'server'
              : 'invalid_input';
      throw new AppError(code, `sandbox: ${message}`, { details: { status: response.status } });
    }
    return json as T;
  }

  /** Opens a registration link (the URL or its token): binds a new device to the user. */
  async register(registrationLink: string): Promise<{ deviceId: string; applicationId: string; userId: string }> {
    const r = await this.#call<{ deviceId: string; applicationId: string; userId: string }>('POST', 'register', {
      link: registrationLink,
    });
    return { deviceId: r.deviceId, applicationId: r.applicationId, userId: r.userId };
  }

  /** The user's pending / identifying requests (on its enabled device). */
  async pending(applicationId: string, userId: string): Promise<PhoneRequest[]> {
    const r = await this.#call<{ requests: PhoneRequest[] }>(
      'GET',
      `users/${quotePlus(applicationId)}/${quotePlus(userId)}/requests`,
    );
    return r.requests;
  }

  /** Every session of the user, whatever its status. */
  async sessions(applicationId: string, userId: string): Promise<PhoneRequest[]> {
    const r = await this.#call<{ sessions: PhoneRequest[] }>(
      'GET',
      `users/${quotePlus(applicationId)}/${quotePlus(userId)}/sessions`,
    );
    return r.sessions;
  }

  /** One session's current status (unsigned; sandbox only). */
  async session(sessionToken: string): Promise<PhoneRequest> {
    const r = await this.#call<{ session: PhoneRequest }>('GET', `sessions/${quotePlus(sessionToken)}`);
    return r.session;
  }

  #act(kind: 'requests' | 'sessions', id: string, action: string): Promise<{ session_status: SessionStatus }> {
    return this.#call('POST', `${kind}/${quotePlus(id)}/${action}`, {});
  }

  /** pending -> identifying (stops there). */
  async identify(requestId: string): Promise<void> {
    await this.#act('requests', requestId, 'identify');
  }
  /** pending -> identifying -> active. */
  async approve(requestId: string): Promise<void> {
    await this.#act('requests', requestId, 'approve');
  }
  /** -> cancelled. */
  async deny(requestId: string): Promise<void> {
    await this.#act('requests', requestId, 'deny');
  }
  /** -> failed. */
  async fail(requestId: string): Promise<void> {
    await this.#act('requests', requestId, 'fail');
  }
  /** -> timeout, now (as if the pending timeout had passed). */
  async ignore(requestId: string): Promise<void> {
    await this.#act('requests', requestId, 'ignore');
  }
  /** active -> walkaway. */
  async walkAway(sessionId: string): Promise<void> {
    await this.#act('sessions', sessionId, 'walk_away');
  }
  /** walkaway -> active. */
  async comeBack(sessionId: string): Promise<void> {
    await this.#act('sessions', sessionId, 'come_back');
  }
  /** Remote close (as from the phone): a live or waiting session -> closed. */
  async close(sessionId: string): Promise<void> {
    await this.#act('sessions', sessionId, 'close');
  }

  async setFaults(rules: FaultRule[]): Promise<FaultRule[]> {
    return (await this.#call<{ faults: FaultRule[] }>('PUT', 'faults', { faults: rules })).faults;
  }
  async faults(): Promise<FaultRule[]> {
    return (await this.#call<{ faults: FaultRule[] }>('GET', 'faults')).faults;
  }
  async clearFaults(): Promise<void> {
    await this.#call('DELETE', 'faults');
  }

  /** A new application in the sandbox. */
  /** The text messages received at a number (all numbers when omitted), oldest first. */
  async sms(to?: string): Promise<{ to: string; text: string; at: number }[]> {
    const query = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
    const r = await this.#call<{ messages: { to: string; text: string; at: number }[] }>('GET', `sms${query}`);
    return r.messages;
  }

  /** Registers this phone with the link of the last text message received at `to`. */
  async registerFromSms(to: string): Promise<{ deviceId: string }> {
    const last = (await this.sms(to)).at(-1);
    const link = last ? /\bhttps?:\/\/\S+$/.exec(last.text)?.[0] : undefined;
    if (!link) throw new AppError('missing', `No registration link was texted to ${to}.`);
    return this.register(link);
  }

  async createApplication(): Promise<{ id: string; secret: string }> {
    const r = await this.#call<{ id: string; secret: string }>('POST', 'applications', {});
    return { id: r.id, secret: r.secret };
  }
}
