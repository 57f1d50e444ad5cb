import type { Logger } from 'pino';
import type { Backend } from '../domain/backend.js';
import type { Clock } from '../domain/clock.js';
import type { ModelDeployment } from '../domain/deployment.js';
import type { GatewayConfig } from '../config.js';
import type { Observability } from '../observability/index.js';
import type { GatewayPubSub } from '../status/pubsub.js';
import type { WatchHub } from '../status/hub.js';
import type { AppServices } from './services.js';
import type { UpstreamBudget } from './upstream-budget.js';
import type { GatewayWatches } from './watches.js';

export interface HealthView {
  ok: boolean;
  message: string | null;
  latencyMs: number | null;
  checkedAt: Date;
}

/** What resolvers, the status hub and the CLI share for one running gateway. */
export interface GatewayRuntime {
  backends: Map<string, Backend>;
  logger: Logger;
  clock: Clock;
  config: GatewayConfig;
  health(backend: Backend): Promise<HealthView>;
  /** Tells watchers that a deployment changed through this gateway. */
  published(deployment: ModelDeployment): void;
  onPublished(listener: (d: ModelDeployment) => void): () => void;
  pubsub: GatewayPubSub;
  hub: WatchHub | null;
  /** Write locks, plans and updates of this gateway (src/app). */
  app: AppServices;
  /** Each backend's rate budget, shared by every caller; the hub's polls keep a reserve. */
  budget?: UpstreamBudget;
  /** The subscriptions: shared watches over the hub. */
  watches?: GatewayWatches;
  /** Metrics, traces and the audit trail of this gateway. */
  observability: Observability;
}
