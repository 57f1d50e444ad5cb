/**
 * System services some tests need (redis-server, chromium). On a newcomer's machine a missing
 * service skips those tests with a notice saying how to install it; in CI (`CI` set) a missing
 * service fails the test file, so the suite can never go green with parts of it off.
 */
import { spawnSync } from 'node:child_process';

export interface Service {
  name: string;
  /** The command that must be on PATH (or an absolute path). */
  command: string;
  install: string;
}

export const redisServer: Service = { name: 'redis-server', command: 'redis-server', install: 'apt-get install -y redis-server' };
export const chromium: Service = {
  name: 'chromium',
  command: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  install: 'apt-get install -y chromium',
};

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], { encoding: 'utf8' }).status === 0;
}

/** True when the service is there; false (with a notice) on a developer machine; throws in CI. */
export function requireService(service: Service, what: string): boolean {
  if (onPath(service.command)) return true;
  const message = `${service.name} is not installed, so ${what} cannot run. Install it with: ${service.install}`;
  if (process.env.CI) throw new Error(`CI needs ${message}`);
  console.warn(`NOTICE: ${message} (skipped)`);
  return false;
}
