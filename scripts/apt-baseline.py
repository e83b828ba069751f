#!/usr/bin/env python3
"""Writes a dpkg status file (for apt's Dir::State::status) and a `dpkg-query -W`
listing for the same set of packages, taken from an apt Packages index.

usage: scripts/apt-baseline.py PACKAGES STATUS_OUT LIST_OUT NAME=VERSION...

Used by the tests to give lading and apt-get the very same baseline.
"""
import re
import sys

# apt tells versions with one version string apart by a hash over these fields
# (debListParser::VersionHash): a status entry lacking one is "another"
# version of the same string, and apt would reinstall it.
KEEP = ('Version', 'Architecture', 'Multi-Arch', 'Essential', 'Priority', 'Installed-Size', 'Pre-Depends', 'Depends',
        'Recommends', 'Suggests', 'Enhances', 'Provides', 'Conflicts', 'Breaks', 'Replaces')


def stanzas(path):
    fields, last = {}, None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line:
                if fields:
                    yield fields
                fields, last = {}, None
            elif line[0] in ' \t' and last:
                fields[last] += '\n' + line
            else:
                m = re.match(r'^([^:\s]+):\s?(.*)$', line)
                if m:
                    last = m.group(1)
                    fields[last] = m.group(2)
    if fields:
        yield fields


def main():
    packages, status_out, list_out = sys.argv[1:4]
    want = dict(arg.split('=', 1) for arg in sys.argv[4:])
    found = {}
    for st in stanzas(packages):
        name = st.get('Package')
        if name in want and st.get('Version') == want[name] and name not in found:
            found[name] = st
    missing = sorted(set(want) - set(found))
    if missing:
        sys.exit('apt-baseline: not in %s: %s' % (packages, ' '.join(missing)))
    with open(status_out, 'w') as status, open(list_out, 'w') as listing:
        for name in sorted(found):
            st = found[name]
            status.write('Package: %s\nStatus: install ok installed\n' % name)
            for key in KEEP:
                if key in st:
                    status.write('%s: %s\n' % (key, st[key]))
            status.write('\n')
            listing.write('%s\t%s\n' % (name, st['Version']))


main()
