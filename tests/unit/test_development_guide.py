# The map of who imports whom in docs/development.md is the code's: this test
# reads the imports of plugins/ and extensions/ (ast) and compares them with
# the guide's machine-readable block, so the map cannot drift again.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, 'docs', 'development.md')
PREFIX = 'ansible_collections.hwcloud.meeting.plugins.'
# The libraries the guide says where they are used.
LIBRARIES = ('requests', 'urllib3', 'websocket')
BLOCK = re.compile(r'```text\n# imports: (?P<body>.*?)```', re.DOTALL)


def _target(name):
    """'ansible_collections.hwcloud.meeting.plugins.module_utils.client' -> 'client';
    other plugin directories keep theirs ('plugin_utils/direct_execution')."""
    name = name[len(PREFIX):].replace('.', '/')
    return name[len('module_utils/'):] if name.startswith('module_utils/') else name


def imports_of(path):
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PREFIX + 'module_utils':
                found.update(alias.name for alias in node.names)
            elif node.module.startswith(PREFIX):
                found.add(_target(node.module))
            elif node.module.split('.')[0] in LIBRARIES:
                found.add('(%s)' % node.module.split('.')[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] in LIBRARIES:
                    found.add('(%s)' % alias.name.split('.')[0])
                elif alias.name.startswith(PREFIX):
                    found.add(_target(alias.name))
    return found


def code_map():
    result = {}
    for top in ('plugins', 'extensions'):
        for directory, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith('.py') and name != '__init__.py':
                    path = os.path.join(directory, name)
                    result[os.path.relpath(path, ROOT)] = imports_of(path)
    return result


def guide_map(text=None):
    if text is None:
        with open(GUIDE) as handle:
            text = handle.read()
    match = BLOCK.search(text)
    assert match, 'docs/development.md has no ```text block starting "# imports: "'
    result = {}
    for line in match.group('body').splitlines()[1:]:
        line = line.split('#')[0].strip()
        if not line:
            continue
        path, _colon, targets = line.partition(':')
        result[path.strip()] = set(target for target in targets.replace(',', ' ').split())
    return result


def test_the_guides_import_map_is_the_codes():
    code, guide = code_map(), guide_map()
    assert sorted(code) == sorted(guide), 'files the guide does not map, or maps but do not exist'
    drift = dict((path, {'code': sorted(code[path]), 'guide': sorted(guide[path])})
                 for path in code if code[path] != guide[path])
    assert not drift, drift


def test_the_layers_depend_one_way():
    """No cycle among module_utils: the guide's order is an order."""
    code = code_map()
    graph = dict((os.path.basename(path)[:-3], set(t for t in targets if '/' not in t and '(' not in t))
                 for path, targets in code.items() if path.startswith('plugins/module_utils/'))
    done, visiting = set(), set()

    def visit(name, trail):
        assert name not in visiting, 'an import cycle: %s' % ' -> '.join(trail + [name])
        if name in done:
            return
        visiting.add(name)
        for target in graph.get(name, ()):
            visit(target, trail + [name])
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, [])


def test_a_wrong_map_fails():
    """The comparison can fail: a guide that forgets an import, or adds one, does."""
    with open(GUIDE) as handle:
        text = handle.read()
    client = 'plugins/module_utils/client.py'
    wrong = guide_map(text.replace(client + ': ', client + ': push, ', 1))
    assert wrong[client] != code_map()[client] == guide_map()[client]
