// Organization Connect: https://docs.cronofy.com/developers/authorization/organization-connect/
// - GET /organization: the unit's members (every page of /v1/organizational_unit_members that
//   Cronofy links to; when it reports more pages without a next_page, the page says so), and a
//   form that finds a member's sub by email (no email filter is documented: list and match).
// - GET /organization/members/:sub: that member's identity and calendars, fetched with the
//   organization's token and `Cronofy-Impersonate: <sub>`. The sub is checked against a strict
//   pattern before it goes into a header, and must be a member of the unit.
import { Router } from 'express';
import type { AppContext } from '../context';
import type { MemberList } from '../cronofy/client';
import { groupByProfile } from '../calendars/group';
import { connectionOf } from '../session/access';
import { redirectHomeWith } from '../web/notices';
import { PageError } from '../web/errors';
import { singleParam } from '../web/params';
import { ageOf, type Cached } from '../cache/read-cache';

/** acc_ followed by letters and digits: Cronofy's sub format, and nothing a header could be split with. */
const SUB_PATTERN = /^[a-z]{2,8}_[A-Za-z0-9]{1,64}$/;
const EMAIL_PATTERN = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}$/;

export function organizationRoutes(ctx: AppContext): Router {
  const router = Router();

  const cachedMembers = (id: string): Promise<Cached<MemberList>> =>
    ctx.cache.read(id, 'members', async () => {
      const { result } = await ctx.accessTokens.withAccessToken(id, (c) =>
        ctx.clientFor(c.data_center).listOrganizationalUnitMembers({ accessToken: c.access_token }),
      );
      return result;
    });
  const membersOf = async (id: string): Promise<MemberList> => (await cachedMembers(id)).value;

  router.get('/organization', async (req, res) => {
    const id = connectionOf(req, 'organization');
    if (!id) return redirectHomeWith(res, 'connect-organization');
    const cached = await cachedMembers(id);
    const { members, unreadPages } = cached.value;
    res.render('organization', { members, unreadPages, email: '', notFound: false, fetched: ageOf(cached, ctx.now()) });
  });

  router.get('/organization/find', async (req, res) => {
    const id = connectionOf(req, 'organization');
    if (!id) return redirectHomeWith(res, 'connect-organization');
    const email = singleParam(req, 'email', 256, EMAIL_PATTERN);
    const cached = await cachedMembers(id);
    const { members, unreadPages } = cached.value;
    const wanted = email.ok ? email.value?.toLowerCase() : undefined;
    const member = wanted ? members.find((m) => m.email.toLowerCase() === wanted) : undefined;
    if (member) return res.redirect(`/organization/members/${encodeURIComponent(member.sub)}`);
    const typed = typeof req.query.email === 'string' ? req.query.email.slice(0, 256) : '';
    res.status(email.ok && wanted ? 404 : 400).render('organization', { members, unreadPages, email: typed, notFound: true, valid: email.ok && !!wanted, fetched: ageOf(cached, ctx.now()) });
  });

  router.get('/organization/members/:sub', async (req, res) => {
    const id = connectionOf(req, 'organization');
    if (!id) return redirectHomeWith(res, 'connect-organization');
    const sub = req.params.sub;
    if (typeof sub !== 'string' || !SUB_PATTERN.test(sub)) {
      throw new PageError({
        status: 400,
        code: 'bad_member_id',
        title: 'That is not a member id',
        message: 'Member ids look like acc_5ba21743f408617d1269ea1e. Pick a member from the list.',
        next: [{ href: '/organization', label: 'Back to the members' }],
      });
    }
    const member = (await membersOf(id)).members.find((m) => m.sub === sub);
    if (!member) {
      throw new PageError({
        status: 404,
        code: 'not_a_member',
        title: 'Not a member of this organization',
        message: 'No member of the connected organizational unit has this id. Pick a member from the list.',
        next: [{ href: '/organization', label: 'Back to the members' }],
      });
    }
    const answer = await ctx.cache.read(id, `member:${sub}`, async () => {
      const { result } = await ctx.accessTokens.withAccessToken(id, (c) => {
        const client = ctx.clientFor(c.data_center);
        const bearer = { accessToken: c.access_token, impersonate: sub };
        return Promise.all([client.userInfo(bearer), client.listCalendars(bearer)]);
      });
      return result;
    });
    const [userInfo, calendars] = answer.value;
    res.render('member', { member, userInfo, profiles: groupByProfile(calendars), fetched: ageOf(answer, ctx.now()) });
  });

  return router;
}
