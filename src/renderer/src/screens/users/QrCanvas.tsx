/**
 * Draws a QR module matrix on a <canvas>: whole device pixels per module
 * (crisp at any size / DPR), a 4-module quiet zone, black on white whatever
 * the theme (scanners need the contrast).
 */
import { useEffect, useRef } from 'react';
import type { QrMatrix } from '../../../../shared/ipc/users.ts';

export const QUIET_ZONE = 4;

export function QrCanvas(props: { qr: QrMatrix; size: number; label: string; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { qr, size } = props;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const modules = qr.size + 2 * QUIET_ZONE;
    const scale = Math.max(1, Math.floor((size * dpr) / modules));
    const side = scale * modules;
    canvas.width = side;
    canvas.height = side;
    canvas.style.width = `${side / dpr}px`;
    canvas.style.height = `${side / dpr}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, side, side);
    ctx.fillStyle = '#000000';
    for (let y = 0; y < qr.size; y++) {
      for (let x = 0; x < qr.size; x++) {
        if (qr.modules.charCodeAt(y * qr.size + x) === 49)
          ctx.fillRect((x + QUIET_ZONE) * scale, (y + QUIET_ZONE) * scale, scale, scale);
      }
    }
  }, [qr, size]);
  return <canvas ref={ref} className="ux-qr" role="img" aria-label={props.label} data-testid={props.testId} />;
}
