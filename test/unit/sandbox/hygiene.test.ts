import { describe, expect, it } from 'vitest';
import { Harness, ManualClock, signed } from './helpers.ts';

describe('sandbox: links expire, logs hold no secret', () => {
  it('an expired registration link is refused and binds nothing', async () => {
    const clock = new ManualClock();
    const h = await Harness.start({ clock }); // registration links live 600 s by default
    try {
      await h.addUsers(['late']);
      const link = await h.link('late');
      // Just past expiry; also past the 300 s signature window, so the harness signs with this clock's time.
      clock.advance(600_001);
      await expect(h.phone.register(link)).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringContaining('expired') as string,
      });
      expect(await h.hasDevice('late')).toBe(false);
      // A fresh link still works.
      await h.phone.register(await h.link('late'));
      expect(await h.hasDevice('late')).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('the log never carries secrets, session secrets, tokens or links', async () => {
    const lines: string[] = [];
    const h = await Harness.start({ log: (l) => lines.push(l) });
    try {
      await h.addUsers(['alice']);
      const link = await h.link('alice');
      await h.phone.register(link);
      const s = (await h.authenticate('alice')).session!;
      await h.phone.approve(s.token);
      await h.status(s);
      await h.logout(s);
      const lost = await signed('GET', h.mgmt('lost_user_mobile_device', 'alice'), h.app);
      const newLink = (lost.json as { register_url: string }).register_url;
      await signed('GET', h.mgmt('has_registered_mobile_device', 'alice'), {
        clientId: h.app.clientId,
        secret: 'F'.repeat(48),
      });
      expect(lines.length).toBeGreaterThan(5);
      const all = lines.join('\n');
      for (const secret of [
        h.app.secret,
        s.secret,
        s.token,
        link,
        newLink,
        link.split('/').pop()!,
        newLink.split('/').pop()!,
      ]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await h.close();
    }
  });
});
