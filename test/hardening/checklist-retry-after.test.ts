// Checklist case I3 (docs/security-checklist.md) for the other form of Retry-After: an HTTP date
// (RFC 9110 §10.2.3), as the emulator sends it on a 429, over real HTTP. The delay-seconds form is
// in checklist-upstream.test.ts.
import { type Harness, connectedAgent, startHarness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  h.emulator.control.reset();
  await h.clearQuotaHold();
});

const calendarCalls = () => h.emulator.control.requests().filter((r) => r.path === '/v1/calendars');

/** Retry-After as an HTTP date `seconds` from now, whole seconds (the format has no finer grain). */
const retryAt = (seconds: number) => new Date((Math.floor(Date.now() / 1000) + seconds) * 1000).toUTCString();

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const two = (n: number) => String(n).padStart(2, '0');
/** The same moment in the two obsolete HTTP-date forms a recipient must still read (RFC 9110 §5.6.7). */
function obsoleteForms(seconds: number): [string, string][] {
  const d = new Date((Math.floor(Date.now() / 1000) + seconds) * 1000);
  const month = d.toUTCString().slice(8, 11);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return [
    ['RFC 850', `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${month}-${two(d.getUTCFullYear() % 100)} ${time} GMT`],
    ['asctime', `${DAYS[d.getUTCDay()]!.slice(0, 3)} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`],
  ];
}

const connected = () => connectedAgent(h);

describe('I. Cronofy failing: Retry-After as an HTTP date', () => {
  it('I3: a 429 whose Retry-After date is at most 2 s away is waited out once, and the page works', async () => {
    const agent = await connected();
    const header = retryAt(2);
    expect(header).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': header } });
    const res = await agent.get('/calendars').expect(200);
    expect(res.text).toContain('Your calendars');
    expect(calendarCalls()).toHaveLength(2);
  });

  it('I3: a 429 whose Retry-After date is 30 s away is passed on to the person, and the next page load calls Cronofy no more', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': retryAt(30) } });
    const res = await agent.get('/calendars').expect(429);
    expect(res.text).toContain('Too many requests to Cronofy');
    // Read from the date: not the 5 s the app says when Cronofy gives nothing readable, nor the 60 s cap.
    const told = Number(res.headers['retry-after']);
    expect(told).toBeGreaterThan(5);
    expect(told).toBeLessThanOrEqual(30);
    expect(calendarCalls()).toHaveLength(1); // not retried

    // The next page load is refused at once: the hold the date set reaches no further call to Cronofy.
    const held = await agent.get('/calendars').expect(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(5);
    expect(calendarCalls()).toHaveLength(1);
  });

  it.each(obsoleteForms(30))('I3: reads a Retry-After date in the obsolete %s form too', async (_form, header) => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': header } });
    const res = await agent.get('/calendars').expect(429);
    const told = Number(res.headers['retry-after']);
    expect(told).toBeGreaterThan(5); // read from the date, not the 5 s given for an unreadable one
    expect(told).toBeLessThanOrEqual(30);
  });
});
