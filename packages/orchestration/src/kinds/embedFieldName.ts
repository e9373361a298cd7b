// SPDX-License-Identifier: Apache-2.0
// The JSON field a chaos kind's spec takes inside a Schedule or a workflow template, by Chaos
// Mesh's rule (cmd/chaos-builder's lowercaseCamelCase): a kind containing "Chaos" lower-cases
// everything before the first "Chaos" and keeps the rest (PodChaos → podChaos, IOChaos →
// ioChaos, PhysicalMachineChaos → physicalmachineChaos); other kinds are lower camel case.
// Plugin kinds get theirs by the same rule (SignalChaos → signalChaos).

/** The embedded-spec field name of `kind`. */
export function embedFieldName(kind: string): string {
  const at = kind.indexOf('Chaos');
  if (at >= 0) return kind.slice(0, at).toLowerCase() + kind.slice(at);
  return lowerCamel(kind);
}

/** strcase.ToLowerCamel for an UpperCamelCase identifier: the leading capitals lower-cased as one word. */
function lowerCamel(name: string): string {
  const leading = /^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]/.exec(name)?.[0] ?? '';
  return leading.toLowerCase() + name.slice(leading.length);
}
