/** A recording stand-in for the `electron` module (the real one needs a binary). */
import { EventEmitter } from 'node:events';

type Fn = (...args: never[]) => unknown;

export class FakeWebContents extends EventEmitter {
  id = 7;
  sent: [string, unknown][] = [];
  windowOpenHandler: Fn | null = null;
  destroyed = false;
  setWindowOpenHandler(handler: Fn): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** A session's recorded permission handlers and response-header hook. */
function fakeSession() {
  const session = {
    permissionRequestHandler: null as Fn | null,
    permissionCheckHandler: null as Fn | null,
    devicePermissionHandler: null as Fn | null,
    setDevicePermissionHandler(h: Fn) {
      this.devicePermissionHandler = h;
    },
    headersHandler: null as Fn | null,
    setPermissionRequestHandler(h: Fn) {
      this.permissionRequestHandler = h;
    },
    setPermissionCheckHandler(h: Fn) {
      this.permissionCheckHandler = h;
    },
    webRequest: {
      onHeadersReceived(h: Fn) {
        session.headersHandler = h;
      },
    },
  };
  return session;
}

export function createFakeElectron(options: { lock?: boolean; packaged?: boolean; userData?: string } = {}) {
  const appEvents = new EventEmitter();
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const handlers = new Map<string, Fn>();
  let isReady = false;
  /** protocol.registerSchemesAsPrivileged calls (with whether the app was ready yet) and protocol.handle handlers. */
  const protocol = {
    privileged: [] as { schemes: unknown; afterReady: boolean }[],
    handlers: new Map<string, (request: Request) => Promise<Response>>(),
  };
  const windows: FakeBrowserWindow[] = [];
  const calls = { quit: 0, lock: 0, focus: 0, restore: 0 };
  /** What the save dialog answers next, and the options it was shown with. */
  /** Texts written to the clipboard. */
  const clipboard: string[] = [];
  const saveDialog = {
    answer: { canceled: true, filePath: '' } as { canceled: boolean; filePath: string },
    calls: [] as unknown[],
  };

  /** The next loadURL calls reject (a page that could not be reached). */
  const controls = { failLoad: false };

  class FakeBrowserWindow extends EventEmitter {
    options: unknown;
    webContents = new FakeWebContents();
    loaded: string | null = null;
    closed = false;
    minimized = true;
    constructor(opts: unknown) {
      super();
      this.options = opts;
      windows.push(this);
    }
    loadFile(path: string): Promise<void> {
      this.loaded = `file:${path}`;
      return Promise.resolve();
    }
    loadURL(url: string): Promise<void> {
      this.loaded = url;
      return controls.failLoad ? Promise.reject(new Error('ERR_CONNECTION_REFUSED')) : Promise.resolve();
    }
    close(): void {
      this.closed = true;
    }
    isDestroyed(): boolean {
      return this.closed;
    }
    isMinimized(): boolean {
      return this.minimized;
    }
    restore(): void {
      calls.restore++;
    }
    focus(): void {
      calls.focus++;
    }
    show(): void {}
  }

  const session = fakeSession();
  /** Sessions of partitions (session.fromPartition), by name. */
  const partitions = new Map<string, ReturnType<typeof fakeSession>>();
  /** Desktop notifications shown (the sessions monitor's walkaway/failure alerts). */
  const notifications: unknown[] = [];
  class FakeNotification {
    options: unknown;
    constructor(opts: unknown) {
      this.options = opts;
    }
    show(): void {
      notifications.push(this.options);
    }
    static isSupported(): boolean {
      return true;
    }
  }

  const electron = {
    app: {
      isPackaged: options.packaged ?? false,
      requestSingleInstanceLock: () => (calls.lock++, options.lock ?? true),
      quit: () => void calls.quit++,
      on: (event: string, listener: (...a: unknown[]) => void) => appEvents.on(event, listener),
      whenReady: () => ready,
      getVersion: () => '3.2.1',
      getPath: (name: string) => (name === 'userData' && options.userData ? options.userData : `/fake/${name}`),
    },
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle: (channel: string, h: Fn) => void handlers.set(channel, h),
      removeHandler: (channel: string) => void handlers.delete(channel),
    },
    session: {
      defaultSession: session,
      fromPartition: (name: string) => {
        let s = partitions.get(name);
        if (!s) partitions.set(name, (s = fakeSession()));
        return s;
      },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) =>
        void protocol.privileged.push({ schemes, afterReady: isReady }),
      handle: (scheme: string, h: (request: Request) => Promise<Response>) => {
        if (!isReady) throw new Error('protocol.handle before the app is ready');
        protocol.handlers.set(scheme, h);
      },
    },
    Notification: FakeNotification,
    clipboard: { writeText: (text: string) => void clipboard.push(text) },
    dialog: {
      showSaveDialog: (_window: unknown, opts: unknown) => (
        saveDialog.calls.push(opts),
        Promise.resolve(saveDialog.answer)
      ),
    },
  };

  return {
    electron,
    appEvents,
    handlers,
    windows,
    controls,
    session,
    partitions,
    protocol,
    calls,
    saveDialog,
    clipboard,
    notifications,
    ready: () => ((isReady = true), resolveReady(), ready),
  };
}
