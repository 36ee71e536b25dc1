/**
 * auth start, sessions list | watch | logout: SessionsService and its one
 * monitor, as in the console. --watch / watch print one line (or one JSON
 * line) per status change.
 */
import { AUTH_METHODS, SESSION_STATUS_INFO, type AuthMethod } from '../../shared/iampass.ts';
import { SESSION_FILTERS, type SessionFilter, type SessionView } from '../../shared/ipc/sessions.ts';
import type { SessionEvent } from '../../main/services/sessions.ts';
import type { ServicesOptions } from '../../main/services/index.ts';
import { bool, str, type Command, type Values } from '../command.ts';
import { EXIT, exitCodeFor, UsageError } from '../exit.ts';
import { sessionJson } from '../json.ts';
import { table, when } from '../output.ts';

function monitorOptions(values: Values): Partial<ServicesOptions> {
  const v = str(values, 'interval');
  if (v === undefined) return {};
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0.05 || s > 60) throw new UsageError('--interval is 0.05..60 seconds');
  const ms = Math.round(s * 1000);
  return { sessions: { intervals: { waitingMs: ms, liveMs: ms, backoffBaseMs: ms } } };
}

function viewLine(v: SessionView): string {
  const err = v.error ? ` (status unknown: ${v.error.message})` : '';
  return `${when(v.statusSince)}  ${v.id}  ${v.userId}  ${v.status}${err}`;
}

/** Resolves when `stop()` is called or on Ctrl+C / SIGTERM; holds the event loop open until then. */
export function untilStopped(): { promise: Promise<void>; stop: () => void } {
  let stop: () => void = () => undefined;
  // The monitor's timers do not hold the event loop open; this does, until stopped.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const promise = new Promise<void>((done) => {
    const finish = () => {
      clearInterval(keepAlive);
      process.removeListener('SIGINT', finish);
      process.removeListener('SIGTERM', finish);
      done();
    };
    stop = finish;
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  return { promise, stop };
}

export const sessionsCommands: Command[] = [
  {
    name: 'auth start',
    args: 'USER_ID [--methods acceptance,device,facial] [--duration S] [--again] [--watch [--interval S]]',
    summary: "Send an authentication request to the user's phone.",
    help: `Prints the session ID and its first status. With --watch, follows it and prints
each change; exits 0 once the user is authenticated (active), 1 if it ends
otherwise (denied, timed out, failed). A refusal (e.g. no registered phone)
exits 1 with the service's reason. When a request was sent and its answer lost,
it may still be on the phone: the command says so (exit 1) and refuses to send
another for two minutes unless --again is given.`,
    options: {
      again: { type: 'boolean' },
      methods: { type: 'string' },
      duration: { type: 'string' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [userId]) {
      let methods: AuthMethod[] | undefined;
      const m = str(values, 'methods');
      if (m !== undefined) {
        methods = m.split(',').map((s) => s.trim()) as AuthMethod[];
        const bad = methods.find((x) => !(AUTH_METHODS as readonly string[]).includes(x));
        if (bad !== undefined || methods.length === 0)
          throw new UsageError(`--methods is a comma-separated list of ${AUTH_METHODS.join(', ')}`);
      }
      let durationSeconds: number | undefined;
      const d = str(values, 'duration');
      if (d !== undefined) {
        durationSeconds = Number(d);
        if (!Number.isInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > 86_400)
          throw new UsageError('--duration is 1..86400 seconds');
      }
      if (str(values, 'interval') !== undefined && !bool(values, 'watch'))
        throw new UsageError('--interval goes with --watch');
      const { services } = await ctx.pinned(monitorOptions(values));
      const watch = bool(values, 'watch');
      const events: SessionView[] = [];
      let wake: (() => void) | null = null;
      const off = services.sessions.on((e: SessionEvent) => {
        if (e.type !== 'changed') return;
        events.push(e.payload.session);
        wake?.();
      });
      try {
        const result = await services.sessions.start({
          userId: userId ?? '',
          ...(methods ? { methods } : {}),
          ...(durationSeconds !== undefined ? { durationSeconds } : {}),
          ...(bool(values, 'again') ? { again: true } : {}),
        });
        if (!result.started) {
          ctx.out.error({
            code: 'refused',
            message: `IAMPASS did not start the authentication: ${result.reason}`,
            retryable: false,
          });
          return exitCodeFor('refused');
        }
        const id = result.session.id;
        if (ctx.out.json) ctx.out.data(sessionJson(result.session), watch);
        else ctx.out.line(viewLine(result.session));
        if (!watch) return EXIT.ok;
        const stopper = untilStopped();
        let last = result.session.status;
        let seen = 0;
        try {
          for (;;) {
            while (seen < events.length) {
              const v = events[seen++];
              if (!v || v.id !== id) continue;
              if (v.status === last && !v.error) continue;
              last = v.status;
              if (ctx.out.json) ctx.out.data(sessionJson(v), true);
              else ctx.out.line(viewLine(v));
              if (SESSION_STATUS_INFO[v.status].authenticated) return EXIT.ok;
              if (v.over) return EXIT.failed;
            }
            const woke = new Promise<'event'>((done) => (wake = () => done('event')));
            if ((await Promise.race([woke, stopper.promise.then(() => 'stop' as const)])) === 'stop')
              return EXIT.failed;
            wake = null;
          }
        } finally {
          stopper.stop();
        }
      } finally {
        off();
      }
    },
  },
  {
    name: 'sessions list',
    args: '[--filter all|live|ended|walkaway] [--user USER_ID] [--limit N]',
    summary: 'List the sessions started from this data folder (last known statuses).',
    help: 'Local: statuses are the last ones the console or the CLI saw; sessions watch refreshes live ones.',
    options: { filter: { type: 'string' }, user: { type: 'string' }, limit: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const filter = str(values, 'filter') ?? 'all';
      if (!(SESSION_FILTERS as readonly string[]).includes(filter))
        throw new UsageError(`--filter is one of ${SESSION_FILTERS.join(', ')}`);
      const l = str(values, 'limit');
      const limit = l === undefined ? 200 : Number(l);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit is 1..10000');
      const user = str(values, 'user');
      const { services } = await ctx.pinned();
      const list = services.sessions.list({
        filter: filter as SessionFilter,
        limit,
        ...(user !== undefined ? { userId: user } : {}),
      });
      if (ctx.out.json)
        ctx.out.data({ sessions: list.sessions.map(sessionJson), counts: list.counts, errors: list.errors });
      else {
        if (list.sessions.length)
          ctx.out.line(
            table(
              ['SESSION', 'USER ID', 'STATUS', 'STARTED', 'SINCE'],
              list.sessions.map((s) => [s.id, s.userId, s.status, when(s.startedAt), when(s.statusSince)]),
            ),
          );
        ctx.out.note(`${String(list.sessions.length)} sessions.`);
      }
      return EXIT.ok;
    },
  },
  {
    name: 'sessions watch',
    args: '[--until-idle] [--interval S]',
    summary: 'Follow the live sessions and print every status change (Ctrl+C stops).',
    help: `Prints one line per live session of the profile (--json: one JSON object per
line), then one per change: a status, or a status that cannot be read (and its
recovery). Sessions started later, by the console or another iampass-admin, are
picked up within a couple of seconds. The statuses come from this process's own
polls, so a change another process saw first is still printed. --until-idle
exits once no session of the profile is live any more. Ctrl+C stops (exit 0).`,
    options: { 'until-idle': { type: 'boolean' }, interval: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const options = monitorOptions(values);
      const { services, profile } = await ctx.pinned(options);
      const untilIdle = bool(values, 'until-idle');
      const stopper = untilStopped();
      // What this process last printed per session of the profile: "status" or "status!" while unreadable.
      const shown = new Map<string, string>();
      const stateOf = (v: SessionView) => `${v.status}${v.error ? '!' : ''}`;
      const show = (v: SessionView) => {
        shown.set(v.id, stateOf(v));
        if (ctx.out.json) ctx.out.data(sessionJson(v), true);
        else ctx.out.line(viewLine(v));
      };
      const liveNow = () => services.sessions.list({ filter: 'live', limit: 10_000 }).sessions;
      /** Follows the profile's live sessions not followed yet (the monitor resumes every profile's). */
      const discover = (): number => {
        services.sessions.resume();
        const live = liveNow();
        for (const v of live) if (!shown.has(v.id)) show(v);
        return live.length;
      };
      const off = services.sessions.on((e) => {
        if (e.type === 'alert') {
          if (shown.has(e.payload.sessionId) && !ctx.out.json) ctx.out.note(`alert: ${e.payload.message}`);
          return;
        }
        const v = e.payload.session;
        const before = shown.get(v.id);
        if (before === undefined || before === stateOf(v)) return; // another profile's, or nothing new
        show(v);
        if (untilIdle && liveNow().length === 0) stopper.stop();
      });
      const everyMs = Math.max(1000, options.sessions?.intervals?.liveMs ?? 2000);
      let timer: ReturnType<typeof setInterval> | undefined;
      try {
        const n = discover();
        ctx.out.note(`Watching ${String(n)} live sessions of "${profile.name}"${untilIdle ? '' : ' (Ctrl+C stops)'}.`);
        if (untilIdle && n === 0) return EXIT.ok;
        timer = setInterval(() => {
          if (discover() === 0 && untilIdle) stopper.stop();
        }, everyMs);
        await stopper.promise;
        return EXIT.ok;
      } finally {
        clearInterval(timer);
        stopper.stop();
        off();
      }
    },
  },
  {
    name: 'sessions logout',
    args: 'SESSION_ID | --user USER_ID',
    summary: 'Log a session out remotely (or every live session of a user).',
    help: 'Exit 1 when the session is already over or a logout failed.',
    options: { user: { type: 'string' } },
    positionals: { min: 0, max: 1 },
    async run(ctx, values, [sessionId]) {
      const user = str(values, 'user');
      if ((user === undefined) === (sessionId === undefined))
        throw new UsageError('give a SESSION_ID or --user USER_ID');
      const { services } = await ctx.pinned();
      if (user !== undefined) {
        const r = await services.sessions.logoutUser(user);
        if (ctx.out.json) ctx.out.data(r);
        else
          ctx.out.line(
            `Logged out ${String(r.loggedOut)} sessions of ${user}${r.failed ? `; ${String(r.failed)} failed` : ''}.`,
          );
        return r.failed > 0 ? EXIT.failed : EXIT.ok;
      }
      const v = await services.sessions.logout(sessionId ?? '');
      if (ctx.out.json) ctx.out.data(sessionJson(v));
      else ctx.out.line(viewLine(v));
      return EXIT.ok;
    },
  },
];
