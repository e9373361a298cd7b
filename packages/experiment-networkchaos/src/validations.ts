// SPDX-License-Identifier: Apache-2.0
// NetworkChaos's rules as CEL, so a real API server refuses at `kubectl apply` what its rules
// (rules.ts, with Chaos Mesh's exact wording) refuse in the engine. Rules on a field go on the
// field's schema (kind.ts); the cross-field ones are here, on the spec.
import { celString } from '@chaosplane/sdk';
import type { CelValidation } from '@chaosplane/sdk';

/** A Go float (strconv.ParseFloat), as Chaos Mesh's FloatStr reads it. */
const FLOAT = celString('^[+-]?(([0-9]+([.][0-9]*)?)|([.][0-9]+))([eE][+-]?[0-9]+)?$');

/** The rules of a percentage field (`loss.loss`, every `correlation`). */
export const percentRules = [
  {
    rule: `self.matches(${FLOAT})`,
    messageExpression: `'parse correlation field error:strconv.ParseFloat: parsing "' + self + '": invalid syntax'`,
  },
  {
    rule: `!self.matches(${FLOAT}) || (double(self) >= 0.0 && double(self) <= 100.0)`,
    messageExpression: `'"' + self + '" must be a percentage from 0 to 100'`,
  },
];

const UNIT = '(kbit|mbit|gbit|tbit|tbps|gbps|mbps|kbps|bps|bit)';

/** The rules of a rate (`bandwidth.rate`, `rate.rate`): an unsigned integer and one of tc's units. */
export const rateRules = [
  {
    rule: `self.lowerAscii().trim().matches(${celString(`${UNIT}$`)})`,
    message: 'parse rate field error:invalid unit',
  },
  {
    rule: `!self.lowerAscii().trim().matches(${celString(`${UNIT}$`)}) || self.lowerAscii().trim().matches(${celString(`^[0-9]+\\s*${UNIT}$`)})`,
    message: 'parse rate field error:strconv.ParseUint: invalid syntax',
  },
];

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${OCTET}([.]${OCTET}){3}`;
const PORT = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
const HOST =
  '[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?([.][A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*[.]?';

/** The rule of one external target: an IPv4 address, CIDR or host name, with an optional `:port`. */
export const externalTargetRules = [
  {
    rule:
      `self.trim().matches(${celString(`^${IPV4}(/([0-9]|[12][0-9]|3[0-2]))?(:${PORT})?$`)}) || ` +
      `(self.trim().matches(${celString(`^${HOST}(:${PORT})?$`)}) && !self.trim().matches(${celString('^[0-9.]+(:[0-9]+)?$')}))`,
    messageExpression: `'"' + self + '" is not an IPv4 address, an IPv4 CIDR or a host name, with an optional :port (1-65535)'`,
  },
];

/** A network interface name: 1–15 characters, no whitespace, `/` or `:` (`eth0@if12` is `eth0`). */
export const deviceRules = [
  {
    rule: `self.split('@')[0].matches('^[^\\\\s/:]{1,15}$') && !(self.split('@')[0] in ['.', '..'])`,
    messageExpression: `'"' + self + '" is not a network interface name'`,
  },
];

/** The cross-field rules of the spec. */
export const networkChaosValidations: CelValidation[] = [
  {
    rule: "self.action == 'partition' || !has(self.direction) || self.direction == 'to' || !has(self.externalTargets)",
    message: 'external targets cannot be used with `from` and `both` direction in netem action yet',
    fieldPath: '.direction',
  },
  {
    rule: "self.action == 'partition' || !has(self.direction) || self.direction == 'to' || has(self.target)",
    message: '`from` and `both` direction cannot be used when targets is empty in netem action',
    fieldPath: '.direction',
  },
  {
    rule: "self.action != 'bandwidth' || has(self.bandwidth)",
    message: 'Required value: action bandwidth needs bandwidth',
    fieldPath: '.bandwidth',
  },
  ...(['delay', 'loss', 'duplicate', 'corrupt'] as const).map(action => ({
    rule: `self.action != '${action}' || has(self.${action})`,
    message: `Required value: action ${action} needs ${action}`,
    fieldPath: `.${action}`,
  })),
  {
    rule: "self.action != 'netem' || has(self.delay) || has(self.loss) || has(self.duplicate) || has(self.corrupt) || has(self.rate)",
    message: 'invalid spec for netem action, at least one is required from delay, loss, duplicate, corrupt',
    fieldPath: '.action',
  },
  ...(['delay', 'loss', 'duplicate', 'corrupt', 'rate'] as const).map(block => ({
    rule: `!has(self.${block}) || !(self.action in ['partition', 'bandwidth'])`,
    messageExpression: `'action ' + self.action + ' does not use ${block}: remove it'`,
    fieldPath: `.${block}`,
  })),
  {
    rule: "!has(self.bandwidth) || self.action == 'bandwidth'",
    messageExpression: "'action ' + self.action + ' does not use bandwidth: remove it'",
    fieldPath: '.bandwidth',
  },
  {
    rule: '!has(self.targetDevice) || has(self.target)',
    message: 'targetDevice is used only with target: remove it',
    fieldPath: '.targetDevice',
  },
  {
    rule: "!has(self.remoteCluster) || self.remoteCluster == ''",
    message: 'remote clusters are not supported by Chaosplane: remove it',
    fieldPath: '.remoteCluster',
  },
];
