"""`make sim`: the demo's simulator, to keep using after `make demo`.

Starts the simulator with the three demo meetings on 127.0.0.1 and prints
the lines to paste into another shell: the HWMEETING_* variables of the
demo's App ID (as an AWX credential would inject them) and the collections
path; then runs until Ctrl-C.
"""
import argparse
import os
import signal
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'simulator'))

from hwmeeting_sim import DEMO_MEETINGS, Simulator  # noqa: E402  (path set just above)

CREDENTIAL = (('HWMEETING_APP_ID', 'demo-app-id'), ('HWMEETING_APP_KEY', 'demo-app-key-not-secret'),
              ('HWMEETING_USER_ID', 'demo-user'))


def exports(url):
    lines = ['export HWMEETING_API_URL=%s' % url]
    lines += ['export %s=%s' % pair for pair in CREDENTIAL]
    lines.append('export ANSIBLE_COLLECTIONS_PATH=%s' % os.path.join(ROOT, '.build', 'collections'))
    lines.append('export PATH=%s:$PATH' % os.path.join(ROOT, '.venv', 'bin'))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--port', type=int, default=0, help='port on 127.0.0.1 (0: a free one)')
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    with Simulator(meetings_file=DEMO_MEETINGS, port=args.port, delay=0.02) as sim:
        print('hwmeeting-sim listening on %s with the three demo meetings (tests/simulator/demo_meetings.yml)'
              % sim.url)
        print('In another shell, paste:\n')
        print('\n'.join(exports(sim.url)))
        print('\nthen, for example:\n')
        print('ansible-inventory -i tests/demo/meetings.hwcloud_meeting.yml --graph')
        print('ansible-playbook hwcloud.meeting.event_start -i tests/demo/meetings.hwcloud_meeting.yml -f 3')
        print('ansible-playbook hwcloud.meeting.event_status -i tests/demo/meetings.hwcloud_meeting.yml')
        print('\nCtrl-C stops the simulator.', flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print('hwmeeting-sim stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
