#!/usr/bin/env python
"""`make demo`: start the simulator with the three demo meetings, show the
inventory the plugin hwcloud.meeting.meetings makes of them, run the
event-day runbooks against it (start, status, stop, status), then show the
event guard (ansible-rulebook, hwcloud.meeting.event_guard) healing a
recording that stopped, and stop the simulator.

The login goes in HWMEETING_* variables, as an AWX credential injects it; the
inventory file holds no meeting ID and no password.

Run from the repository root after `make collection` (make demo does both).
"""
import os
import signal
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
INVENTORY = os.path.join(ROOT, 'tests', 'demo', 'meetings.hwcloud_meeting.yml')
INVENTORY_SHOWN = 'tests/demo/meetings.hwcloud_meeting.yml'
# The simulator's fake App ID (tests/simulator/demo_meetings.yml): the demo's only credential.
CREDENTIAL = {'HWMEETING_APP_ID': 'demo-app-id', 'HWMEETING_APP_KEY': 'demo-app-key-not-secret',
              'HWMEETING_USER_ID': 'demo-user'}
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


def heal_demo(url):
    """The event guard heals one event: the keynote's recording stops, the
    rulebook starts it again; the meeting ends, the rulebook exits."""
    sys.path[:0] = [os.path.join(ROOT, 'tests', 'eda'), os.path.join(ROOT, 'tests', 'simulator')]
    from guard import GuardRun, java_home, missing  # pylint: disable=import-outside-toplevel
    from hwmeeting_sim import SimulatorAdmin  # pylint: disable=import-outside-toplevel
    problem = missing()
    if problem:
        if java_home() is None:
            banner('Skipped: the event guard (ansible-rulebook) needs Java 17, and there is none here '
                   '(set JAVA_HOME, or install a JDK 17 under /usr/lib/jvm)')
            return True
        print('The event guard cannot run: %s' % problem)
        return False
    with open(MEETINGS) as handle:
        keynote = yaml.safe_load(handle)['meetings'][0]
    admin = SimulatorAdmin(url)
    admin.set_meeting(keynote['id'], recording=True)
    banner('Event guard: ansible-rulebook --rulebook hwcloud.meeting.event_guard, guarding "%s" (%s), '
           'recording' % (keynote['subject'], keynote['id']))
    with tempfile.TemporaryDirectory(prefix='hwmeeting-guard-') as workdir:
        run = GuardRun(workdir, meetings=[{'conference_id': keynote['id'], 'host_password': keynote['host_password']}],
                       keynote_speakers=['Keynote Speaker'], environment={'HWMEETING_API_URL': url}, echo=True)
        run.start()
        try:
            run.wait_for_text('Guarding meeting %s' % keynote['id'], 120)
            banner('10:40, the recording stops (the simulator\'s admin interface stops it)')
            admin.set_meeting(keynote['id'], recording=False)
            run.wait_for(lambda: 'PLAY RECAP' in run.output and admin.meeting(keynote['id'])['recording'], 120,
                         'recording started again')
            banner('Healed: the rulebook started the recording of %s again (recording: %s)'
                   % (keynote['id'], admin.meeting(keynote['id'])['recording']))
            banner('The event ends: the meeting ends, the guard exits')
            admin.set_meeting(keynote['id'], state='Destroyed')
            code = run.wait(120)
        finally:
            run.stop()
    return code == 0


def main():
    # An inventory the plugin cannot make fails the demo instead of running on no hosts.
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_DISPLAY_SKIPPED_HOSTS='false',
               ANSIBLE_INVENTORY_UNPARSED_FAILED='true',
               ANSIBLE_COLLECTIONS_PATH=os.environ.get('ANSIBLE_COLLECTIONS_PATH',
                                                       os.path.join(ROOT, '.build', 'collections')),
               **CREDENTIAL)
    simulator, url = start_simulator()
    env['HWMEETING_API_URL'] = url
    banner('Simulator of Huawei Cloud Meeting listening on %s (3 demo meetings)' % url)
    failed = False
    try:
        banner('The inventory: ansible-inventory -i %s --graph' % INVENTORY_SHOWN)
        completed = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', INVENTORY, '--graph'],
                                   env=env, cwd=ROOT, check=False)
        failed = completed.returncode != 0
        for playbook, title in STEPS if not failed else ():
            banner(title + ': ansible-playbook hwcloud.meeting.%s -i %s -f 3' % (playbook, INVENTORY_SHOWN))
            completed = subprocess.run([os.path.join(BIN, 'ansible-playbook'), 'hwcloud.meeting.' + playbook,
                                        '-i', INVENTORY, '-f', '3'],
                                       env=env, cwd=ROOT, check=False)
            if completed.returncode != 0:
                failed = True
                break
        if not failed:
            failed = not heal_demo(url)
    finally:
        simulator.send_signal(signal.SIGTERM)
        simulator.wait(timeout=10)
    banner('Demo %s; the simulator stopped (exit code %s)' % ('FAILED' if failed else 'done', simulator.returncode))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
