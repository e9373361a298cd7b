// SPDX-License-Identifier: Apache-2.0
// The daemon calls a controller makes, typed from a plugin's generated service definition
// (ts-proto `outputServices=generic-definitions`) without depending on a gRPC library.

/** A generated gRPC service definition (ts-proto's `…Definition`): unary methods with their codecs. */
export interface DaemonServiceDefinition {
  /** The service's name (`HelloWorldDaemon`). */
  readonly name: string;
  /** Its full name (`chaosplane.helloworld.v1.HelloWorldDaemon`): what the daemon serves it under. */
  readonly fullName: string;
  /** Its unary methods, by their camelCase names, with the request and response codecs. */
  readonly methods: {
    readonly [method: string]: {
      readonly requestType: { encode(message: never, ...rest: never[]): unknown };
      readonly responseType: { decode(input: Uint8Array, ...rest: never[]): unknown };
      readonly requestStream: false;
      readonly responseStream: false;
    };
  };
}

/**
 * A client of one daemon service, bound to the target's node and to the chaos object and record:
 * each method takes the request (missing top-level fields default) and resolves with the response, under
 * the implementation's signal unless `options.signal` is given. Failures reject with a
 * `ChaosplaneError` whose kind follows the daemon's gRPC status (see the daemon reference).
 */
export type DaemonClient<D extends DaemonServiceDefinition> = {
  [K in keyof D['methods']]: (
    request: D['methods'][K] extends { requestType: { encode(message: infer T, ...rest: never[]): unknown } }
      ? Partial<T>
      : never,
    options?: { signal?: AbortSignal },
  ) => Promise<D['methods'][K] extends { responseType: { decode(...args: never[]): infer T } } ? T : never>;
};
