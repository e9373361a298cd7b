// SPDX-License-Identifier: Apache-2.0
// The two files a process's cgroups are read from: /proc/PID/cgroup (which cgroup of each
// hierarchy it is in) and /proc/self/mountinfo (where this process sees each hierarchy mounted).

/** One line of /proc/PID/cgroup: `hierarchy-id:controllers:path`. */
export interface ProcCgroupLine {
  /** The hierarchy's id; 0 is the cgroup v2 (unified) hierarchy. */
  id: number;
  /** Its controllers (`cpu`, `cpuacct`), or a named hierarchy (`name=systemd`); none for v2. */
  controllers: string[];
  /** The cgroup's path, relative to the root of the reader's cgroup namespace. */
  path: string;
}

/** A cgroup file system mount, as /proc/self/mountinfo lists it. */
export interface CgroupMount {
  version: 1 | 2;
  /** Where it is mounted. */
  mountPoint: string;
  /** The cgroup of the hierarchy that is the mount's root (`/` unless a subtree is mounted). */
  root: string;
  /** v1: the controllers (and `name=` of a named hierarchy) in its super options. */
  controllers: string[];
}

/** Mount options of a cgroup v1 hierarchy that are not controllers. */
const NON_CONTROLLER_OPTIONS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode']);

/** Parses /proc/PID/cgroup; lines that are not `id:controllers:path` are skipped. */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const lines: ProcCgroupLine[] = [];
  for (const line of text.split('\n')) {
    // The path is everything after the second colon: it may itself contain colons.
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    lines.push({
      id: Number(match[1]),
      controllers: match[2] === '' ? [] : match[2]!.split(','),
      path: match[3]!,
    });
  }
  return lines;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Parses the cgroup mounts of a mountinfo file (`proc(5)`): `id parent major:minor root
 * mount-point options [optional fields…] - fstype source super-options`.
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6) continue;
    const fstype = fields[separator + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const superOptions = (fields[separator + 3] ?? '').split(',');
    mounts.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      mountPoint: unescapeMountField(fields[4]!),
      root: unescapeMountField(fields[3]!),
      controllers:
        fstype === 'cgroup2'
          ? []
          : superOptions.filter(o => !NON_CONTROLLER_OPTIONS.has(o) && !o.startsWith('release_agent=')),
    });
  }
  return mounts;
}
