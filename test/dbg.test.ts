import { startHarness, connectThrough } from './support/harness';
it('dbg', async () => {
  const h = await startHarness();
  const res = await connectThrough(h.agent());
  console.log(res.status, res.headers, res.text.slice(0, 2000));
  console.log(h.logs.filter((l) => l.includes('error')).slice(0, 5).join('\n'));
  await h.close();
});
