# Every output that README.md and docs/ quote is what the product prints.
#
# A quoted output is a fenced block with a marker on the line before it:
#
#     <!-- output: demo -->
#     ```
#     ok: [product_keynote] => {
#     ```
#
# naming the source it comes from: a run of the product that a test of
# `make test` made and kept in .build/outputs/<source>/ (conftest.keep_output
# of tests/integration). Each line of the block must be in that output (white
# space folded; `...` stands for any text within a line, and a line that is
# only `...` for lines left out). A block that looks like output (a task
# result, a warning, a recap, a sentence of a module, the simulator's or
# ansible-rulebook's lines) and has no marker fails: it could drift unseen.
# `make test` runs this after the suites that keep the outputs.
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUTS = os.path.join(ROOT, '.build', 'outputs')
MARK = re.compile(r'^<!-- output: ([\w-]+) -->$')
FENCE = re.compile(r'^\s*```')
LOOKS_LIKE_OUTPUT = re.compile(r'^\s*(ok: \[|changed: \[|fatal: \[|failed: \[|skipping: \[|\[WARNING\]|\[ERROR\]|'
                               r'TASK \[|PLAY RECAP|PLAY \[|.*"msg": "|'
                               # the modules' own sentences, quoted without Ansible around them
                               r'Could not |Cannot |Invalid options for |Meeting \d+ |'
                               r'(Recording|Live broadcast) of meeting |Broadcast (of|in) |'
                               r'Failed to import the required Python library|'
                               # the simulator, ansible-inventory and ansible-rulebook
                               r'hwmeeting-sim |@all:|\*\* .* \[debug\])')


def documents():
    return ['README.md'] + sorted(os.path.relpath(path, ROOT) for path in
                                  glob.glob(os.path.join(ROOT, 'docs', '**', '*.md'), recursive=True))


def blocks():
    """(document, line, source or None, lines) of every fenced block."""
    found = []
    for document in documents():
        with open(os.path.join(ROOT, document)) as handle:
            lines = handle.read().split('\n')
        inside, start, body = False, None, []
        for number, line in enumerate(lines):
            if FENCE.match(line):
                if not inside:
                    inside, start, body = True, number, []
                    continue
                inside = False
                mark = MARK.match(lines[start - 1].strip()) if start else None
                found.append((document, start + 1, mark.group(1) if mark else None, body))
            elif inside:
                body.append(line)
    return found


QUOTED = [block for block in blocks() if block[2]]


def fold(text):
    return ' '.join(text.split())


def output_of(source):
    files = sorted(glob.glob(os.path.join(OUTPUTS, source, '*.txt')))
    assert files, ('no output of %r was kept in %s: run the integration tests first (make test runs them before '
                   'this)' % (source, OUTPUTS))
    text = []
    for path in files:
        with open(path) as handle:
            text.append(handle.read())
    return '\n'.join(fold(line) for line in '\n'.join(text).split('\n'))


def pattern(line):
    return re.compile('.*'.join(re.escape(part) for part in fold(line).split('...')))


def test_there_are_quoted_outputs():
    assert len(QUOTED) >= 5 and {source for _doc, _line, source, _body in QUOTED} >= {'demo'}


@pytest.mark.parametrize('document, line, source, body', QUOTED,
                         ids=['%s:%d' % (document, line) for document, line, _source, _body in QUOTED])
def test_a_quoted_output_is_what_the_product_prints(document, line, source, body):
    output = output_of(source)
    wanted = [text for text in body if text.strip() and text.strip() != '...']
    assert wanted, '%s:%d quotes nothing' % (document, line)
    missing = [text for text in wanted if not pattern(text).search(output)]
    assert not missing, ('%s:%d quotes lines that the %s output does not hold:\n%s'
                         % (document, line, source, '\n'.join(missing)))


def test_every_quoted_output_names_its_source():
    unmarked = ['%s:%d' % (document, line) for document, line, source, body in blocks()
                if source is None and any(LOOKS_LIKE_OUTPUT.match(text) for text in body)]
    assert not unmarked, ('these blocks look like output of the product but have no <!-- output: SOURCE --> '
                          'marker: %s' % ', '.join(unmarked))
