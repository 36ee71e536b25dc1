export { CommandPalette, CommandPaletteButton, PALETTE_SHORTCUT } from './CommandPalette.tsx';
export { openCommandPalette, usePalette } from './store.ts';
