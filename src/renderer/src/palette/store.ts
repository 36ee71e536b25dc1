/** Command palette state: open or not, and which step (the actions, or a picker). */
import { create } from 'zustand';

export type PaletteMode = 'root' | 'authenticate' | 'logout' | 'application';

interface PaletteState {
  open: boolean;
  mode: PaletteMode;
  show: (mode?: PaletteMode) => void;
  setMode: (mode: PaletteMode) => void;
  hide: () => void;
  toggle: () => void;
}

export const usePalette = create<PaletteState>((set, get) => ({
  open: false,
  mode: 'root',
  show: (mode = 'root') => set({ open: true, mode }),
  setMode: (mode) => set({ mode }),
  hide: () => set({ open: false, mode: 'root' }),
  toggle: () => (get().open ? get().hide() : get().show()),
}));

/** Opens the command palette (e.g. from a button); Ctrl+K / Cmd+K does the same. */
export function openCommandPalette(mode: PaletteMode = 'root'): void {
  usePalette.getState().show(mode);
}
