"""The preflight's estimate against the real thing (`make bench`'s last part;
docs/benchmark.md, "The preflight's estimate").

For each size (--meetings, e.g. 200,1000) at the vendor's limit (100 calls of
an API a minute, forks 20 by default): the simulator in a process of its own
with that many scheduled meetings, then
  1. `event_check -e event_time=09:00`: its estimate of event_start's least
     time (the sentence and the seconds, from the run's AWX artifact);
  2. `event_start` (batches of the limit) on the same meetings, timed, from an
     empty token cache, once the gateway's windows are empty again;
and the ratio of the estimate to the real time (the issue asks for the
estimate within 15 % of it: a little above is fine, never far below). It
prints a table and writes .build/bench/preflight.json.

  python tests/benchmark/preflight.py --meetings 200,1000
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import event_scale as scale  # noqa: E402 (the benchmark's event, simulator and runs)

OUT = os.path.join(scale.ROOT, '.build', 'bench')


def artifact(run, name):
    """The set_stats data of a run (the callback's CUSTOM STATS block)."""
    match = re.search(r'CUSTOM STATS: \*+\s*\n\s*RUN:\s*(\{.*\})\s*$', run.out, re.MULTILINE)
    if not match:
        raise RuntimeError('no custom stats in the output of %s:\n%s' % (name, run.tail()))
    return json.loads(match.group(1))[name]


def timed(command, cache, timeout):
    began = time.monotonic()
    env = scale.ansible_env(cache, {'ANSIBLE_SHOW_CUSTOM_STATS': 'true'})
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    return scale.Run(completed.returncode, completed.stdout + completed.stderr, time.monotonic() - began)


def one_size(meetings, args, workdir):
    config = scale.event_config(meetings)
    inventory = scale.write_inventory(os.path.join(workdir, 'inventory-%d.json' % meetings), scale.hosts_of(config),
                                      'http://placeholder')
    timeout = 1800 + 6 * meetings
    with scale.simulator_process(config, workdir, args.latency, args.limit, args.window) as sim:
        scale.write_inventory(inventory, scale.hosts_of(config), sim.url)
        check = timed(scale.playbook_command('event_check', inventory, args.forks, args.limit)
                      + ['-e', 'event_time=09:00'], os.path.join(workdir, 'tokens-check-%d' % meetings), timeout)
        if check.rc != 0:
            raise RuntimeError('event_check failed:\n%s' % check.tail())
        estimate = artifact(check, 'event_check')['estimate']
        scale.wait_for_empty_windows(sim, args.window)
        sim.clear_calls()
        cache = os.path.join(workdir, 'tokens-start-%d' % meetings)
        start = timed(scale.playbook_command('event_start', inventory, args.forks, args.limit), cache, timeout)
        throttled = sum(1 for call in sim.calls if call.get('status') == 429)
        converged = sum(1 for meeting in config['meetings'] if scale.started(sim, meeting['id']))
    start_seconds = round(start.seconds, 1)
    return {'meetings': meetings, 'forks': args.forks, 'limit': args.limit, 'window': args.window,
            'check_seconds': round(check.seconds, 1), 'estimate_seconds': estimate['seconds'],
            'estimate_sentence': estimate['sentence'], 'round_seconds': estimate['round_seconds'],
            'start_seconds': start_seconds, 'start_rc': start.rc, 'converged': converged,
            'throttled': throttled, 'ratio': round(estimate['seconds'] / start_seconds, 3)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meetings', default='200', help='comma-separated sizes (default 200)')
    parser.add_argument('--forks', type=int, default=20)
    parser.add_argument('--limit', type=int, default=100, help="the gateway's calls of an API a window")
    parser.add_argument('--window', type=float, default=60.0)
    parser.add_argument('--latency', type=float, default=0.02, help="the simulator's delay per answer (s), as event_scale.py")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.meetings.split(',') if size.strip()]
    os.makedirs(OUT, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='preflight-')
    results = []
    try:
        for size in sizes:
            print('== %d meetings: event_check, then event_start' % size, flush=True)
            result = one_size(size, args, workdir)
            results.append(result)
            print('   %s' % json.dumps(result), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with open(os.path.join(OUT, 'preflight.json'), 'w') as handle:
        json.dump(results, handle, indent=1)
    print('\n| meetings | forks | event_check | estimate | event_start | estimate / real | converged | 429 |')
    print('|---|---|---|---|---|---|---|---|')
    for result in results:
        print('| %(meetings)d | %(forks)d | %(check_seconds).1f s | %(estimate_seconds).1f s | %(start_seconds).1f s '
              '| %(ratio).2f | %(converged)d | %(throttled)d |' % result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
