"""The summary at event scale (issue 27's acceptance; docs/benchmark.md,
"The summary at 200 meetings"): `event_start` over --meetings meetings at the
vendor's limit, three of them made to fail in three ways (a meeting ID the
service does not know, a wrong host password, a speaker who is not in the
meeting); the summary must name exactly those three, each with its reason
and a re-run line; then the causes are fixed and the re-run line is run as
printed, and must converge them. Prints both summaries and exits non-zero
if any of that does not hold.

  python tests/benchmark/summary_at_scale.py --meetings 200
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import event_scale as scale  # noqa: E402 (the benchmark's event, simulator and runs)

BROKEN = {'webinar0001': 'an unknown meeting', 'webinar0104': 'a wrong host password',
          'webinar0158': 'a speaker who is not in the meeting'}


def summary_lines(out):
    block = out.split('TASK [Say what needs a person]', 1)[1]
    return json.loads(block[block.index('{'):block.index('\n}\n') + 2])['msg']


def run(command, cache, timeout):
    began = time.monotonic()
    completed = subprocess.run(command, env=scale.ansible_env(cache), capture_output=True, text=True, check=False,
                               timeout=timeout, cwd=scale.ROOT)
    return scale.Run(completed.returncode, completed.stdout + completed.stderr, time.monotonic() - began)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meetings', type=int, default=200)
    parser.add_argument('--forks', type=int, default=20)
    parser.add_argument('--limit', type=int, default=100)
    parser.add_argument('--window', type=float, default=60.0)
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='summary-')
    config = scale.event_config(args.meetings)
    hosts = scale.hosts_of(config)
    good = json.loads(json.dumps(hosts))
    missing = sorted(set(BROKEN) - set(hosts))
    if missing:
        parser.error('--meetings is too small for %s' % ', '.join(missing))
    hosts['webinar0001']['conference_id'] = '999999999'
    hosts['webinar0104']['host_password'] = 'not-the-password'
    hosts['webinar0158']['keynote_speaker'] = 'Nobody Here'
    inventory = os.path.join(workdir, 'inventory.json')
    cache = os.path.join(workdir, 'tokens')
    problems = []
    with scale.simulator_process(config, workdir, 0.02, args.limit, args.window) as sim:
        scale.write_inventory(inventory, hosts, sim.url)
        first = run(scale.playbook_command('event_start', inventory, args.forks, args.limit), cache, 3600)
        lines = summary_lines(first.out)
        print('== event_start over %d meetings, 3 broken: rc %s, %.1f s; its summary:' % (
            args.meetings, first.rc, first.seconds))
        print('\n'.join(lines))
        named = [line.split()[0] for line in lines if line.startswith('  ')]
        if sorted(named) != sorted(BROKEN):
            problems.append('the summary names %s, not %s' % (named, sorted(BROKEN)))
        if first.rc == 0:
            problems.append('the run with failed meetings exited 0')
        rerun = re.findall(r"Re-run just these \(add this run's -e options\): (.*)$", '\n'.join(lines), re.M)
        if len(rerun) != 1:
            problems.append('no re-run line')
        else:
            scale.write_inventory(inventory, good, sim.url)  # the causes fixed
            command = shlex.split(rerun[0])
            command[0] = os.path.join(scale.BIN, 'ansible-playbook')
            again = run(command, cache, 3600)
            print('\n== the re-run line as printed (the causes fixed): rc %s, %.1f s; its summary:' % (
                again.rc, again.seconds))
            print('\n'.join(summary_lines(again.out)))
            if again.rc != 0:
                problems.append('the re-run exited %s' % again.rc)
        not_started = [host for host in good if not scale.started(sim, good[host]['conference_id'])]
        if not_started:
            problems.append('not started: %s' % not_started[:10])
        throttled = [call for call in sim.calls if call.get('status') == 429]
        print('\nanswers of 429: %d; meetings started: %d of %d' % (
            len(throttled), len(good) - len(not_started), len(good)))
    for problem in problems:
        print('PROBLEM: %s' % problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
