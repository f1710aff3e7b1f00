#!/usr/bin/env python
"""`make demo`: start the simulator with the three demo meetings, run the
event-day runbooks against it (start, status, stop, status), and stop it.

Run from the repository root after `make collection` (make demo does both).
"""
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
INVENTORY = os.path.join(ROOT, 'tests', 'demo', 'inventory.yml')
SIMULATOR = os.path.join(ROOT, 'tests', 'simulator', 'run.py')
MEETINGS = os.path.join(ROOT, 'tests', 'simulator', 'demo_meetings.yml')
STEPS = [
    ('event_start', 'Start the event: activate, record, stream, broadcast the keynote speaker'),
    ('event_status', 'Status of every meeting'),
    ('event_stop', 'Stop the event: cancel the broadcast, stop the stream and the recording'),
    ('event_status', 'Status of every meeting'),
]


def banner(text):
    print('\n' + '=' * 78 + '\n== ' + text + '\n' + '=' * 78, flush=True)


def start_simulator():
    process = subprocess.Popen([sys.executable, SIMULATOR, '--meetings', MEETINGS, '--port', '0',
                                '--delay', '0.02'],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if 'listening on ' not in line:
        process.kill()
        sys.exit('the simulator did not start: %r' % line)
    return process, line.rsplit(' ', 1)[1]


def main():
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_DISPLAY_SKIPPED_HOSTS='false',
               ANSIBLE_COLLECTIONS_PATH=os.environ.get('ANSIBLE_COLLECTIONS_PATH',
                                                       os.path.join(ROOT, '.build', 'collections')))
    simulator, url = start_simulator()
    banner('Simulator of Huawei Cloud Meeting listening on %s (3 demo meetings)' % url)
    failed = False
    try:
        for playbook, title in STEPS:
            banner(title + ': ansible-playbook hwcloud.meeting.%s -i tests/demo/inventory.yml -f 3' % playbook)
            completed = subprocess.run([os.path.join(BIN, 'ansible-playbook'), 'hwcloud.meeting.' + playbook,
                                        '-i', INVENTORY, '-f', '3', '-e', 'meeting_api_url=' + url],
                                       env=env, cwd=ROOT, check=False)
            if completed.returncode != 0:
                failed = True
                break
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=10)
    banner('Demo %s; the simulator stopped (exit code %s)' % ('FAILED' if failed else 'done', simulator.returncode))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
