"""Mutation testing of the collection's core files, by sampling (`make mutation`).

Neither mutmut 3 nor cosmic-ray fits this layout: the tests import the
collection as ``ansible_collections.hwcloud.meeting`` from the copy `make
collection` installed (and run it through ansible-inventory and runpy), which
mutmut 3's trampolines in a ``mutants/`` copy of the source tree never reach;
cosmic-ray mutates in place but runs every mutant of every operator, thousands
here at seconds each. So this script samples:

- It copies the work tree (the files git knows, and untracked ones it does not
  ignore) and the installed collection into a scratch tree of its own under
  .build/mutation/ (removed at the end), so a run neither touches nor sees the
  developer's .build/collections.
- It lists every mutant of the core files (FILES) with seven operators, on
  the syntax tree: a comparison flipped (``<`` to ``>=``, ``==`` to ``!=``,
  ``in`` to ``not in``, ``is`` to ``is not``), a boundary moved (``<=`` to
  ``<``, ``>=`` to ``>``, ``<`` to ``<=``, ``>`` to ``>=``), a condition
  negated (of ``if``, ``while``, ``x if c else y`` and comprehensions),
  ``and`` and ``or`` swapped (each ``a and b`` made ``a or b``, and back), a
  constant changed (a number, a bool, or a string without white space, so
  keys, codes and paths but not messages, docstrings or documentation), a
  ``return x`` made ``return None``, a call statement deleted; never inside
  ``if __name__ == '__main__'``.
- It draws ``--sample`` of them at random (``--seed``), and for each one writes
  it into the scratch copy, runs the fast tests that cover that file (TESTS,
  stopping at the first failure) and restores the file. A mutant is killed
  when the tests fail, survived when they pass, and hung when a test ran past
  ``--test-timeout`` (pytest-timeout) or the whole run past its own ceiling:
  a hang is a failure to kill.
- It prints killed/survived/hung per file and overall, and each survivor and
  hang, and with ``--json`` writes them to a file.

``--shard 1/2`` and ``--shard 2/2`` split one sample between two runs at
once (each with ``--json``); ``--report`` prints their table together.
``--list FILE`` prints the mutants of one file; ``--only FILE:ID[,ID...]``
runs those mutants alone (``--tests`` to choose the tests), which is how a
new test is shown to kill the mutant it was written for.
"""
from __future__ import print_function

import argparse
import ast
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = os.path.join('ansible_collections', 'hwcloud', 'meeting')
INSTALLED = os.path.join(ROOT, '.build', 'collections')
SCRATCH = os.path.join(ROOT, '.build', 'mutation')

UNIT = 'tests/unit'
MODULE_UTILS = 'tests/unit/plugins/module_utils/'
# The core files, and the fast tests that cover each, the likeliest to fail first.
TESTS = collections.OrderedDict([
    ('plugins/module_utils/client.py', [MODULE_UTILS + 'test_client.py', MODULE_UTILS + 'test_client_pacing.py',
                                        MODULE_UTILS + 'test_token_cache.py', UNIT]),
    ('plugins/module_utils/auth.py', [MODULE_UTILS + 'test_client.py', MODULE_UTILS + 'test_token_cache.py',
                                      MODULE_UTILS + 'test_client_pacing.py', MODULE_UTILS + 'test_push.py', UNIT]),
    ('plugins/module_utils/errors.py', [MODULE_UTILS + 'test_client.py', UNIT]),
    ('plugins/module_utils/control.py', ['tests/unit/plugins/modules', UNIT]),
    ('plugins/module_utils/push.py', [MODULE_UTILS + 'test_push.py', 'tests/unit/plugins/modules', UNIT]),
    ('plugins/module_utils/base.py', [MODULE_UTILS + 'test_base.py', 'tests/unit/plugins/modules', UNIT]),
    ('plugins/module_utils/token_cache.py', [MODULE_UTILS + 'test_token_cache.py', UNIT]),
    ('plugins/module_utils/realtime.py', [MODULE_UTILS + 'test_realtime.py', UNIT]),
    ('plugins/module_utils/ratelimit.py', [MODULE_UTILS + 'test_ratelimit.py', UNIT]),
    ('plugins/module_utils/options.py', [MODULE_UTILS + 'test_options.py', UNIT]),
    ('plugins/inventory/meetings.py', ['tests/unit/plugins/inventory', 'tests/integration/test_inventory.py']),
    ('extensions/eda/plugins/event_source/meeting_events.py', ['tests/eda/test_watcher_units.py',
                                                               'tests/eda/test_meeting_events.py']),
])
FILES = list(TESTS)

FLIPPED = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SYMBOL = {ast.Lt: '<', ast.GtE: '>=', ast.LtE: '<=', ast.Gt: '>', ast.Eq: '==', ast.NotEq: '!=',
          ast.In: 'in', ast.NotIn: 'not in', ast.Is: 'is', ast.IsNot: 'is not'}
# The boundary of a comparison moved: equality now counts on the other side.
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
TIMEOUT_MARK = re.compile(r'Timeout \(>[0-9.]+s\) from pytest-timeout|\+{5,} Timeout \+{5,}')


class Mutant(object):
    def __init__(self, path, start, end, replacement, line, kind, words):
        self.path = path            # relative to the collection's root
        self.start = start          # byte offsets in the file
        self.end = end
        self.replacement = replacement
        self.line = line
        self.kind = kind
        self.words = ' '.join(words.split())[:160]
        self.ident = None

    def apply(self, source):
        return source[:self.start] + self.replacement.encode('utf-8') + source[self.end:]

    def __str__(self):
        return '%s:%s #%s %s: %s' % (self.path, self.line, self.ident, self.kind, self.words)


class _Finder(ast.NodeVisitor):
    """Every mutant of one file's syntax tree."""

    def __init__(self, path, source):
        self.path = path
        self.source = source
        self.lines = [0]
        for line in source.splitlines(True):
            self.lines.append(self.lines[-1] + len(line))
        self.mutants = []
        self._docstrings = set()

    def _offset(self, line, column):
        return self.lines[line - 1] + column

    def _segment(self, node):
        return self.source[self._offset(node.lineno, node.col_offset):
                           self._offset(node.end_lineno, node.end_col_offset)].decode('utf-8')

    def _add(self, node, replacement, kind, words):
        self.mutants.append(Mutant(self.path, self._offset(node.lineno, node.col_offset),
                                   self._offset(node.end_lineno, node.end_col_offset), replacement,
                                   node.lineno, kind, words))

    # --- what is left alone ---------------------------------------------------

    def visit_Module(self, node):
        self._note_docstring(node)
        for statement in node.body:
            if self._is_main_block(statement) or self._is_documentation(statement):
                continue
            self.visit(statement)

    @staticmethod
    def _is_main_block(statement):
        return (isinstance(statement, ast.If) and isinstance(statement.test, ast.Compare)
                and isinstance(statement.test.left, ast.Name) and statement.test.left.id == '__name__')

    @staticmethod
    def _is_documentation(statement):
        return (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id in ('DOCUMENTATION', 'EXAMPLES', 'RETURN', '__metaclass__'))

    def _note_docstring(self, node):
        body = getattr(node, 'body', None)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            self._docstrings.add(id(body[0].value))

    def visit_FunctionDef(self, node):
        self._note_docstring(node)
        for child in node.body:
            self.visit(child)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._note_docstring(node)
        for child in node.body:
            self.visit(child)

    def visit_JoinedStr(self, node):
        pass  # f-strings: not mutated

    def visit_ImportFrom(self, node):
        pass

    # --- the operators ------------------------------------------------------------

    def visit_Compare(self, node):
        for index, operator in enumerate(node.ops):
            flipped = FLIPPED[type(operator)]
            ops = list(node.ops)
            ops[index] = flipped()
            mutated = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
            self._add(node, '(%s)' % ast.unparse(mutated), 'comparison',
                      '%s -> %s in %s' % (SYMBOL[type(operator)], SYMBOL[flipped], self._segment(node)))
            moved = BOUNDARY.get(type(operator))
            if moved is not None:
                ops = list(node.ops)
                ops[index] = moved()
                mutated = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
                self._add(node, '(%s)' % ast.unparse(mutated), 'boundary',
                          '%s -> %s in %s' % (SYMBOL[type(operator)], SYMBOL[moved], self._segment(node)))
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        swapped, words = (ast.Or(), 'and -> or') if isinstance(node.op, ast.And) else (ast.And(), 'or -> and')
        mutated = ast.BoolOp(op=swapped, values=node.values)
        self._add(node, '(%s)' % ast.unparse(mutated), 'boolean', '%s in %s' % (words, self._segment(node)))
        self.generic_visit(node)

    def _negate(self, test):
        self._add(test, '(not (%s))' % self._segment(test), 'negation', 'not (%s)' % self._segment(test))

    def visit_If(self, node):
        self._negate(node.test)
        self.generic_visit(node)

    def visit_While(self, node):
        self._negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node):
        self._negate(node.test)
        self.generic_visit(node)

    def visit_comprehension(self, node):
        for test in node.ifs:
            self._negate(test)
        self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        if id(node) in self._docstrings:
            return
        if isinstance(value, bool):
            replacement = repr(not value)
        elif isinstance(value, int):
            replacement = repr({0: 1, 1: 0}.get(value, value + 1))
        elif isinstance(value, float):
            replacement = repr(value + 1.0)
        elif isinstance(value, str) and value and not any(character.isspace() for character in value):
            replacement = repr(value + '_x')
        elif isinstance(value, str) and value == '':
            replacement = repr('x')
        else:
            return
        self._add(node, replacement, 'constant', '%s -> %s' % (self._segment(node), replacement))

    def visit_Return(self, node):
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node, 'return None', 'return', 'return None instead of %s' % self._segment(node.value))
        self.generic_visit(node)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a bare string
        if isinstance(node.value, ast.Call):
            self._add(node, 'pass', 'call', 'deleted %s' % ' '.join(self._segment(node).split())[:100])
        self.generic_visit(node)


def mutants_of(path, source):
    finder = _Finder(path, source)
    finder.visit(ast.parse(source))
    found = []
    for mutant in sorted(finder.mutants, key=lambda item: (item.start, item.kind, item.words)):
        try:
            ast.parse(mutant.apply(source))
        except SyntaxError:
            continue
        mutant.ident = len(found)
        found.append(mutant)
    return found


# --- the scratch tree ---------------------------------------------------------------

def prepare_scratch():
    """A copy of the work tree and of the installed collection, and the
    environment the tests run in there."""
    os.makedirs(SCRATCH, exist_ok=True)
    tree = tempfile.mkdtemp(prefix='tree-', dir=SCRATCH)  # one per run: runs may overlap
    listed = subprocess.check_output(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
                                     cwd=ROOT).decode('utf-8').split('\0')
    for name in listed:
        source = os.path.join(ROOT, name)
        if not name or not os.path.isfile(source) or name.startswith('.build/'):
            continue
        destination = os.path.join(tree, name)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(source, destination)
    if not os.path.isdir(os.path.join(INSTALLED, COLLECTION)):
        sys.exit('%s is not installed: run `make collection` first' % os.path.join(INSTALLED, COLLECTION))
    collections_copy = os.path.join(tree, '.build', 'collections')
    shutil.copytree(INSTALLED, collections_copy, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    for path in FILES:
        with open(os.path.join(ROOT, path), 'rb') as handle:
            in_tree = handle.read()
        with open(os.path.join(collections_copy, COLLECTION, path), 'rb') as handle:
            if handle.read() != in_tree:
                sys.exit('the installed %s is not the one in the work tree: run `make collection` first' % path)
    env = dict(os.environ)
    env.update(PYTHONPATH=collections_copy, ANSIBLE_COLLECTIONS_PATH=collections_copy, PYTHONDONTWRITEBYTECODE='1',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    return tree, os.path.join(collections_copy, COLLECTION), env


def test_files(tree, tests):
    """``tests`` as test files, in their order, each once: pytest 8 collects
    only the file when given a file and a directory that holds it."""
    files = []
    for entry in tests:
        path = os.path.join(tree, entry.split('::')[0])
        if '::' in entry or not os.path.isdir(path):
            found = [entry]
        else:
            found = sorted(os.path.relpath(os.path.join(folder, name), tree)
                           for folder, _dirs, names in os.walk(path) for name in names
                           if name.startswith('test_') and name.endswith('.py'))
        files.extend(name for name in found if name not in files)
    return files


def run_tests(tree, env, tests, test_timeout, ceiling):
    """('passed' | 'failed' | 'hung', seconds, output)."""
    command = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-x', '-q', '--no-header',
               '--timeout=%s' % test_timeout] + test_files(tree, tests)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output = process.communicate(timeout=ceiling)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0]
        return 'hung', time.monotonic() - started, output.decode('utf-8', 'replace')
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever the tests left running
        except OSError:
            pass
    output = output.decode('utf-8', 'replace')
    seconds = time.monotonic() - started
    if TIMEOUT_MARK.search(output):
        return 'hung', seconds, output
    if process.returncode == 0:
        return 'passed', seconds, output
    if process.returncode in (4, 5):  # usage error, no tests: the run itself is wrong
        raise SystemExit('pytest could not run %s (exit %s):\n%s'
                         % (' '.join(tests), process.returncode, output[-3000:]))
    return 'failed', seconds, output


def _first_failure(output):
    for line in output.splitlines():
        if line.startswith(('FAILED ', 'ERROR ')):
            return line[:200]
    return output.strip().splitlines()[-1][:200] if output.strip() else ''


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=1, help='the seed of the sample (default 1)')
    parser.add_argument('--sample', type=int, default=250, help='how many mutants to draw (default 250)')
    parser.add_argument('--files', nargs='+', default=FILES, metavar='FILE',
                        help='core files to mutate, relative to the collection root (default: all of them)')
    parser.add_argument('--list', metavar='FILE', help='print the mutants of FILE and exit')
    parser.add_argument('--only', metavar='FILE:ID[,ID...]', help='run these mutants of FILE, not a sample')
    parser.add_argument('--tests', nargs='+', metavar='TEST', help='the tests to run (default: those of the file)')
    parser.add_argument('--test-timeout', type=float, default=60.0,
                        help='seconds one test may take before the mutant counts as hung (default 60)')
    parser.add_argument('--json', metavar='PATH', help='write every result to PATH')
    parser.add_argument('--shard', metavar='I/N', default='1/1',
                        help='run only the I-th of N shares of the sample (runs in parallel; --report adds them up)')
    parser.add_argument('--report', nargs='+', metavar='JSON', help='print the table of the results of --json files')
    args = parser.parse_args()
    if args.report:
        results = []
        for path in args.report:
            with open(path) as handle:
                results.extend(json.load(handle)['results'])
        report(results, args.files)
        return 0

    def load(path):
        if path not in TESTS:
            parser.error('%s is not one of the core files: %s' % (path, ', '.join(FILES)))
        with open(os.path.join(ROOT, path), 'rb') as handle:
            source = handle.read()
        return source, mutants_of(path, source)

    if args.list:
        for mutant in load(args.list)[1]:
            print(mutant)
        return 0

    if args.only:
        path, idents = args.only.partition(':')[::2]
        everything = load(path)[1]
        chosen = [everything[int(ident)] for ident in idents.split(',') if ident]
        files = [path]
    else:
        files = args.files
        pool = []
        for path in files:
            pool.extend(load(path)[1])
        chosen = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
        chosen.sort(key=lambda item: (FILES.index(item.path), item.ident))
        print('%d mutants in %s; drawn: %d (seed %d)' % (len(pool), ', '.join(files), len(chosen), args.seed))
        share, shares = (int(number) for number in args.shard.split('/'))
        chosen = chosen[share - 1::shares]
        if shares > 1:
            print('shard %d of %d: %d mutants' % (share, shares, len(chosen)))

    tree, collection, env = prepare_scratch()
    try:
        return _run(args, chosen, files, tree, collection, env)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def _run(args, chosen, files, tree, collection, env):
    # Each file's tests pass unmutated, and how long they take sets the ceiling of a mutant's run.
    baseline, timed = {}, {}
    for path in sorted(set(mutant.path for mutant in chosen), key=FILES.index):
        tests = args.tests or TESTS[path]
        same = frozenset(test_files(tree, tests))  # most files share the unit tests, in another order
        if same not in timed:
            outcome, seconds, output = run_tests(tree, env, tests, args.test_timeout, 3600)
            if outcome != 'passed':
                sys.exit('the tests of %s do not pass unmutated (%s):\n%s' % (path, outcome, output[-3000:]))
            timed[same] = seconds
            print('baseline: %s passes in %.0f s (%s)' % (path, seconds, ' '.join(tests)))
            sys.stdout.flush()
        baseline[path] = timed[same]

    results = []
    for number, mutant in enumerate(chosen, 1):
        target = os.path.join(collection, mutant.path)
        with open(target, 'rb') as handle:
            original = handle.read()
        try:
            with open(target, 'wb') as handle:
                handle.write(mutant.apply(original))
            outcome, seconds, output = run_tests(tree, env, args.tests or TESTS[mutant.path], args.test_timeout,
                                                 3 * baseline[mutant.path] + args.test_timeout + 60)
        finally:
            with open(target, 'wb') as handle:
                handle.write(original)
        verdict = {'failed': 'killed', 'passed': 'survived', 'hung': 'hung'}[outcome]
        results.append(dict(file=mutant.path, id=mutant.ident, line=mutant.line, kind=mutant.kind,
                            mutation=mutant.words, verdict=verdict, seconds=round(seconds, 1),
                            by=_first_failure(output) if verdict != 'survived' else None))
        print('[%d/%d] %-8s %s (%.0f s)' % (number, len(chosen), verdict, mutant, seconds))
        if verdict == 'killed':
            print('         by %s' % results[-1]['by'])
        sys.stdout.flush()

    if args.json:
        with open(args.json, 'w') as handle:
            json.dump(dict(seed=args.seed, sample=args.sample, shard=args.shard, results=results), handle, indent=1)
    report(results, files)
    return 0


def report(results, files):
    """The table of killed, survived and hung per file and overall, and the
    survivors and hangs."""
    table = collections.OrderedDict((path, collections.Counter()) for path in files)
    for result in results:
        table[result['file']][result['verdict']] += 1
    print()
    print('%-56s %7s %7s %8s %5s %7s' % ('file', 'mutants', 'killed', 'survived', 'hung', 'killed%'))
    total = collections.Counter()
    for path, counts in table.items():
        count = sum(counts.values())
        if not count:
            continue
        total.update(counts)
        print('%-56s %7d %7d %8d %5d %6.1f%%' % (path, count, counts['killed'], counts['survived'], counts['hung'],
                                                 100.0 * counts['killed'] / count))
    count = sum(total.values())
    if count:
        print('%-56s %7d %7d %8d %5d %6.1f%%' % ('overall', count, total['killed'], total['survived'],
                                                 total['hung'], 100.0 * total['killed'] / count))
    for verdict in ('survived', 'hung'):
        listed = [result for result in results if result['verdict'] == verdict]
        if listed:
            print('\n%s:' % verdict)
            for result in listed:
                print('  %s:%s #%s %s: %s' % (result['file'], result['line'], result['id'], result['kind'],
                                              result['mutation']))


if __name__ == '__main__':
    sys.exit(main())
