// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/selectors */
export const PACKAGE_NAME = '@chaosplane/selectors';
