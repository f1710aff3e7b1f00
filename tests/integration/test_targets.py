# One test per target playbook in targets/: each runs every task of its
# module twice and asserts on the simulator's call log and state; this test
# asserts the playbook passed and that no secret reached its output (-v shows
# every module result). Each target runs both ways a module can run: inside
# Ansible's worker process, and as a module process (docs/direct_execution.md).
import os

import pytest

from .conftest import TARGETS, assert_no_secret, run_playbook

PLAYBOOKS = sorted(name[:-4] for name in os.listdir(TARGETS) if name.endswith('.yml'))


@pytest.mark.parametrize('target', PLAYBOOKS)
def test_target(sim, target, both_ways):
    run = run_playbook(target, sim, '-v')
    assert run.rc == 0, run
    assert 'failed=0' in run.out, run
    assert 'Traceback' not in run.out, run
    assert_no_secret(run, sim)
