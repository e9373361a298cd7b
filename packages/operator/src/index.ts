// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/operator */
export const PACKAGE_NAME = '@chaosplane/operator';
