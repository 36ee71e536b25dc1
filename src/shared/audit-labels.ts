/**
 * The audit log's actions in words (the Audit screen shows them; a text
 * search finds an entry by them as well as by its code).
 */
/** The action codes the console records (src/main), each as an admin reads it. Unknown codes show as they are. */
export const ACTION_LABEL: Readonly<Record<string, string>> = {
  'application.add': 'Application added',
  'application.edit': 'Application edited',
  'application.remove': 'Application removed',
  'application.activate': 'Application made active',
  'application.test': 'Connection tested',
  'application.secret.replace': 'Application secret replaced',
  'sandbox.create': 'Sandbox application created',
  'sandbox.start': 'Sandbox started',
  'audit.export': 'Audit log exported',
  'directory.ddl': 'Team tables created',
  'directory.link': "Linked to the application's users table",
  'directory.unlink': "Unlinked from the application's users table",
  'users.add': 'Users added',
  'users.import': 'Users imported',
  'users.delete': 'Users deleted',
  'users.export': 'Users exported',
  'users.invite': 'Invitations sent',
  'users.reconcile': 'Unsettled changes checked',
  'users.refresh_status': 'Device statuses refreshed',
  'users.sync': "Application's users table read",
  'user.registration_link': 'Registration code shown',
  'user.registration_link_copy': 'Registration link copied',
  'user.registration_link_phone': 'Registration link opened on the virtual phone',
  'user.registration_qr_export': 'Registration code saved',
  'user.device_registered': 'Phone registered',
  'user.lost_device': 'Phone reported lost',
  'user.display_name': 'Display name changed',
  'session.start': 'Authentication pushed',
  'session.logout': 'Session logged out',
  'invitations.settings': 'Invitation settings saved',
  'invitations.test': 'Test invitation sent',
};

/** An action in words; a job's `.start` entry (written when the job began) says so; an unknown code as it is. */
export function actionLabel(action: string): string {
  const started = /^(.+)\.start$/.exec(action)?.[1];
  if (started !== undefined && ACTION_LABEL[started] !== undefined) return `${ACTION_LABEL[started]}: started`;
  return ACTION_LABEL[action] ?? action;
}

/** The action codes (their jobs' `.start` entries too) whose words, as actionLabel gives them, contain `text` (case-insensitive). */
export function actionsLabelled(text: string): string[] {
  const needle = text.toLowerCase();
  return Object.keys(ACTION_LABEL)
    .flatMap((action) => [action, `${action}.start`])
    .filter((action) => actionLabel(action).toLowerCase().includes(needle));
}
