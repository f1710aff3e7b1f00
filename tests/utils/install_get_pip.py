# Put get_pip_offline.py where ansible-test looks for its pip bootstrap
# script (~/.ansible/test/cache/get_pip_<version>.py), for the pip version
# this ansible-test asks for.
import inspect
import os
import re
import shutil

from ansible_test._internal import python_requirements

VERSION = re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1)
CACHE = os.path.expanduser('~/.ansible/test/cache')
TARGET = os.path.join(CACHE, 'get_pip_%s.py' % VERSION.replace('.', '_'))

os.makedirs(CACHE, exist_ok=True)
shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_offline.py'), TARGET)
print('ansible-test pip %s bootstrap: %s' % (VERSION, TARGET))
