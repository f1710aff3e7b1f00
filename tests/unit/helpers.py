# Run a module's main() in-process the way Ansible does: arguments in, one
# JSON result out (after AnsibleModule's own no_log masking), no network.
import json

import pytest
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args


def run_module(main, args, capsys, check_mode=False, diff=False):
    """Return the module's result dict (``failed`` set when it failed)."""
    return run_module_with_output(main, args, capsys, check_mode, diff)[0]


def run_module_with_output(main, args, capsys, check_mode=False, diff=False):
    """``(result, output)``: the result as run_module returns it, and the text
    the module printed (capsys has given it up: read it here, not there)."""
    # Warnings and deprecations are kept in module-global registries: in this
    # one process they would carry over from the previous test's module run
    # and satisfy its assertions.
    for registry in (module_warnings._global_warnings, module_warnings._global_deprecations):
        registry.clear()
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert bool(result.get('failed')) == bool(exited.value.code), result
    if 'warnings' in result:
        result['warnings'] = [warning_text(item) for item in result['warnings']]
    return result, out


def warning_text(warning):
    """ansible-core 2.19 returns warnings as structured summaries; older
    versions as strings."""
    if isinstance(warning, dict):
        return warning.get('event', warning).get('msg', str(warning))
    return warning
