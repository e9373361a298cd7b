// SPDX-License-Identifier: Apache-2.0
import http from 'node:http';

/** A response of {@link unixHttpRequest}. */
export interface UnixHttpResponse {
  status: number;
  body: string;
}

/**
 * One HTTP/1.1 request over a unix socket (Docker's Engine API). The path is built by the
 * caller from validated parts; the body is read whole (these APIs answer small JSON).
 */
export function unixHttpRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  signal?: AbortSignal,
): Promise<UnixHttpResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { socketPath, method, path, headers: { host: 'localhost' }, signal },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}
