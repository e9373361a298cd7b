// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/core */
export const PACKAGE_NAME = '@chaosplane/core';
