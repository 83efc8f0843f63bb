// GET /metrics on its own listener, scraped before and after real flows through the app (real
// Redis, the emulator over HTTP): the counters move by what happened, labels carry no ids.
import request from 'supertest';
import { endpointTemplate } from '../../src/metrics/endpoints';
import { countRedisErrors } from '../../src/metrics/redis';
import { createMetrics, type Metrics } from '../../src/metrics/registry';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { type Harness, connectionsOf, connectThrough, consent, csrfTokenFrom, pathOf, startHarness } from '../support/harness';

let h: Harness;
let metrics: Metrics;
let server: MetricsServer;

beforeAll(async () => {
  metrics = createMetrics({ processMetrics: true });
  server = await startMetricsServer(metrics.registry, 0, '127.0.0.1');
  h = await startHarness({ metrics });
  countRedisErrors(h.redis, metrics);
});
afterAll(async () => {
  await server.close();
  await h.close();
});

type Samples = Map<string, number>;
const TEMPLATES = [
  'GET /v1/calendars', 'GET /v1/userinfo', 'GET /v1/organizational_unit_members', 'GET /v1/profiles', 'GET /v1/events',
  'POST /oauth/token', 'POST /oauth/token/revoke', 'POST /v1/permissions',
  'GET /v1/channels', 'POST /v1/channels', 'DELETE /v1/channels/{channel_id}', 'POST /v1/link_tokens',
];

/** Scrapes the endpoint: `name{labels}` → value. */
async function scrape(): Promise<{ text: string; samples: Samples }> {
  const answer = await fetch(server.url);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await answer.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return { text, samples };
}

const moved = (before: Samples, after: Samples, name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);

describe('endpointTemplate', () => {
  it('keeps the paths the client calls and turns any other path, one with an id above all, into "other"', () => {
    expect(endpointTemplate('GET', '/v1/calendars')).toBe('GET /v1/calendars');
    expect(endpointTemplate('POST', '/oauth/token/revoke')).toBe('POST /oauth/token/revoke');
    expect(endpointTemplate('GET', '/v1/calendars/cal_n23kjnwrw2_jsdfjksn234/events')).toBe('other');
    expect(endpointTemplate('DELETE', '/v1/calendars')).toBe('other');
  });
});

describe('GET /metrics', () => {
  it('counts every flow outcome, refreshes, revocations and Cronofy calls after full flows', async () => {
    const before = (await scrape()).samples;

    // Individual Connect to the end, then a page that calls Cronofy.
    const agent = h.agent();
    const connected = await connectThrough(agent);
    expect(connected.status).toBe(302);
    await agent.get('/calendars').expect(200);
    // The access token dies at Cronofy: one refresh (ok), then the call succeeds.
    h.emulator.control.expireAccessTokens();
    await agent.get('/calendars').expect(200);
    // The grant is revoked at Cronofy: the next refresh gets invalid_grant.
    const [connection] = await connectionsOf(h, connected.headers['set-cookie']);
    h.emulator.control.revokeGrant(connection!.refresh_token);
    h.emulator.control.expireAccessTokens();
    await agent.get('/calendars');
    // Connect again and disconnect: one revocation at Cronofy.
    await connectThrough(agent);
    const csrf = await csrfTokenFrom(agent, '/');
    await agent.post('/disconnect').type('form').send({ _csrf: csrf, connection: 'individual' }).expect(302);

    // Organization Connect, declined at the consent page.
    const declining = h.agent();
    const start = await declining.get('/connect/organization').expect(302);
    await declining.get(pathOf(await consent(start.headers.location as string, { decision: 'Deny' }))).expect(200);
    // Cronofy answers the callback with an error: the individual flow failed.
    const failing = h.agent();
    const state = new URL((await failing.get('/connect/individual').expect(302)).headers.location as string).searchParams.get('state')!;
    await failing.get(`/oauth/callback?state=${state}&error=server_error`).expect(503);
    // A callback with a state nobody issued.
    await request(h.app).get('/oauth/callback?state=forged&code=abc').expect(400);

    const { text, samples: after } = await scrape();
    const flows = (kind: string, outcome: string) => moved(before, after, `cronofy_connect_flows_total{kind="${kind}",outcome="${outcome}"}`);
    expect(flows('individual', 'started')).toBe(3);
    expect(flows('individual', 'failed')).toBe(1);
    expect(flows('individual', 'connected')).toBe(2);
    expect(flows('organization', 'started')).toBe(1);
    expect(flows('organization', 'declined')).toBe(1);
    expect(flows('unknown', 'failed')).toBe(1);
    expect(moved(before, after, 'cronofy_connect_token_refreshes_total{outcome="ok"}')).toBe(1);
    expect(moved(before, after, 'cronofy_connect_token_refreshes_total{outcome="invalid_grant"}')).toBe(1);
    // Two revocations: by sub after invalid_grant (a refresh answer may have been lost), and the disconnect.
    expect(moved(before, after, 'cronofy_connect_revocations_total{outcome="ok"}')).toBe(2);
    expect(moved(before, after, 'cronofy_connect_cronofy_request_duration_seconds_count{endpoint="GET /v1/calendars",status="200"}')).toBe(2);
    expect(moved(before, after, 'cronofy_connect_cronofy_request_duration_seconds_count{endpoint="GET /v1/calendars",status="401"}')).toBe(2);
    expect(moved(before, after, 'cronofy_connect_cronofy_request_duration_seconds_count{endpoint="POST /oauth/token",status="200"}')).toBe(3);

    // Labels name templates, never an id, a token or a host.
    const endpoints = new Set([...text.matchAll(/endpoint="([^"]*)"/g)].map((m) => m[1]));
    expect(endpoints).toContain('POST /oauth/token/revoke');
    expect([...endpoints].filter((e) => !TEMPLATES.includes(e!))).toEqual([]);
    expect(text).not.toContain(connection!.refresh_token);
    expect(text).not.toContain(connection!.id);
    // Node's process metrics are there too.
    expect(after.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts Extended Permissions requests granted on the approval page; a return that leaves the request pending counts nothing', async () => {
    const before = (await scrape()).samples;
    const agent = h.agent();
    await connectThrough(agent);
    const page = await agent.get('/permissions').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const calendarId = /name="calendar_id" value="([^"]+)"/.exec(page.text)![1]!;
    const asked = await agent.post('/permissions').type('form').send({ _csrf: csrf, calendar_id: calendarId }).expect(302);
    const approval = asked.headers.location as string;
    await agent.get('/permissions/callback').expect(200); // forged, before the approval: the request stays pending
    const back = await consent(approval, { decision: 'Allow' });
    await agent.get(pathOf(back)).expect(200);

    const after = (await scrape()).samples;
    expect(moved(before, after, 'cronofy_connect_flows_total{kind="permissions",outcome="started"}')).toBe(1);
    expect(moved(before, after, 'cronofy_connect_flows_total{kind="permissions",outcome="connected"}')).toBe(1);
    expect(moved(before, after, 'cronofy_connect_flows_total{kind="permissions",outcome="failed"}')).toBe(0);
    expect(moved(before, after, 'cronofy_connect_cronofy_request_duration_seconds_count{endpoint="POST /v1/permissions",status="200"}')).toBe(1);
  });

  it('counts a Redis command that fails, by command name', async () => {
    const before = (await scrape()).samples;
    await expect(h.redis.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
    const after = (await scrape()).samples;
    expect(moved(before, after, 'cronofy_connect_redis_command_errors_total{command="nosuchcommand"}')).toBe(1);
  });

  it('counts a token record written with no replica to acknowledge it', async () => {
    const role = (await h.redis.call('ROLE')) as [string, unknown, unknown[]];
    expect(role[2]).toEqual([]); // the test Redis has no replica: nothing can acknowledge
    const before = (await scrape()).samples;
    expect((await connectThrough(h.agent(), { separateAccount: true })).status).toBe(302);
    const after = (await scrape()).samples;
    expect(moved(before, after, 'cronofy_connect_redis_unreplicated_writes_total{reason="no_replica"}')).toBe(1); // the new connection's record
    expect(moved(before, after, 'cronofy_connect_redis_unreplicated_writes_total{reason="timeout"}')).toBe(0);
  });

  it('answers 404 anywhere but GET /metrics', async () => {
    const answer = await fetch(server.url.replace('/metrics', '/'));
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain('GET /metrics');
  });
});
