# A stand-in for the get-pip script ansible-test downloads to bootstrap pip
# in its virtual environments (from a host this machine cannot reach).
# `make` copies it to ~/.ansible/test/cache/get_pip_<version>.py, where
# ansible-test looks first. Like the real one, it puts a pip into the running
# interpreter (here from the wheel CPython's ensurepip ships) and then installs
# the packages it was given (pip==<version>) with that pip, from PyPI.
import ensurepip
import os
import subprocess
import sys

# The real get-pip's own flags, which pip install does not know.
OWN_FLAGS = ('--no-setuptools', '--no-wheel')

# ensurepip hides pip's configuration (PIP_CONFIG_FILE=/dev/null) for its own
# install; the install below must see it again (index, proxy CA).
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install']
                         + [arg for arg in sys.argv[1:] if arg not in OWN_FLAGS], env=environment))
