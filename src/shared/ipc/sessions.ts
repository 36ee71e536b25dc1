/**
 * Feature: live authentication sessions (issue 7). What crosses the bridge
 * never includes a session token, a session secret, or a status/logout URL.
 */
import { z } from 'zod';
import type { ErrorInfo } from '../errors.ts';
import { AUTH_METHODS, MAX_SESSION_DURATION_SECONDS, type AuthMethod, type SessionStatus } from '../iampass.ts';
import { event, request } from './define.ts';

export const SESSION_FILTERS = ['all', 'live', 'waiting', 'active', 'walkaway', 'ended'] as const;
export type SessionFilter = (typeof SESSION_FILTERS)[number];

/** The statuses each filter shows (`all`: every one): the list's query and the Sessions screen's counts alike. */
export const SESSION_FILTER_STATUSES: Readonly<Record<Exclude<SessionFilter, 'all'>, readonly SessionStatus[]>> = {
  live: ['pending', 'identifying', 'active', 'walkaway'],
  waiting: ['pending', 'identifying'],
  active: ['active'],
  walkaway: ['walkaway'],
  ended: ['timeout', 'cancelled', 'failed', 'closed'],
};

export interface SessionTimelineEntry {
  at: number;
  status: SessionStatus;
}

/** A session as the renderer sees it. */
export interface SessionView {
  id: string;
  userId: string;
  /** From the user directory when the user is still there. */
  displayName: string | null;
  methods: AuthMethod[];
  startedAt: number;
  /** The last known status (kept while the monitor reports an error). */
  status: SessionStatus;
  /** When the session entered `status`. */
  statusSince: number;
  /** True once the status is final (timeout, cancelled, failed, closed). */
  over: boolean;
  /** Set while the status URL fails: the session is "unknown (error)". */
  error: (ErrorInfo & { since: number; failures: number }) | null;
  /** Whether the monitor is polling it now. */
  monitored: boolean;
}

export interface SessionDetail extends SessionView {
  timeline: SessionTimelineEntry[];
}

export interface SessionList {
  sessions: SessionView[];
  /** Per status, over the whole history of the active profile. */
  counts: Partial<Record<SessionStatus, number>>;
  /** Sessions currently reported "unknown (error)". */
  errors: number;
}

export type StartResult = { started: true; session: SessionDetail } | { started: false; reason: string };

export interface SessionAlert {
  sessionId: string;
  userId: string;
  displayName: string | null;
  kind: 'walkaway' | 'failed';
  at: number;
  message: string;
}

export interface SessionChanged {
  session: SessionView;
  /** The previous status (null for a new session). */
  previous: SessionStatus | null;
  at: number;
}

const userId = z.string().min(1).max(512);

export const sessionsRequests = {
  'sessions.start': request(
    z
      .object({
        userId,
        /** Empty: the service chooses. */
        methods: z.array(z.enum(AUTH_METHODS)).max(3).default([]),
        durationSeconds: z.number().int().min(1).max(MAX_SESSION_DURATION_SECONDS).optional(),
        /** Send even though an earlier request's answer was lost (it may still be on the phone). */
        again: z.boolean().optional(),
      })
      .strict(),
  ).returns<StartResult>(),
  'sessions.list': request(
    z
      .object({
        filter: z.enum(SESSION_FILTERS).default('all'),
        userId: userId.optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  ).returns<SessionList>(),
  'sessions.get': request(z.object({ sessionId: z.string().min(1).max(64) }).strict()).returns<SessionDetail>(),
  'sessions.logout': request(z.object({ sessionId: z.string().min(1).max(64) }).strict()).returns<SessionDetail>(),
  'sessions.logoutUser': request(z.object({ userId }).strict()).returns<{ loggedOut: number; failed: number }>(),
};

export const sessionsEvents = {
  /** A session started, changed status, failed to poll or recovered. */
  'sessions.changed': event<SessionChanged>(),
  /** Walkaway or failure: the in-app alert (a desktop notification is raised in main too). */
  'sessions.alert': event<SessionAlert>(),
};
