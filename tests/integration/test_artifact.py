# The artifact `ansible-galaxy collection build` makes holds the collection
# and nothing of the developer's machine: no virtual environments, caches,
# build or test output, VCS data, or private keys.
import glob
import os
import re
import tarfile

import pytest

from .conftest import ROOT

FORBIDDEN = re.compile(r'(^|/)(\.venv|\.build|\.git|\.ci|__pycache__|\.pytest_cache|\.cache|\.tox|output)(/|$)'
                       r'|\.pyc$|\.tar\.gz$|importer_result\.json$|\.plugin-cache\.yaml$')
KEY_MATERIAL = re.compile(rb'-----BEGIN [A-Z ]*PRIVATE KEY-----')


@pytest.fixture(scope='module')
def artifact():
    paths = glob.glob(os.path.join(ROOT, '.build', 'dist', 'hwcloud-meeting-*.tar.gz'))
    assert len(paths) == 1, 'run make collection first: %s' % paths
    with tarfile.open(paths[0]) as archive:
        yield archive


def test_only_collection_content(artifact):
    names = artifact.getnames()
    assert 'MANIFEST.json' in names and 'plugins/modules/meeting_record.py' in names
    assert 'meta/runtime.yml' in names and 'playbooks/event_start.yml' in names
    assert [name for name in names if FORBIDDEN.search(name)] == []


def test_no_key_material(artifact):
    for member in artifact.getmembers():
        if member.isfile():
            assert not KEY_MATERIAL.search(artifact.extractfile(member).read()), member.name
