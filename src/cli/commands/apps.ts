/** apps list | add | remove | use | test: application profiles (ApplicationsService). */
import { AppError } from '../../shared/errors.ts';
import { defaultTester } from '../../main/services/index.ts';
import { validateApplicationId, validateBaseUrl } from '../../main/services/validate.ts';
import { bool, str, type Command } from '../command.ts';
import type { Context } from '../context.ts';
import { EXIT, exitCodeFor, UsageError } from '../exit.ts';
import { appJson } from '../json.ts';
import { table, when } from '../output.ts';

function byName(ctx: Context, name: string) {
  const p = ctx.services().applications.findByName(name);
  if (!p)
    throw new AppError(
      'missing',
      `No application profile named "${name}" in ${ctx.dataDir} (see: iampass-admin apps list).`,
    );
  return p;
}

export const appsCommands: Command[] = [
  {
    name: 'apps list',
    args: '',
    summary: 'List the application profiles (the active one is marked *).',
    help: 'Columns: name, flavour, base URL, Application ID, whether the keychain holds its secret. Never prints a secret.',
    options: {},
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const apps = await ctx.services().applications.list();
      if (ctx.out.json) ctx.out.data(apps.map(appJson));
      else if (apps.length === 0)
        ctx.out.note(
          'No application profiles yet: iampass-admin apps add NAME ... (or start the console once for the Sandbox).',
        );
      else
        ctx.out.line(
          table(
            ['', 'NAME', 'FLAVOUR', 'BASE URL', 'APPLICATION ID', 'SECRET', 'UPDATED'],
            apps.map((a) => [
              a.active ? '*' : '',
              a.name,
              a.flavour,
              a.baseUrl,
              a.applicationId,
              a.hasSecret === null ? '?' : a.hasSecret ? 'yes' : 'missing',
              when(a.updatedAt),
            ]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'apps add',
    args: 'NAME --app-id ID [--base-url URL] [--flavour IAMPASS|Activeconnect|Sandbox] [--concurrency N] [--send-own-ids] [--use]',
    summary: 'Add an application profile; its secret goes to the OS keychain.',
    help: `The Application Secret is read from IAMPASS_APP_SECRET, or standard input (a
terminal prompt hides it); never from an argument. The base URL defaults to the
flavour's (IAMPASS: https://main.iam-api.com). --use makes it the active profile.
Example: printf '%s\\n' "$SECRET" | iampass-admin apps add Prod --app-id 0123...`,
    options: { concurrency: { type: 'string' }, 'send-own-ids': { type: 'boolean' }, use: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [name]) {
      const { baseUrl, appId } = ctx.flags;
      if (appId === undefined) throw new UsageError('--app-id is required');
      const flavour = ctx.flavour(baseUrl);
      let concurrency: number | undefined;
      const c = str(values, 'concurrency');
      if (c !== undefined) {
        concurrency = Number(c);
        if (!Number.isInteger(concurrency)) throw new UsageError('--concurrency must be a whole number');
      }
      // Check the form before asking for the secret.
      validateApplicationId(appId);
      validateBaseUrl(baseUrl, flavour);
      const secret = await ctx.secret();
      const services = ctx.services();
      const view = await services.applications.add({
        name: name ?? '',
        flavour,
        ...(baseUrl !== undefined ? { baseUrl } : {}),
        applicationId: appId,
        secret,
        ...(concurrency !== undefined ? { concurrency } : {}),
        sendOwnIds: bool(values, 'send-own-ids'),
      });
      if (bool(values, 'use')) services.applications.setActive(view.id);
      const shown = { ...view, active: bool(values, 'use') || view.active };
      if (ctx.out.json) ctx.out.data(appJson(shown));
      else
        ctx.out.line(`Added "${view.name}" (${view.flavour}, ${view.baseUrl})${shown.active ? ', now active' : ''}.`);
      return EXIT.ok;
    },
  },
  {
    name: 'apps remove',
    args: 'NAME --yes',
    summary: 'Remove a profile, its keychain secret, its user directory and sessions.',
    help: 'Only the local profile is removed; the application and its users at IAMPASS are untouched. --yes confirms (required).',
    options: { yes: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [name]) {
      if (!bool(values, 'yes'))
        throw new UsageError(`removing "${name ?? ''}" deletes its local directory and sessions; add --yes to confirm`);
      const p = byName(ctx, name ?? '');
      await ctx.services().applications.remove(p.id, { name: p.name });
      if (ctx.out.json) ctx.out.data({ removed: p.name });
      else ctx.out.line(`Removed "${p.name}".`);
      return EXIT.ok;
    },
  },
  {
    name: 'apps use',
    args: 'NAME',
    summary: 'Make a profile the active one (the console switches to it too).',
    help: 'Commands without --profile work on the active profile.',
    options: {},
    positionals: { min: 1, max: 1 },
    run(ctx, _values, [name]) {
      const p = ctx.services().applications.setActive(byName(ctx, name ?? '').id);
      if (ctx.out.json) ctx.out.data({ active: p.name, id: p.id });
      else ctx.out.line(`"${p.name}" is now the active application.`);
      return Promise.resolve(EXIT.ok);
    },
  },
  {
    name: 'apps test',
    args: '[NAME]',
    summary: 'Test the connection: one real signed call with the stored secret.',
    help: `Tests NAME, --profile NAME, the ad-hoc --base-url/--app-id credentials, or the
active profile. Exit 3 when IAMPASS refuses the ID/secret (or the clock is off),
4 when the service is unreachable or does not answer in time.`,
    options: {},
    positionals: { min: 0, max: 1 },
    async run(ctx, _values, [name]) {
      const started = performance.now();
      let result;
      let label: string;
      if (ctx.adHoc && name === undefined) {
        const { baseUrl, appId } = ctx.flags;
        if (baseUrl === undefined || appId === undefined) throw new UsageError('--base-url and --app-id go together');
        const flavour = ctx.flavour(baseUrl);
        const target = {
          flavour,
          baseUrl: validateBaseUrl(baseUrl, flavour),
          applicationId: validateApplicationId(appId),
        };
        const secret = await ctx.secret();
        label = target.baseUrl;
        try {
          await defaultTester(target, secret);
          result = { ok: true as const, latencyMs: Math.round(performance.now() - started) };
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          result = { ok: false as const, latencyMs: Math.round(performance.now() - started), error: error.toInfo() };
        }
      } else {
        const target = name ?? ctx.flags.profile;
        const services = ctx.services();
        const p = target !== undefined ? byName(ctx, target) : services.applications.getActive();
        if (!p)
          throw new AppError(
            'missing',
            'No application is active: pass a NAME, or choose one with: iampass-admin apps use NAME.',
          );
        label = `"${p.name}"`;
        result = await services.applications.testConnection(p.id);
      }
      if (ctx.out.json) ctx.out.data(result);
      if (result.ok) {
        if (!ctx.out.json) ctx.out.line(`Connection to ${label} OK (${result.latencyMs} ms).`);
        return EXIT.ok;
      }
      ctx.out.error({ ...result.error, message: `Connection to ${label} failed: ${result.error.message}` });
      return exitCodeFor(result.error.code);
    },
  },
];
