// Type declarations for the Wayline SDK (npm: `import { wayline } from 'wayline'`; script tag: `window.wayline`).

/** A JSON-serialisable value. Functions and symbols are left out; cycles and BigInt are repaired with a warning. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/** Properties of a `track`/`page` call or traits of `identify`: a plain object. */
export type Properties = Record<string, unknown>;

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
  /** Page view on load and on SPA navigation (`pushState`, URL-changing `replaceState`, `popstate`). Default true. */
  autoPage?: boolean;
  /** Track clicks on elements with `data-wayline-event`. Default true. */
  trackClicks?: boolean;
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

/** Segment and journey definitions (see docs/rules.md). */
export interface WaylineConfig {
  /** Segment name → rule (rule-language text, or a GrowthBook-style condition object). */
  segments?: Record<string, string | Record<string, unknown>>;
  /** Journey name → ordered stages; the visitor's stage is the furthest one whose rule holds. */
  journeys?: Record<string, Array<{ stage: string; rule: string | Record<string, unknown> }>>;
  [key: string]: unknown;
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

/** `campaign:show`: a campaign decided to show now. Built-in prompts render themselves; for `headless: true`
 * (`"type": "custom"`) the host renders `action.payload` and reports with `wayline.outcome(...)`. */
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
  /** Stable code: `audience-rule`, `url-excluded`, `capped`, `cooldown`, `session-limit`, `held-out`, ... */
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
  eligible: boolean;
  heldOut: boolean;
  /** A delay is waiting until then (epoch ms). */
  pendingUntil?: number;
  reasons: ExplainReason[];
}

export interface EventMap {
  ready: true;
  'campaign:show': CampaignShow;
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
   * for invalid options.
   */
  init(options: InitOptions): Promise<boolean>;
  /** Records an event. Never throws; bad input is repaired or dropped with a `warning`. */
  track(event: string, properties?: Properties): void;
  /** Records a page view of the current URL (automatic unless `autoPage: false`). */
  page(name?: string, properties?: Properties): void;
  page(properties: Properties): void;
  /** Associates the visitor with a user id and merges traits (`identify(traits)` updates traits only). */
  identify(userId: string, traits?: Properties): void;
  identify(traits: Properties): void;
  /** Logout: new anonymous id, user id and traits cleared. */
  reset(): void;
  /** Changes the consent state; `'granted'` sends what was held, `'denied'` purges storage. */
  consent(state: ConsentState): void;
  /** Sends all queued events; resolves `true` once the collector accepted them, `false` if the SDK is not running. */
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
   * (`{ question, answer }` for an answer).
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
