export { SessionsScreen, SessionAlerts, SessionAlertToasts, StatusBadge } from './SessionsScreen.tsx';
export { AuthenticateDialog } from './AuthenticateDialog.tsx';
export { openAuthenticateDialog, subscribeSessionEvents, useSessions } from './store.ts';
