/**
 * The IAMPASS management routes (spec section 3), all signed by the
 * application: add_users, delete_users, device_registration_link,
 * has_registered_mobile_device, lost_user_mobile_device.
 */
import type { SandboxContext } from '../context.ts';
import { MAX_SMS } from '../state.ts';
import { badRequest, checkText, jsonObject, noQuery, notFound, userList, type RouteDef } from '../http.ts';

/** E.164: `+`, a country code that does not start with 0, 7 to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;
import { appRequest, userOf } from '../verify.ts';

export type ManagementRoute =
  | 'add_users'
  | 'delete_users'
  | 'device_registration_link'
  | 'has_registered_mobile_device'
  | 'lost_user_mobile_device'
  | 'send_registration_sms';

export function managementRoutes(sb: SandboxContext): Record<ManagementRoute, RouteDef> {
  const { state } = sb;
  const linkUrl = (token: string) => `${sb.baseUrl()}/sandbox/phone/register/${token}`;

  return {
    add_users: {
      prefix: 'management',
      method: 'POST',
      handle(ctx) {
        if (ctx.segments.length !== 1) throw notFound('no such route');
        const app = appRequest(sb, ctx);
        noQuery(ctx);
        const users = userList(ctx.body);
        const created: string[] = [];
        const existing: string[] = [];
        for (const id of users) {
          if (app.users.has(id) || created.includes(id)) {
            if (!existing.includes(id)) existing.push(id);
            continue;
          }
          app.users.set(id, { id, displayName: null, device: null, linkHash: null, linkExpiresAt: 0 });
          created.push(id);
        }
        if (created.length > 0) sb.changed();
        return { status: 201, body: { status: true, users: { created, existing } } };
      },
    },
    delete_users: {
      prefix: 'management',
      method: 'POST',
      handle(ctx) {
        if (ctx.segments.length !== 1) throw notFound('no such route');
        const app = appRequest(sb, ctx);
        noQuery(ctx);
        const users = userList(ctx.body);
        const now = sb.clock.now();
        for (const id of users) state.deleteUser(app, id, now);
        sb.changed();
        return { status: 200, body: { status: true } };
      },
    },
    device_registration_link: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(sb, ctx);
        const user = userOf(app, ctx);
        noQuery(ctx, ['display_name']);
        const displayName = ctx.query.get('display_name');
        if (displayName !== undefined) checkText(displayName, 'display_name');
        if (user.device?.enabled) {
          return {
            status: 200,
            body: { status: false, reason: 'the user already has a registered device (use lost_user_mobile_device)' },
          };
        }
        if (displayName !== undefined) user.displayName = displayName;
        const token = state.issueLink(app, user, sb.clock.now(), sb.linkMs);
        sb.changed();
        return { status: 200, body: { status: true, register_url: linkUrl(token) } };
      },
    },
    has_registered_mobile_device: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(sb, ctx);
        const user = userOf(app, ctx);
        noQuery(ctx);
        return { status: 200, body: { status: true, device_registered: user.device?.enabled === true } };
      },
    },
    lost_user_mobile_device: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(sb, ctx);
        const user = userOf(app, ctx);
        noQuery(ctx);
        const now = sb.clock.now();
        if (user.device) {
          user.device.enabled = false;
          state.devices.delete(user.device.id);
        }
        // The lost phone can no longer answer: its waiting requests fail, its live sessions close.
        state.endSessionsOf(app.id, user.id, 'failed', now);
        const token = state.issueLink(app, user, now, sb.linkMs);
        sb.changed();
        return { status: 200, body: { status: true, register_url: linkUrl(token) } };
      },
    },
    send_registration_sms: {
      prefix: 'management',
      method: 'POST',
      handle(ctx) {
        if (!sb.sms) throw notFound('endpoint');
        const app = appRequest(sb, ctx);
        const user = userOf(app, ctx);
        noQuery(ctx);
        const body = jsonObject(ctx.body);
        for (const key of Object.keys(body)) {
          if (!['phone_number', 'display_name', 'message'].includes(key)) throw badRequest(`unknown field: ${key}`);
        }
        const phone = body.phone_number;
        if (typeof phone !== 'string') throw badRequest('phone_number is required');
        const displayName = body.display_name;
        if (
          displayName !== undefined &&
          (typeof displayName !== 'string' || checkText(displayName, 'display_name') === '')
        ) {
          throw badRequest('display_name must be text');
        }
        const message = body.message;
        if (
          message !== undefined &&
          (typeof message !== 'string' || message.length > 480 || checkText(message, 'message') === '')
        ) {
          throw badRequest('message must be text of at most 480 characters');
        }
        // Refusals are answers, like the vendor's: 200 with a reason.
        if (!E164.test(phone))
          return {
            status: 200,
            body: { status: false, reason: 'phone_number must be in E.164 form (+ and country code)' },
          };
        if (user.device?.enabled) {
          return {
            status: 200,
            body: { status: false, reason: 'the user already has a registered device (use lost_user_mobile_device)' },
          };
        }
        if (typeof displayName === 'string') user.displayName = displayName;
        const now = sb.clock.now();
        const token = state.issueLink(app, user, now, sb.linkMs);
        const text = `${typeof message === 'string' ? message : 'Register your phone with IAMPASS:'} ${linkUrl(token)}`;
        state.sms.push({ to: phone, text, at: now, applicationId: app.id, userId: user.id });
        if (state.sms.length > MAX_SMS) state.sms.splice(0, state.sms.length - MAX_SMS);
        sb.changed();
        return { status: 200, body: { status: true } };
      },
    },
  };
}
