import type { DeviceState } from '../../../../shared/ipc/users.ts';

export const DEVICE_LABEL: Record<DeviceState, string> = {
  registered: 'Registered',
  not_registered: 'Not registered',
  unknown: 'Unknown',
};
