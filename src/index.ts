export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export type { GatewayRuntime, HealthView } from './app/runtime.js';
export type { Backend } from './domain/backend.js';
export { startServer, type ServerOptions, type RunningServer } from './server/index.js';
export { loadConfigFile, parseConfig, ConfigError, type GatewayConfig, type GatewayConfigInput } from './config.js';
export { defineAdapter, type Adapter, type AdapterInstance, type AdapterContext, type Capabilities, type ListFilter, type BackendConfigBase, type BackendHealth, type PlanResult, type UpdateResult } from './domain/adapter.js';
export { defineVendorGraphQL, type VendorGraphQL, type VendorModule } from './graphql/vendor.js';
export { vendorDeploymentType, type GatewayBuilder, type CoreRefs } from './graphql/builder.js';
export type { HttpClient, HttpClientSettings, HttpRequest, HttpResponse, QueryValue, VendorErrorFacts } from './domain/http.js';
export type { ModelDeployment, ModelInfo, ResourceInfo } from './domain/deployment.js';
export { DEPLOYMENT_STATUSES, type DeploymentStatus } from './domain/status.js';
export type { UpdatePatch, PlannedRequest, FieldChange, UpdateOptions } from './domain/patch.js';
export {
  GatewayError,
  ValidationError,
  NotFoundError,
  ConflictError,
  UnsupportedFieldError,
  UpstreamError,
  ERROR_CODES,
  type ErrorCode,
  type ValidationIssue,
  type WriteOutcome,
} from './domain/errors.js';
export { parseId, formatId, parseSegments, pathSegment } from './domain/ids.js';
export { validate, issuesFromZod } from './domain/validation.js';
export { createManualClock, systemClock, type Clock, type ManualClock } from './domain/clock.js';
export { startSimulatorServer, type SimulatorServer, type VendorSimulator, type Fault } from './simulator/server.js';
