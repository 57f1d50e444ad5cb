/** The unified status of a model deployment on any vendor (DESIGN.md "Unified model"). */
export const DEPLOYMENT_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'STARTING',
  'READY',
  'PAUSED',
  'FAILED',
  'DELETING',
  'DELETED',
  'UNKNOWN',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export function isDeploymentStatus(value: unknown): value is DeploymentStatus {
  return typeof value === 'string' && (DEPLOYMENT_STATUSES as readonly string[]).includes(value);
}
