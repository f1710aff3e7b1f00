"""Run the event guard rulebook (hwcloud.meeting.event_guard) with a real
ansible-rulebook against a simulator: shared by tests/eda/test_rulebook.py
and `make demo` (tests/demo/run_demo.py).

ansible-rulebook lives in .build/eda-venv (`make eda-venv`); it runs the
rulebook of the collection as `make collection` installed it
(.build/collections), on 127.0.0.1 only.
"""
import glob
import os
import subprocess
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EDA_BIN = os.path.join(ROOT, '.build', 'eda-venv', 'bin')
RULEBOOK_COMMAND = os.path.join(EDA_BIN, 'ansible-rulebook')
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
RULEBOOK = 'hwcloud.meeting.event_guard'


def java_home():
    """JAVA_HOME, or a Java 17 JDK under /usr/lib/jvm (ansible-rulebook's
    rule engine, Drools, runs in the JVM)."""
    if os.environ.get('JAVA_HOME'):
        return os.environ['JAVA_HOME']
    for candidate in sorted(glob.glob('/usr/lib/jvm/*17*')):
        if os.path.exists(os.path.join(candidate, 'bin', 'java')):
            return candidate
    return None


def missing():
    """Why the guard cannot run here, or None."""
    if not os.path.exists(RULEBOOK_COMMAND):
        return '%s is missing: run `make eda-venv`' % RULEBOOK_COMMAND
    if not os.path.isdir(os.path.join(COLLECTIONS, 'ansible_collections', 'hwcloud', 'meeting')):
        return 'the collection is not installed in %s: run `make collection`' % COLLECTIONS
    if java_home() is None:
        return 'no Java 17 found: set JAVA_HOME'
    return None


class GuardRun(object):
    """One ansible-rulebook process running the event guard.

    ``meetings``: the rulebook's guarded_meetings; ``environment``: what
    the event source and the modules read (HWMEETING_*). Its output (stdout
    and stderr, merged) is collected line by line, and echoed with ``echo``.
    """

    def __init__(self, workdir, meetings, keynote_speakers, environment, echo=False, verbose=False):
        self.workdir = workdir
        self.meetings = meetings
        self.keynote_speakers = keynote_speakers
        self.environment = environment
        self.echo = echo
        self.verbose = verbose
        self.process = None
        self._lines = []
        self._lock = threading.Lock()
        self._reader = None

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        variables = os.path.join(self.workdir, 'guard_vars.yml')
        with open(variables, 'w') as handle:
            yaml.safe_dump({'guarded_meetings': self.meetings, 'keynote_speakers': self.keynote_speakers}, handle)
        os.chmod(variables, 0o600)
        inventory = os.path.join(self.workdir, 'guard_inventory.yml')
        with open(inventory, 'w') as handle:
            # The modules run on the controller, with the Python that has
            # their requirements (requests, websocket-client).
            yaml.safe_dump({'all': {'hosts': {'localhost': {
                'ansible_connection': 'local',
                'ansible_python_interpreter': os.path.join(EDA_BIN, 'python')}}}}, handle)
        env = dict((key, value) for key, value in os.environ.items()
                   if not key.startswith('HWMEETING_') and key not in ('PYTHONPATH', 'VIRTUAL_ENV'))
        # The modules' token cache stays in this run's directory.
        env['HWMEETING_TOKEN_CACHE_DIR'] = os.path.join(self.workdir, 'token-cache')
        env.update(self.environment)
        env.update({
            'PATH': EDA_BIN + os.pathsep + env.get('PATH', '/usr/bin:/bin'),
            'JAVA_HOME': java_home() or '',
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'ansible-tmp'),
            'HOME': env.get('HOME') or self.workdir,
        })
        command = [RULEBOOK_COMMAND, '--rulebook', RULEBOOK, '--inventory', inventory, '--vars', variables]
        if self.verbose:
            command.append('-v')
        self.process = subprocess.Popen(command, cwd=self.workdir, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line)
            if self.echo:
                print(line, end='', flush=True)

    @property
    def output(self):
        with self._lock:
            return ''.join(self._lines)

    def wait_for(self, predicate, timeout, what):
        """Poll ``predicate()`` until true; AssertionError (with the output
        so far) after ``timeout`` seconds or when ansible-rulebook exits."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError('ansible-rulebook exited (%s) before %s:\n%s'
                                     % (self.process.returncode, what, self.output))
            if time.monotonic() > deadline:
                raise AssertionError('no %s within %s s; ansible-rulebook said:\n%s' % (what, timeout, self.output))
            time.sleep(0.2)

    def wait_for_text(self, text, timeout):
        self.wait_for(lambda: text in self.output, timeout, repr(text))

    def wait(self, timeout):
        """The exit code, once ansible-rulebook exits; AssertionError when it
        does not within ``timeout`` seconds (it is then stopped)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError('ansible-rulebook did not exit within %s s:\n%s' % (timeout, self.output))
        self._reader.join(5)
        return code

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        if self._reader is not None:
            self._reader.join(5)


if __name__ == '__main__':
    # `python tests/eda/guard.py --java`: exit 0 and print its home when a
    # Java 17 is here (make demo asks before it installs ansible-rulebook).
    import sys
    if sys.argv[1:] == ['--java']:
        HOME = java_home()
        print(HOME or 'no Java 17')
        sys.exit(0 if HOME else 1)
    sys.exit('usage: python tests/eda/guard.py --java')
