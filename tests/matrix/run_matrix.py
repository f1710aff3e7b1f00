"""The version matrix (`make matrix`): for every ansible-core of the tested
range (tests/matrix/ansible-core-<version>.txt), in a virtual environment
of its own under .build/matrix/<version>/ installed from those exact pins,
run
  - sanity: `ansible-test sanity` of that ansible-core, on a copy of the
    collection as that version's ansible-galaxy installed it;
  - integration: a slice of tests/integration (the runbooks, call counts,
    faults, secrets), real ansible-playbook runs of that ansible-core
    against the simulator.
It prints a table of version x suite with pass counts and exits non-zero
if anything failed. The artifact is the one `make collection` built.

  python tests/matrix/run_matrix.py --artifact .build/dist/hwcloud-meeting-0.1.0.tar.gz
  python tests/matrix/run_matrix.py --artifact ... --versions 2.16 --suites integration
"""
import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from xml.etree import ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, '.build', 'matrix')
PYTHON = '%d.%d' % sys.version_info[:2]
SUITES = ('sanity', 'integration')

# The integration slice: pytest node ids under tests/integration, a few of
# each suite the issue names, each with real ansible-playbook runs. The
# parametrised cases of test_secrets run the way a module runs by default
# ("direct execution": inside the worker on ansible-core 2.19, a module
# process on the others). `make test` runs all of them on the newest version.
INTEGRATION = 'tests/integration/'
SLICE = [INTEGRATION + node for node in [
    # The event-day runbooks: start, start again, status, stop, stop again.
    'test_runbooks.py::test_event_start_status_stop',
    # HTTP calls per task, cold and warm token cache.
    'test_call_counts.py::test_calls_per_task[record change-cold]',
    'test_call_counts.py::test_calls_per_task[record no-op-warm]',
    'test_call_counts.py::test_calls_per_task[activate change-cold]',
    'test_call_counts.py::test_calls_per_task[info-cold]',
    # Faults survived or reported clearly.
    'test_faults.py::test_two_503s_on_the_write_then_success[meeting_record]',
    'test_faults.py::test_a_token_that_expires_mid_task_is_renewed[meeting_activate]',
    'test_faults.py::test_a_persistent_500_fails_with_status_and_request_id[meeting_info]',
    'test_faults.py::test_a_dropped_connection_on_the_write[meeting_live]',
    'test_faults.py::test_429_with_retry_after_on_the_read[meeting_broadcast]',
    'test_faults.py::test_proxy_answers_give_a_clear_message[meeting_record-html]',
    'test_faults.py::test_an_answer_slower_than_the_timeout[meeting_record]',
    # No secret printed, at -vvv.
    'test_secrets.py::test_failures_at_vvv[direct execution-wrong app key]',
    'test_secrets.py::test_failures_at_vvv[direct execution-wrong host password]',
    'test_secrets.py::test_a_proxy_page_and_a_warning_at_vvv[direct execution]',
]]
# What a version leaves out of the slice, and why.
LEFT_OUT = {}


def requirement_files():
    files = {}
    for path in glob.glob(os.path.join(HERE, 'ansible-core-*.txt')):
        version = re.search(r'ansible-core-([0-9.]+)\.txt$', path).group(1)
        files[version] = path
    return dict(sorted(files.items(), key=lambda item: tuple(int(part) for part in item[0].split('.'))))


class Version(object):
    """One ansible-core of the matrix and its directory .build/matrix/<version>."""

    def __init__(self, version, requirements, log):
        self.version = version
        self.requirements = requirements
        self.base = os.path.join(BUILD, version)
        self.venv = os.path.join(self.base, 'venv')
        self.bin = os.path.join(self.venv, 'bin')
        self.collections = os.path.join(self.base, 'collections')
        self.tree = os.path.join(self.base, 'ansible-test', 'ansible_collections', 'hwcloud', 'meeting')
        # ansible-test keeps its venvs and its pip bootstrap under
        # ~/.ansible/test, one path for every ansible-core: two versions
        # creating the same import venv at once crash pip (seen on a fresh
        # machine). Each version's ansible-test gets a home of its own.
        self.home = os.path.join(self.base, 'home')
        self.log = log

    def env(self, own_home=False):
        env = dict(os.environ)
        if own_home:
            env['HOME'] = self.home
        env.update({
            'PATH': self.bin + os.pathsep + env.get('PATH', ''),
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'PYTHONPATH': self.collections,
            'PYTHONDONTWRITEBYTECODE': '1',
            'ANSIBLE_NOCOLOR': '1',
            'VIRTUAL_ENV': self.venv,
        })
        env.pop('PYTHONHOME', None)
        return env

    def run(self, command, cwd=ROOT, own_home=False):
        """Run ``command``, its output to this version's log; return its exit
        code. ``own_home``: with HOME set to this version's own directory (for
        ansible-test, whose caches live in the home)."""
        with open(self.log, 'a') as log:
            log.write('\n$ %s%s\n' % ('HOME=%s ' % self.home if own_home else '', ' '.join(command)))
            log.flush()
            return subprocess.call(command, cwd=cwd, env=self.env(own_home), stdout=log, stderr=subprocess.STDOUT)

    def check(self, command, cwd=ROOT, own_home=False):
        rc = self.run(command, cwd=cwd, own_home=own_home)
        if rc != 0:
            raise RuntimeError('%s exited %s (see %s)' % (' '.join(command[:3]), rc, self.log))

    def prepare(self, artifact):
        """The venv from the pinned requirements (again only when they
        changed), the collection installed by this version's ansible-galaxy,
        and the tree ansible-test wants (.../ansible_collections/hwcloud/meeting)."""
        with open(self.requirements, 'rb') as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        stamp = os.path.join(self.venv, '.installed')
        if not os.path.exists(stamp) or open(stamp).read() != digest:
            shutil.rmtree(self.venv, ignore_errors=True)
            self.check([sys.executable, '-m', 'venv', self.venv])
            self.check([os.path.join(self.bin, 'pip'), 'install', '--quiet', '--disable-pip-version-check',
                        '-r', self.requirements])
            with open(stamp, 'w') as handle:
                handle.write(digest)
        shutil.rmtree(self.collections, ignore_errors=True)
        self.check([os.path.join(self.bin, 'ansible-galaxy'), 'collection', 'install', '--force',
                    '-p', self.collections, artifact])
        shutil.rmtree(os.path.dirname(os.path.dirname(os.path.dirname(self.tree))), ignore_errors=True)
        shutil.copytree(os.path.join(self.collections, 'ansible_collections', 'hwcloud', 'meeting'), self.tree,
                        symlinks=True)
        # the sanity ignore files stay out of the artifact (Galaxy warns of
        # any): ansible-test finds them in the tree, as `make sanity` puts them
        shutil.copytree(os.path.join(ROOT, 'tests', 'sanity'), os.path.join(self.tree, 'tests', 'sanity'),
                        dirs_exist_ok=True)
        self.check(['git', 'init', '--quiet'], cwd=self.tree)
        # ansible-test bootstraps pip in its venvs with a script it would
        # download; put ours where it looks first (as `make sanity` does).
        os.makedirs(self.home, exist_ok=True)
        self.check([os.path.join(self.bin, 'python'), os.path.join(ROOT, 'tests', 'utils', 'install_get_pip.py')],
                   own_home=True)

    def sanity(self):
        """ansible-test sanity of this version: (passed, failed, rc)."""
        start = os.path.getsize(self.log)
        rc = self.run([os.path.join(self.bin, 'ansible-test'), 'sanity', '--local', '--python', PYTHON],
                      cwd=self.tree, own_home=True)
        with open(self.log) as handle:
            handle.seek(start)
            output = handle.read()
        ran = set(re.findall(r'^Running sanity test "([^"]+)"', output, re.M))
        failed = set(re.findall(r'^ERROR: Found \d+ (\S+) issue', output, re.M))
        listed = re.search(r'^ERROR: The \d+ sanity test\(s\) listed below \(out of \d+\) failed.*\n((?:\S+\n)+)',
                           output, re.M)
        if listed:
            failed.update(listed.group(1).split())
        if rc != 0 and not failed:
            failed.add('ansible-test')
        return len(ran - failed), len(failed), rc

    def integration(self, workers):
        """The slice with pytest of this venv: (passed, failed, rc)."""
        report = os.path.join(self.base, 'integration.xml')
        if os.path.exists(report):
            os.remove(report)
        command = [os.path.join(self.bin, 'python'), '-m', 'pytest', '-p', 'no:cacheprovider', '-q',
                   '--junitxml', report]
        if workers > 1:
            command += ['-n', str(workers)]
        for node in LEFT_OUT.get(self.version, {}):
            command += ['--deselect', node]
        rc = self.run(command + SLICE)
        if not os.path.exists(report):
            return 0, 0, rc
        totals = dict(tests=0, failures=0, errors=0, skipped=0)
        for suite in ElementTree.parse(report).getroot().iter('testsuite'):
            for key in totals:
                totals[key] += int(suite.get(key, 0))
        failed = totals['failures'] + totals['errors'] + totals['skipped']
        return totals['tests'] - failed, failed, rc


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--artifact', required=True, help='the collection artifact `make collection` built')
    parser.add_argument('--versions', help='comma-separated ansible-core versions (default: every '
                        'tests/matrix/ansible-core-<version>.txt)')
    parser.add_argument('--suites', default=','.join(SUITES), help='comma-separated, of: %s' % ', '.join(SUITES))
    parser.add_argument('--jobs', type=int, default=2, help='versions run at the same time')
    parser.add_argument('--workers', type=int, default=1, help='pytest-xdist workers of each integration slice')
    args = parser.parse_args()

    files = requirement_files()
    versions = args.versions.split(',') if args.versions else list(files)
    suites = args.suites.split(',')
    unknown = [version for version in versions if version not in files] + [s for s in suites if s not in SUITES]
    if unknown:
        parser.error('unknown: %s' % ', '.join(unknown))
    os.makedirs(BUILD, exist_ok=True)
    # A copy: `make collection` may rebuild .build/dist while the matrix runs.
    artifact = os.path.join(BUILD, os.path.basename(args.artifact))
    shutil.copy(args.artifact, artifact)

    results = {}
    lock = threading.Semaphore(args.jobs)

    def run_version(version):
        with lock:
            log = os.path.join(BUILD, '%s.log' % version)
            open(log, 'w').close()
            matrix = Version(version, files[version], log)
            began = time.time()
            try:
                matrix.prepare(artifact)
            except Exception as error:  # a version that cannot be set up fails every suite
                for suite in suites:
                    results[version, suite] = (0, 1, 'setup: %s' % error, 0)
                print('[matrix] %s: set-up failed: %s' % (version, error), flush=True)
                return
            print('[matrix] %s: ready in %ds' % (version, time.time() - began), flush=True)
            for suite in suites:
                began = time.time()
                if suite == 'sanity':
                    passed, failed, rc = matrix.sanity()
                else:
                    passed, failed, rc = matrix.integration(args.workers)
                results[version, suite] = (passed, failed, rc, time.time() - began)
                print('[matrix] %s %s: %d passed, %d failed, rc %s, %ds (log %s)'
                      % (version, suite, passed, failed, rc, time.time() - began, os.path.relpath(log, ROOT)),
                      flush=True)

    began = time.time()
    threads = [threading.Thread(target=run_version, args=(version,)) for version in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    green = True
    rows = [('ansible-core', 'suite', 'passed', 'failed', 'rc', 'time', 'result')]
    for version in versions:
        for suite in suites:
            passed, failed, rc, seconds = results.get((version, suite), (0, 1, 'not run', 0))
            ok = rc == 0 and failed == 0 and passed > 0
            green = green and ok
            rows.append((version, suite, str(passed), str(failed), str(rc), '%ds' % seconds, 'ok' if ok else 'FAILED'))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    print()
    for number, row in enumerate(rows):
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if number == 0:
            print('  '.join('-' * width for width in widths))
    print('\nmatrix %s in %ds (python %s)' % ('green' if green else 'FAILED', time.time() - began, PYTHON))
    for version, nodes in LEFT_OUT.items():
        for node, reason in nodes.items():
            print('left out on %s: %s (%s)' % (version, node, reason))
    return 0 if green else 1


if __name__ == '__main__':
    sys.exit(main())
