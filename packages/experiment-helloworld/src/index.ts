// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/experiment-helloworld */
export const PACKAGE_NAME = '@chaosplane/experiment-helloworld';
