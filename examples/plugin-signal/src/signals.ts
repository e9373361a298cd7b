// SPDX-License-Identifier: Apache-2.0
// The signals SignalChaos may send. One list for the schema (controller side) and the daemon's
// own check: the daemon never trusts what arrives on the wire.
import { ChaosplaneError } from '@chaosplane/sdk';

/** Signals SignalChaos can send to a container's main process. */
export const SUPPORTED_SIGNALS = [
  'SIGTERM',
  'SIGKILL',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGSTOP',
  'SIGCONT',
] as const;

/** One of {@link SUPPORTED_SIGNALS}. */
export type SupportedSignal = (typeof SUPPORTED_SIGNALS)[number];

/** True when `name` is one of {@link SUPPORTED_SIGNALS}. */
export function isSupportedSignal(name: unknown): name is SupportedSignal {
  return typeof name === 'string' && (SUPPORTED_SIGNALS as readonly string[]).includes(name);
}

/**
 * Returns `name` as a {@link SupportedSignal}, or throws a ChaosplaneError of kind `invalid`
 * naming `field` and the supported values (the daemon maps it to INVALID_ARGUMENT).
 */
export function requireSupportedSignal(name: unknown, field = 'signal'): SupportedSignal {
  if (isSupportedSignal(name)) return name;
  const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : typeof name;
  throw new ChaosplaneError(
    'invalid',
    `${field}: Unsupported value: ${shown}: supported values: ${SUPPORTED_SIGNALS.join(', ')}`,
    { field },
  );
}
