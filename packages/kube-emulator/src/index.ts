// SPDX-License-Identifier: Apache-2.0
/** @packageDocumentation @chaosplane/kube-emulator */
export const PACKAGE_NAME = '@chaosplane/kube-emulator';
