// SPDX-License-Identifier: Apache-2.0

declare const TOKEN_TYPE: unique symbol;

/**
 * A dependency-injection token that carries the type of what it is bound to, so resolving it
 * needs no cast. It is a `Symbol.for` symbol: two copies of a package still agree on it.
 */
export type Token<T> = symbol & { readonly [TOKEN_TYPE]?: T };

/** Declares a typed token; `name` should be globally unique (`my-plugin.Config`). */
export function defineToken<T>(name: string): Token<T> {
  return Symbol.for(name) as Token<T>;
}
