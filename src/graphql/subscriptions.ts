import type { GatewayBuilder, CoreRefs } from './builder.js';
import type { registerFilterInput } from './queries.js';

/** Status subscriptions are registered here (src/status feeds them). */
export function registerSubscriptions(_builder: GatewayBuilder, _refs: CoreRefs, _filter: ReturnType<typeof registerFilterInput>): void {}
