// Compiled with `tsc --noEmit` by the test command: the declarations must describe the API as documented.
import wayline, { wayline as named, type InitOptions, type WarningEvent, type DebugState, type WaylineConfig, type PromptStrings } from 'wayline';

const options: InitOptions = { writeKey: 'wk_demo', endpoint: 'https://collector.example', flushAt: 10, trackEngagement: false, trackAttribution: false };

async function main(): Promise<void> {
  const ok: boolean = await wayline.init(options);
  named.track('Order Completed', { revenue: 42, currency: 'EUR' });
  named.track('No Properties');
  wayline.page();
  wayline.page('Pricing', { plan: 'pro' });
  wayline.page('Docs', 'Intro');
  wayline.page('Docs', 'Intro', { version: 2 });
  wayline.page({ plan: 'pro' });
  wayline.identify('user-42', { plan: 'pro', companySize: 50 });
  wayline.identify({ industry: 'retail' });
  wayline.track('Clicked', { to: '/next' }, {}, () => location.assign('/next'));
  wayline.track('Clicked', { to: '/next' }, () => location.assign('/next'));
  wayline.track('Clicked', () => location.assign('/next'));
  wayline.page('Docs', 'Intro', {}, {}, () => undefined);
  wayline.identify('user-42', { plan: 'pro' }, { integrations: { All: false } }, () => undefined);
  wayline.group('acme', { plan: 'enterprise', employees: 40 });
  wayline.group('acme', {}, {}, () => undefined);
  wayline.track('Imported', { n: 1 }, { timestamp: new Date(), anonymousId: 'legacy', context: { ip: '0.0.0.0' } });
  wayline.page(null, 'Home', undefined, { integrations: { Mixpanel: false } });
  wayline.alias('user-42', 'legacy-7', { userId: 42 });
  wayline.alias('user-42');
  wayline.alias('user-42', 'legacy-7', () => undefined);
  // Each form that takes analytics.js's options, as docs/sdk.md lists them.
  const callOptions = { context: { ip: '0.0.0.0' }, timestamp: new Date(), integrations: { All: false } };
  wayline.track('Clicked', { to: '/next' }, callOptions);
  wayline.page('Docs', 'Intro', { version: 2 }, callOptions, () => undefined);
  wayline.page('Pricing', { plan: 'pro' }, callOptions);
  wayline.page({ plan: 'pro' }, callOptions, () => undefined);
  wayline.identify('user-42', { plan: 'pro' }, callOptions);
  wayline.identify({ plan: 'pro' }, callOptions, () => undefined);
  wayline.group('acme', { plan: 'enterprise' }, callOptions);
  wayline.alias('user-42', 'legacy-7', callOptions);
  wayline.alias('user-42', callOptions, () => undefined);
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

// The whole config document, as docs/config.md and the JSON Schema describe it.
const config: WaylineConfig = {
  segments: {
    buyers: 'count("Order Completed") >= 1',
    vip: { rule: 'traits.plan == "pro"' },
    na: { condition: { country: { $in: ['US', 'CA'] } } },
  },
  journeys: { lifecycle: [{ stage: 'aware', rule: 'true' }, { stage: 'buyer', condition: { plan: 'pro' } }] },
  campaignLimits: { perSession: 1, minGap: '10m' },
  theme: { accentColor: '#2563eb', radius: 8, position: 'center', dark: { backgroundColor: '#111' } },
  strings: { fr: { submit: 'Envoyer', progress: '{n} sur {total}' } },
  campaigns: [
    {
      id: 'nps',
      trigger: { event: 'Order Completed', where: 'properties.revenue >= 50' },
      audience: { rule: 'in_segment("buyers")', urls: { exclude: ['/checkout*'] }, devices: ['desktop'], sample: 50 },
      action: {
        type: 'survey',
        questions: [
          { id: 'score', type: 'nps', text: 'Recommend us?', next: { '0-6': 'why', '*': 'end' } },
          { id: 'why', type: 'text', text: 'Why?', placeholder: 'Your answer' },
        ],
      },
      timing: { delay: '5s', cancelOn: ['Order Refunded'], frequency: { max: 1, per: '90d' }, cooldown: '7d' },
      priority: 10,
      holdout: 10,
    },
    { id: 'coupon', trigger: { segmentEnter: 'buyers' }, action: { type: 'reward', reward: 'coupon', code: 'SAVE10' } },
    { id: 'stage', trigger: { stage: 'buyer', journey: 'lifecycle' }, action: { type: 'reward', reward: 'points', points: 5 } },
    { id: 'exit', trigger: { exitIntent: true }, action: { type: 'custom', payload: { banner: 'stay' } } },
    { id: 'idle', trigger: { idle: '30s' }, action: { type: 'reward', reward: 'referral', url: 'https://x.example/r' } },
  ],
};
void wayline.init({ writeKey: 'wk', config });
// @ts-expect-error a coupon needs its code
const noCode: WaylineConfig = { campaigns: [{ id: 'c', trigger: { sessionStart: true }, action: { type: 'reward', reward: 'coupon' } }] };
// @ts-expect-error exitIntent is only ever true
const falseFlag: WaylineConfig = { campaigns: [{ id: 'c', trigger: { exitIntent: false }, action: { type: 'custom' } }] };
// @ts-expect-error not a theme position
const badPosition: WaylineConfig = { theme: { position: 'top' } };
// @ts-expect-error an audience has a rule or a condition, not both
const both: WaylineConfig = { campaigns: [{ id: 'c', trigger: { sessionStart: true }, audience: { rule: 'true', condition: { plan: 'pro' } }, action: { type: 'custom' } }] };
const byCondition: WaylineConfig = { campaigns: [{ id: 'c', trigger: { sessionStart: true }, audience: { condition: { plan: 'pro' }, devices: ['mobile'] }, action: { type: 'custom' } }] };
console.log(noCode, falseFlag, badPosition, both, byCondition);

// Every UI string key of docs/prompts.md (and of the checker's STRING_KEYS), no more and no fewer.
const allStrings: Required<PromptStrings> = {
  submit: 'Envoyer', next: 'Suivant', close: 'Fermer', copy: 'Copier', copied: 'Copié', share: 'Partager', claim: 'OK',
  thanks: 'Merci !', notLikely: 'Peu probable', veryLikely: 'Très probable', unsatisfied: 'Très insatisfait',
  satisfied: 'Très satisfait', progress: '{n} sur {total}', points: '{n} points', point: '{n} point',
};
const withStrings: WaylineConfig = { strings: { fr: allStrings } };
console.log(withStrings);

void main();
