"""Run by make before it installs anything: the Python asked for (PYTHON)
must be new enough for the pinned ansible-core, and .venv must have been made
by it; a .venv made by another Python is made again. "Made by" means the
installation (sys.base_prefix) and the version, so that the .venv's own
python (which a make that puts .venv/bin first on PATH finds as python3)
counts as the Python that made it.

    python tests/utils/check_python.py --floor 3.11 --venv .venv

Exits 2 with one sentence when the Python is too old. Written so that a
Python 2 or an old Python 3 can run it far enough to say so.
"""
import os
import shutil
import sys

RECORD = '.made-by'


def main(argv):
    floor = tuple(int(part) for part in argv[argv.index('--floor') + 1].split('.'))
    venv = argv[argv.index('--venv') + 1]
    version = '%d.%d.%d' % sys.version_info[:3]
    if sys.version_info[:2] < floor:
        sys.stderr.write('make: Python %s or newer is needed (the pinned ansible-core runs on no older one), and '
                         '%s is Python %s: run make with PYTHON=python3.11 (or newer).\n'
                         % ('.'.join(str(part) for part in floor), sys.executable, version))
        return 2
    made_by = 'Python %s at %s\n' % (version, os.path.realpath(getattr(sys, 'base_prefix', sys.prefix)))
    record = os.path.join(venv, RECORD)
    if os.path.isdir(venv) and not os.path.islink(venv):
        try:
            with open(record) as handle:
                before = handle.read()
        except (IOError, OSError):
            before = None
        if before != made_by:
            print('== .venv was made by %s; making it again with %s'
                  % ((before or 'another Python').strip(), made_by.strip()))
            shutil.rmtree(venv)
    if not os.path.isdir(venv):
        print('== Creating .venv with %s (Python %s)' % (sys.executable, version))
        import venv as venv_module
        venv_module.create(venv, with_pip=True, symlinks=os.name != 'nt')
    if not os.path.exists(record) or open(record).read() != made_by:
        with open(record, 'w') as handle:
            handle.write(made_by)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
