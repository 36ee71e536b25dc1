import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchConsole } from './harness.ts';

afterAll(closeBrowser);

describe('accessibility of the shell (axe-core)', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical violations (${colorScheme} theme)`, async () => {
      const app = await launchConsole({ colorScheme });
      try {
        await app.page.getByTestId('app-version').waitFor();
        const results = await new AxeBuilder({ page: app.page }).analyze();
        const serious = results.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect(serious).toEqual([]);
        expect(results.passes.length).toBeGreaterThan(10);
      } finally {
        await app.close();
      }
    });
  }
});
