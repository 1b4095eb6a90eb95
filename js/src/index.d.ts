// Type declarations for the Wayline SDK (npm: `import { wayline } from 'wayline'`; script tag: `window.wayline`).

/** A JSON-serialisable value. Functions and symbols are left out; cycles and BigInt are repaired with a warning. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/** analytics.js's callback of `track`, `page`, `identify`, `group` and `alias`. */
export type Callback = () => void;
/**
 * analytics.js's `options` argument: what it changes in the one message of its call. Rules and campaigns on the
 * device see the call as they would without it.
 */
export interface CallOptions {
  /** The message's `timestamp` instead of the time of the call (a date, ISO 8601 text or ms since 1970). */
  timestamp?: Date | string | number;
  /** The message's `anonymousId` instead of the visitor's. */
  anonymousId?: string | number;
  /** The message's `userId` instead of the visitor's. */
  userId?: string | number;
  /** The message's `messageId` instead of a new one (1–100 bytes): a repeat is stored once. */
  messageId?: string;
  /** Sent as the message's `integrations` (which destinations of a Segment pipeline get it). */
  integrations?: Record<string, unknown>;
  /** Members that replace the context's members of the same name (a shallow merge), such as `ip`. */
  context?: Record<string, unknown>;
  /** Any other option goes into the context too, as analytics-next puts it there. */
  [key: string]: unknown;
}
/** Properties of a `track`/`page` call or traits of `identify`: a plain object. */
export type Properties = Record<string, unknown>;
/** A user, group or previous id: a string, or a finite number, sent as its text (as analytics.js sends it). */
export type Id = string | number;

/**
 * What `configResponse` resolves to: a `Response`, or any object with its `status`, `headers.get` and `text()`
 * (the script-tag stub hands over such an object).
 */
export interface ConfigResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface InitOptions {
  /** Write key of a source configured on the collector (for the demo: `wk_demo`). Required. */
  writeKey: string;
  /** Collector base URL; batches go to `${endpoint}/v1/batch`. Default: the page's origin. */
  endpoint?: string;
  /** Send a batch as soon as this many events wait (1–1000). Default 20. */
  flushAt?: number;
  /** Send a batch when the oldest waiting event is this many milliseconds old. Default 2000. */
  flushInterval?: number;
  /** Minutes of inactivity that end a session (1–1440). Default 30. */
  sessionTimeout?: number;
  /**
   * Page view on load and on SPA navigation (`pushState`, URL-changing `replaceState`, `popstate`, the Navigation
   * API). Default true.
   */
  autoPage?: boolean;
  /** Track clicks on elements with `data-wayline-event`. Default true. */
  trackClicks?: boolean;
  /**
   * Send `Page Engagement` events (engaged time and scroll depth of each page left). Default true. When false,
   * engaged time still counts on the device for rules (`engaged_time()`) and campaign triggers.
   */
  trackEngagement?: boolean;
  /** Send the furthest scroll depth in `Page Engagement` events. Default true (rules and triggers see it either way). */
  trackScroll?: boolean;
  /** Send `context.sessionId` with every message. Default true (sessions still count on the device). */
  trackSessions?: boolean;
  /** Send `context.attribution` (first and last touch) with every message. Default true (rules still read `channel`). */
  trackAttribution?: boolean;
  /**
   * Whether segments, journeys and campaigns run on the device in every consent state (default true). With false,
   * they run only while consent is `'granted'`: events tracked under `'pending'` are fed to them once it is.
   */
  personalizeWithoutConsent?: boolean;
  /** Log each decision to the console (also `?wayline_debug=1`). Default false. */
  debug?: boolean;
  /**
   * Segments, journeys and campaigns: the config object itself, or a URL to fetch it from (script tag:
   * `data-config`). Rules are compiled once when it loads; an invalid config is reported as a `config_invalid`
   * warning listing every error with its location, the last good config stays, and tracking goes on. A URL config
   * is stored for offline starts and revalidated with its `ETag`.
   */
  config?: WaylineConfig | string;
  /** A URL config is checked for changes when the page becomes visible this many ms after the last check
   * (0–86,400,000). Default 300,000 (5 minutes). */
  configRefresh?: number;
  /**
   * The response to a request for the `config` URL that the page already started (`fetch(url, { credentials:
   * 'omit', cache: 'no-cache' })`), used instead of the SDK's first request so the config arrives alongside the
   * SDK rather than after it. The script tag's stub does this for `data-config`. A rejected promise or an error
   * status counts as the config being unavailable, as for the SDK's own request.
   */
  configResponse?: PromiseLike<ConfigResponse>;
  /** Starting consent state (SPEC §8). Default `'granted'`. */
  consent?: ConsentState;
  /** Queued events older than this many days are dropped and counted (1–365). Default 7. */
  maxEventAge?: number;
}

/**
 * `'pending'`: events are kept in memory only and nothing is sent; `'granted'`: events are persisted and sent;
 * `'denied'`: nothing is recorded and stored events and identity are purged.
 */
export type ConsentState = 'granted' | 'pending' | 'denied';

/** Thrown (or rejected) for programming errors such as missing options; `code` is stable. */
export interface WaylineError extends Error {
  name: 'WaylineError';
  code: 'invalid_options' | 'no_window' | string;
}

export interface WarningEvent {
  /** Stable identifier, e.g. `properties_truncated`, `storage_unavailable`, `batch_rejected`. */
  code: string;
  message: string;
}

/**
 * The config document (docs/config.md): segments, journeys, campaigns, the prompts' theme and strings. The same
 * shape is published as a JSON Schema, `wayline/config.schema.json`; `wayline check` also compiles every rule and
 * resolves references.
 */
export interface WaylineConfig {
  /** Segment name → rule. */
  segments?: Record<string, Rule>;
  /** Journey name → ordered stages; the visitor's stage is the furthest one whose rule holds. */
  journeys?: Record<string, JourneyStage[]>;
  /** At most 64. */
  campaigns?: Campaign[];
  campaignLimits?: { /** At most this many prompts per session (0–1000). */ perSession?: number; /** At least this long between two prompts. */ minGap?: Duration };
  /** The prompts' theme; an action's own `theme` wins key by key. */
  theme?: Theme;
  /** Locale (`fr`, `fr-CA`) → the prompts' UI strings (docs/prompts.md). */
  strings?: Record<string, PromptStrings>;
}

/** A duration with units: `500ms`, `30s`, `10m`, `2h`, `7d`, `2w`, `1h30m`. */
export type Duration = string;

/** A rule in the rule language (docs/rules.md), or a GrowthBook-style JSON condition. */
export type Rule = string | { rule: string } | { condition: Record<string, unknown> };

export type JourneyStage = { stage: string } & ({ rule: string } | { condition: Record<string, unknown> });

/**
 * A URL pattern: a path (`/pricing*`, starting with `/` or `*`) or a whole URL (`https://shop.example/*`); `*`
 * matches any run of characters.
 */
export type UrlPattern = string;

export interface Campaign {
  /** Unique, at most 64 bytes; outcome events and `explain` use it. */
  id: string;
  name?: string;
  description?: string;
  trigger: Trigger;
  audience?: Audience;
  action: Action;
  timing?: Timing;
  /** Higher wins when several are eligible (−1,000,000 to 1,000,000). Default 0. */
  priority?: number;
  /** Percentage (0–100) of the audience held out: they get a `Campaign Held Out` event instead. */
  holdout?: number;
}

/** Exactly one trigger. */
export type Trigger =
  | { event: string; /** A rule with the event as the current event (`properties.revenue >= 50`). */ where?: string }
  | { segmentEnter: string }
  | { segmentExit: string }
  | { stage: string; journey: string }
  | { page: UrlPattern }
  | { exitIntent: true }
  | { idle: Duration }
  | { scroll: number }
  | { engagedTime: Duration }
  | { sessionStart: true };

/** Who may see a campaign: a rule that must hold now (`rule` or a GrowthBook-style `condition`, not both), the
 * pages, the devices, the dates and a sample. */
export type Audience = AudienceParts &
  ({ rule?: string; condition?: never } | { rule?: never; condition?: Record<string, unknown> });

export interface AudienceParts {
  urls?: { include?: UrlPattern[]; exclude?: UrlPattern[] };
  devices?: Array<'mobile' | 'tablet' | 'desktop'>;
  /** ISO-8601 date and time with `Z` or an offset (`2026-12-01T00:00:00Z`; not a date alone): eligible from `start`
   * (inclusive) until `end` (exclusive). */
  start?: string;
  end?: string;
  /** Only this percentage of visitors, chosen deterministically per visitor and campaign. */
  sample?: number;
}

export interface Timing {
  /** Wait this long after the trigger (at most 4h); eligibility is checked again when it ends. */
  delay?: Duration;
  /** Events that cancel a waiting delay (at most 16). */
  cancelOn?: string[];
  frequency?: 'once' | 'untilAnswered' | 'always' | { max: number; per?: Duration };
  /** After a dismissal, not eligible again for this long. */
  cooldown?: Duration;
}

interface ActionCommon {
  title?: string;
  text?: string;
  thanks?: string;
  theme?: Theme;
}

export type Action = SurveyAction | RewardAction | CustomAction;

export interface SurveyAction extends ActionCommon {
  type: 'survey';
  /** 1 to 20. */
  questions: Question[];
}

export interface Question {
  id: string;
  text: string;
  type: 'nps' | 'csat' | 'rating' | 'single' | 'multiple' | 'text';
  /** For `single` and `multiple`: 1 to 20. */
  choices?: string[];
  /** Shown in a `text` question's box. */
  placeholder?: string;
  /** Answer (a score, a range like `"0-6"`, a choice, or `"*"`) → a later question id, or `"end"`. */
  next?: Record<string, string>;
}

export type RewardAction = ActionCommon & { type: 'reward' } & (
  | { reward: 'coupon'; code: string }
  | { reward: 'points'; points: number }
  | { reward: 'badge'; badge: string }
  | { reward: 'referral'; /** http(s) */ url: string }
);

export interface CustomAction extends ActionCommon {
  type: 'custom';
  /** Handed to the host with `campaign:show`. */
  payload?: unknown;
  [key: string]: unknown;
}

/** Colours: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`rgba()`/`hsl()`/`hsla()` with numeric arguments,
 * `transparent`, `currentColor`; colour names such as `red` are refused. */
export interface ThemeColours {
  accentColor?: string;
  accentTextColor?: string;
  backgroundColor?: string;
  textColor?: string;
  borderColor?: string;
}

export interface Theme extends ThemeColours {
  /** A CSS font-family list. */
  font?: string;
  fontFamily?: string;
  /** px (0–64) or a CSS length (`"12px"`, `"0.75em"`, `"50%"`). */
  radius?: number | string;
  position?: 'bottom-right' | 'bottom-left' | 'bottom' | 'center';
  /** Colours used when the visitor prefers a dark colour scheme. */
  dark?: ThemeColours;
}

export interface PromptStrings {
  submit?: string;
  next?: string;
  close?: string;
  copy?: string;
  copied?: string;
  share?: string;
  claim?: string;
  thanks?: string;
  notLikely?: string;
  veryLikely?: string;
  unsatisfied?: string;
  satisfied?: string;
  /** `{n} of {total}` */
  progress?: string;
  /** `{n} points` */
  points?: string;
  /** `{n} point`: the points reward of exactly one point */
  point?: string;
}

export interface SegmentChange {
  segment: string;
  /** When the membership changed (epoch ms): exact, even when it changed with time alone. */
  at: number;
}

export interface StageChange {
  journey: string;
  from: string | null;
  to: string | null;
  at: number;
}

/** `campaign:show`: a campaign shows now. A built-in prompt (survey, reward) is told once the SDK has built it (as
 * `Campaign Shown` is recorded; none for a prompt never built); for `headless: true` (`"type": "custom"`), told with
 * the decision, the host renders `action.payload` and reports with `wayline.outcome(...)`. */
export interface CampaignShow {
  campaign: string;
  type: 'survey' | 'reward' | 'custom';
  headless: boolean;
  action: Record<string, unknown>;
}

export interface SurveyAnswer {
  campaign: string;
  question: string;
  /** A number (nps, csat, rating), a string (single choice, text) or strings (multiple choice). */
  answer: number | string | string[];
}

export interface RewardClaim {
  campaign: string;
  reward: 'coupon' | 'points' | 'badge' | 'referral' | string;
  how: 'copy' | 'share' | 'ok';
}

export type CampaignOutcome = 'shown' | 'dismissed' | 'answered' | 'completed' | 'rewardClaimed';

export interface ExplainReason {
  /** Stable code: `audience-rule`, `url-excluded`, `capped`, `cooldown`, `session-limit`, `too-many-pending`,
   * `held-out`, ... (docs/campaigns.md lists them all). */
  code: string;
  message: string;
  /** When the reason ends (epoch ms), for caps, cooldowns and the minimum gap. */
  until?: number;
  /** The campaign that outranks this one, or the one on screen. */
  campaign?: string;
  /** The false top-level clauses of the audience rule. */
  clauses?: string[];
}

export interface Explanation {
  campaign: string;
  /** Nothing blocks it and the visitor is not held out; for a campaign with a delay, triggering now would start
   * the delay (a prompt on screen and the minimum gap are checked when it ends). */
  eligible: boolean;
  heldOut: boolean;
  /** A delay is waiting until then (epoch ms); with `pageHidden`, until then or until the page is visible again,
   * whichever is later (so it may be past). */
  pendingUntil?: number;
  /** The page is hidden: a prompt ready to show, or a delay that ends, waits until it is visible again. */
  pageHidden?: true;
  reasons: ExplainReason[];
}

export interface EventMap {
  ready: true;
  'campaign:show': CampaignShow;
  /** The SDK closed the campaign's open prompt (no outcome): the SDK removed its own; a host rendering a custom action
   * removes its own. `reason`: `navigation`, an in-app navigation to a URL the campaign does not target; `reset`, a
   * `reset()` (or another visitor signed in in another tab); `consent`, consent denied, or withdrawn where campaigns
   * need it. Only for a prompt whose `campaign:show` was emitted. */
  'campaign:close': { campaign: string; reason: 'navigation' | 'reset' | 'consent' };
  'survey:answer': SurveyAnswer;
  'reward:claim': RewardClaim;
  warning: WarningEvent;
  'segment:enter': SegmentChange;
  'segment:exit': SegmentChange;
  'stage:change': StageChange;
  /** A config was loaded (`ok: true`: segments, journeys and campaigns are live) or could not be used (`ok:
   * false`); `source` says where it came from (`cache`: stored by an earlier page, used until the network answers). */
  config: { ok: boolean; source: 'inline' | 'cache' | 'network' };
}

export interface DebugState {
  queued: number;
  queuedBytes: number;
  droppedOverflow: number;
  droppedRejected: number;
  droppedExpired: number;
  droppedCorrupt: number;
  consent: ConsentState;
  sessionCount: number;
  sessionId: number;
}

export interface Wayline {
  /**
   * Loads the WebAssembly module and starts tracking. Resolves `true` when ready, `false` when the SDK cannot run
   * here (no browser, the module failed to load: one console message says why). Rejects with a `WaylineError`
   * for invalid options. In a page the browser prerenders, it starts (and resolves) once the page is shown; calls
   * made meanwhile wait for it.
   */
  init(options: InitOptions): Promise<boolean>;
  /**
   * Records an event. Never throws; bad input is repaired or dropped with a `warning`. As in analytics.js, a
   * function after the arguments (the first function among them) is called once the call is recorded (after 300 ms at the latest, also when the
   * SDK cannot run); an `options` object before it changes this call's message (see `CallOptions`).
   */
  track(event: string, properties?: Properties, callback?: Callback): void;
  track(event: string, properties: Properties | undefined, options: CallOptions, callback?: Callback): void;
  track(event: string, callback: Callback): void;
  /** Records a page view of the current URL (automatic unless `autoPage: false`). */
  page(name?: string, properties?: Properties, callback?: Callback): void;
  page(name: string | undefined, properties: Properties, options: CallOptions, callback?: Callback): void;
  /** A page view with a category and a name, as analytics.js reads two leading strings: `page('Docs', 'Intro')`. */
  page(category: string | null | undefined, name: string, properties?: Properties | null, callback?: Callback): void;
  page(category: string | null | undefined, name: string, properties: Properties | null | undefined, options: CallOptions, callback?: Callback): void;
  page(properties: Properties, callback?: Callback): void;
  page(properties: Properties, options: CallOptions, callback?: Callback): void;
  /**
   * Associates the visitor with a user id and merges traits (`identify(traits)`, or a missing id, `null`, keeps the
   * current id and updates traits only).
   */
  identify(userId: Id | null | undefined, traits?: Properties, callback?: Callback): void;
  identify(userId: Id | null | undefined, traits: Properties | undefined, options: CallOptions, callback?: Callback): void;
  identify(traits: Properties, callback?: Callback): void;
  identify(traits: Properties, options: CallOptions, callback?: Callback): void;
  /**
   * Records a Segment `group` message: the visitor belongs to a company or team. Rules see it as a `"Group"`
   * event whose properties are the traits; the traits are not kept in the profile.
   */
  group(groupId: Id, traits?: Properties, callback?: Callback): void;
  group(groupId: Id, traits: Properties | undefined, options: CallOptions, callback?: Callback): void;
  /**
   * Records a Segment `alias` message joining `previousId` (by default the current user id, else the anonymous id)
   * to `userId`. The visitor's own user id does not change (`identify` does that).
   */
  alias(userId: Id, previousId?: Id, callback?: Callback): void;
  alias(userId: Id, previousId: Id | undefined, options: CallOptions, callback?: Callback): void;
  alias(userId: Id, options: CallOptions, callback?: Callback): void;
  /** Logout: new anonymous id, user id and traits cleared. */
  reset(): void;
  /** Changes the consent state; `'granted'` sends what was held, `'denied'` purges storage. */
  consent(state: ConsentState): void;
  /**
   * Sends all queued events; resolves `true` once the collector accepted them (at once when none wait), `false` at
   * once if the SDK is not running or events wait that cannot be sent now (consent `pending`, the browser offline:
   * they stay queued), and once the collector could not be reached twice in a row (a network error, or a request
   * the page's `connect-src`, an extension or CORS refused: the events stay queued and are retried).
   */
  flush(): Promise<boolean>;
  /** Subscribes to an SDK event; returns a function that unsubscribes. May be called before `init`. */
  on<K extends keyof EventMap>(name: K, listener: (payload: EventMap[K]) => void): () => void;
  off<K extends keyof EventMap>(name: K, listener: (payload: EventMap[K]) => void): void;
  /** The segments the visitor is in now. */
  segments(): string[];
  /** The visitor's current stage in a journey. */
  stage(journey: string): string | undefined;
  /** Why a campaign would or would not show if it triggered now; `null` for an unknown campaign or no config. */
  explain(campaign: string): Explanation | null;
  /**
   * Reports what the visitor did with a prompt the host renders itself (headless, `"type": "custom"`): caps,
   * cooldowns and outcome events behave exactly as for built-in prompts. `details` become the event's properties
   * (`{ question, answer }` for an answer). Outcomes other than `'shown'` count only for the campaign whose prompt
   * is open in this page (shown here, not closed since): `'dismissed'`, `'completed'` and `'rewardClaimed'` close it,
   * so a repeat, or an outcome for a campaign never shown, is ignored (debug mode warns `outcome_ignored`).
   */
  outcome(campaign: string, outcome: CampaignOutcome, details?: Properties): void;
  /** The visitor's anonymous id, once initialised. */
  anonymousId(): string | undefined;
  /** The identified user id, if any. */
  userId(): string | undefined;
  /** Queue and session counters for diagnostics. */
  debugState(): DebugState | null;
}

export declare const wayline: Wayline;
export default wayline;

declare global {
  interface Window {
    wayline: Wayline;
  }
}
