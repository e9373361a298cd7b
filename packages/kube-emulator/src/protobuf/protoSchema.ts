// SPDX-License-Identifier: Apache-2.0
/**
 * The Kubernetes API types as protobuf messages (the `generated.proto` files of k8s.io/api and
 * k8s.io/apimachinery vendored in `proto/`, parsed by protobufjs), with the facts of the Go
 * structs behind them that the .proto files leave out (`proto/goFields.json`: Go type, pointer,
 * omitempty, inlined). Protobuf request bodies are decoded with them, and decoding errors
 * name Go structs and types from them. Loaded on first use: parsing takes a moment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** What the Go struct says about one field of a message. */
export interface GoField {
  /** As Go's reflection prints it: `int32`, `*int64`, `[]v1.Container`, `v1.RestartPolicy`. */
  goType: string;
  /** A pointer: present on the wire only when set, so a zero value there is meant. */
  pointer: boolean;
  /** `omitempty`: a zero value is absent from the JSON form. */
  omitempty: boolean;
  /** Inlined: the message's fields are the parent's in JSON (`Volume.volumeSource`). */
  inline: boolean;
}

/** The loaded types. */
export interface ProtoSchema {
  /** A message by its full name (`k8s.io.api.core.v1.Pod`), if vendored. */
  message(fullName: string): protobuf.Type | undefined;
  /** The message of a kind in a group and version (`DeleteOptions` in any), if vendored. */
  kindMessage(group: string, version: string, kind: string): protobuf.Type | undefined;
  /** The Go facts of a field of a message. */
  goField(message: protobuf.Type, field: string): GoField | undefined;
}

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

const API_GROUPS: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  autoscaling: 'autoscaling',
  'rbac.authorization.k8s.io': 'rbac',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  'events.k8s.io': 'events',
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Message names of Go structs, keyed by proto full name: field name to `type,flag,...`. */
type GoFieldsFile = { messages: Record<string, Record<string, string>> };

function parseGoField(spec: string): GoField {
  const [goType = '', ...flags] = spec.split(',');
  return {
    goType,
    pointer: flags.includes('pointer'),
    omitempty: flags.includes('omitempty'),
    inline: flags.includes('inline'),
  };
}

function load(): ProtoSchema {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync(
    Object.values(API_GROUPS).map(g => `k8s.io/api/${g}/v1/generated.proto`),
    { keepCase: true },
  );
  root.resolveAll();
  const goFields = (JSON.parse(readFileSync(path.join(PROTO_DIR, 'goFields.json'), 'utf8')) as GoFieldsFile)
    .messages;
  const message = (fullName: string): protobuf.Type | undefined => {
    const found = root.lookup(fullName);
    return found instanceof protobuf.Type ? found : undefined;
  };
  return {
    message,
    kindMessage(group, version, kind) {
      if (kind === 'DeleteOptions') return message(`${META}.DeleteOptions`);
      const pkg = API_GROUPS[group];
      return pkg === undefined ? undefined : message(`k8s.io.api.${pkg}.${version}.${kind}`);
    },
    goField(type, field) {
      const spec = goFields[type.fullName.replace(/^\./, '')]?.[field];
      return spec === undefined ? undefined : parseGoField(spec);
    },
  };
}

let loaded: ProtoSchema | undefined;

/** The vendored Kubernetes protobuf types (parsed on the first call). */
export function protoSchema(): ProtoSchema {
  loaded ??= load();
  return loaded;
}
