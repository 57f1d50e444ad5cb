import type { ModelDeployment } from '../domain/deployment.js';
import type { DeploymentStatus } from '../domain/status.js';

/**
 * What travels on the pubsub, one topic per backend (`topicFor`): observations of deployments,
 * from any gateway instance's poll or mutation. Each instance turns them into events for its own
 * subscribers by comparing with what it saw before, so one change is one event however many
 * instances saw it.
 */
export interface Observation {
  type: 'observed';
  backend: string;
  deployment: ModelDeployment;
  at: number;
  /**
   * When the read that showed this state began (a mutation: when it was observed). A receiver
   * drops an observation older than the one it last took for the deployment: a poll in flight
   * during a mutation may carry the state from before it. Absent: no order is known.
   */
  readAt?: number;
  /** What made the observation: a poll, or a mutation through a gateway (which wins a tie). */
  source?: 'poll' | 'mutation';
  /**
   * The deployment is new upstream: the poller's last read before this one (which began at
   * `absentAt`) covered it and did not show it. Instances that do not poll take it from here.
   */
  absentAt?: number;
}

/**
 * A backend's availability changed, as the instance that polls it (or a subscription's read) saw
 * it. Every instance tells its own subscribers once per change.
 */
export interface Availability {
  type: 'availability';
  backend: string;
  available: boolean;
  code?: string;
  message?: string;
  retryInMs?: number;
  at: number;
}

/** Everything on a backend's topic. */
export type BackendMessage = Observation | Availability;

/** What a subscriber receives from the watch hub. */
export type HubEvent =
  | {
      type: 'status';
      backend: string;
      id: string;
      deployment: ModelDeployment;
      previous: DeploymentStatus | null;
      current: DeploymentStatus;
      vendorStatus: string | null;
      fingerprint: string;
      at: number;
    }
  | {
      type: 'change';
      backend: string;
      id: string;
      deployment: ModelDeployment;
      previous: DeploymentStatus | null;
      current: DeploymentStatus;
      vendorStatus: string | null;
      changedFields: string[];
      fingerprint: string;
      at: number;
    }
  | { type: 'unavailable'; backend: string; code: string; message: string; retryInMs: number; at: number }
  | { type: 'recovered'; backend: string; at: number };

export const topicFor = (backend: string) => `model-gateway:deployments:${backend}`;

/**
 * JSON that keeps what the events carry exact across Redis: bigint (ZStack sizes) and Date.
 * `this[key]` is the value before Date#toJSON ran.
 */
export const eventCodec = {
  stringify(message: unknown): string {
    return JSON.stringify(message, function (this: Record<string, unknown>, key, value) {
      const original = this[key];
      if (typeof original === 'bigint') return { $bigint: original.toString() };
      if (original instanceof Date) return { $date: original.toISOString() };
      return value;
    });
  },
  parse(text: string): unknown {
    return JSON.parse(text, (_key, value) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        if (typeof value.$bigint === 'string' && Object.keys(value).length === 1) return BigInt(value.$bigint);
        if (typeof value.$date === 'string' && Object.keys(value).length === 1) return new Date(value.$date);
      }
      return value;
    });
  },
};
