// SPDX-License-Identifier: Apache-2.0
import type { Token } from '@chaosplane/sdk';

/** Anything inversify resolves from: a container or a resolution context. */
interface Resolver {
  get<V>(serviceIdentifier: symbol): V;
}

/**
 * Resolves a typed token. inversify's identifiers do not carry a type for symbols, so this is
 * the one place where a {@link Token}'s type meets the container.
 */
export function resolveToken<T>(from: Resolver, token: Token<T>): T {
  return from.get<T>(token);
}
