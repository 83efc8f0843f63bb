// The revocation worker's second job (every app instance runs it, revocation/revoker.ts start()):
// records whose time is up (decision 010) are deleted by the token store and revoked here:
// - a sign-in's record 30 days after its latest sign-in;
// - a record only one browser session could reach, once that session idled out or ended
//   (session/hold.ts); a service account takes the people authorized through it along, since
//   nobody could reach them any more.
import type { AppContext } from '../context';
import { releasePeople } from '../enterprise/release';

const BATCH = 20;

export async function revokeLapsed(ctx: AppContext): Promise<void> {
  for (const lapsed of await ctx.tokens.lapsed(BATCH)) {
    await ctx.revoker.revoke(lapsed, { token: lapsed.refresh_token }, 'lapsed');
    if (lapsed.kind === 'enterprise') await releasePeople(ctx, lapsed.id, 'lapsed');
  }
}
