// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/daemon */
export const PACKAGE_NAME = '@chaosplane/daemon';
