// Compiled with `tsc --noEmit` by the test command: the declarations must describe the API as documented.
import wayline, { wayline as named, type InitOptions, type WarningEvent, type DebugState } from 'wayline';

const options: InitOptions = { writeKey: 'wk_demo', endpoint: 'https://collector.example', flushAt: 10 };

async function main(): Promise<void> {
  const ok: boolean = await wayline.init(options);
  named.track('Order Completed', { revenue: 42, currency: 'EUR' });
  named.track('No Properties');
  wayline.page();
  wayline.page('Pricing', { plan: 'pro' });
  wayline.page({ plan: 'pro' });
  wayline.identify('user-42', { plan: 'pro', companySize: 50 });
  wayline.identify({ industry: 'retail' });
  wayline.reset();
  wayline.consent('pending');
  wayline.consent('granted');
  const flushed: boolean = await wayline.flush();
  const off: () => void = wayline.on('warning', (w: WarningEvent) => console.log(w.code, w.message));
  wayline.on('ready', (r: true) => console.log(r));
  off();
  const anon: string | undefined = wayline.anonymousId();
  const inSegments: string[] = wayline.segments();
  const stage: string | undefined = wayline.stage('lifecycle');
  wayline.on('segment:enter', (c) => console.log(c.segment, c.at));
  wayline.on('stage:change', (c) => console.log(c.journey, c.from, c.to));
  await wayline.init({ writeKey: 'wk', config: { segments: { pro: 'traits.plan == "pro"' } } });
  await wayline.init({ writeKey: 'wk', config: '/demo-config.json' });
  console.log(inSegments, stage);
  wayline.on('campaign:show', (c) => {
    if (c.headless) wayline.outcome(c.campaign, 'answered', { question: 'q1', answer: 'yes' });
  });
  wayline.on('survey:answer', (a) => console.log(a.campaign, a.question, a.answer));
  wayline.on('reward:claim', (r) => console.log(r.reward, r.how));
  const why = wayline.explain('nps');
  if (why && !why.eligible) console.log(why.reasons.map((r) => r.code + r.message));
  const state: DebugState | null = wayline.debugState();
  window.wayline.track('From The Script Tag');
  console.log(ok, flushed, anon, state?.queued);
}

// @ts-expect-error writeKey is required
wayline.init({ endpoint: 'x' });
// @ts-expect-error not a consent state
wayline.consent('maybe');
// @ts-expect-error unknown listener name
wayline.on('nope', () => {});
// @ts-expect-error not an outcome
wayline.outcome('nps', 'clicked');

void main();
