// POST /calendars/add-account: "Add another calendar account". Asks Cronofy for a link token with
// the connection's access token (POST /v1/link_tokens), then starts Individual Connect with
// link_token (and provider_name, when a provider button was pressed), so the calendar account the
// person adds joins the same Cronofy account instead of starting a new one.
// https://docs.cronofy.com/developers/api-alpha/explicit-linking/
// A POST with CSRF, not a link: it makes a credential at Cronofy. form-action allows the Cronofy
// app host, so the redirect that follows is not blocked.
import { Router } from 'express';
import { beginConnect, PROVIDER_NAMES } from '../connect/start';
import type { AppContext } from '../context';
import { connectionOf } from '../session/access';
import { PageError, startAgain } from '../web/errors';

export function linkingRoutes(ctx: AppContext): Router {
  const router = Router();

  router.post('/calendars/add-account', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) {
      throw new PageError({
        status: 409,
        code: 'reconnect_required',
        title: 'No calendar is connected',
        message: 'Connect a first calendar account; then you can add more to it.',
        next: [startAgain('individual')],
      });
    }
    const provider: unknown = (req.body as Record<string, unknown> | undefined)?.provider_name;
    if (provider !== undefined && provider !== '' && !(PROVIDER_NAMES as readonly unknown[]).includes(provider)) {
      throw new PageError({
        status: 400,
        code: 'bad_request',
        title: 'Unknown calendar provider',
        message: 'Choose one of the buttons on the calendars page.',
        next: [{ href: '/calendars', label: 'Back to the calendars' }],
      });
    }
    const { result: linkToken } = await ctx.accessTokens.withAccessToken(id, (c) => ctx.clientFor(c.data_center).createLinkToken({ accessToken: c.access_token }));
    await beginConnect(ctx, req, res, 'individual', { link_token: linkToken, provider_name: typeof provider === 'string' && provider !== '' ? provider : undefined });
  });

  return router;
}
