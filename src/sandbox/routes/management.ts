/**
 * The IAMPASS management routes (spec section 3), all signed by the
 * application: add_users, delete_users, device_registration_link,
 * has_registered_mobile_device, lost_user_mobile_device.
 */
import type { SandboxContext } from '../context.ts';
import { checkText, noQuery, notFound, userList, type RouteDef } from '../http.ts';
import { appRequest, userOf } from '../verify.ts';

export type ManagementRoute =
  | 'add_users'
  | 'delete_users'
  | 'device_registration_link'
  | 'has_registered_mobile_device'
  | 'lost_user_mobile_device';

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
  };
}
