# TLS against the simulator's generated certificate: verification on by
# default with a clear message, a CA bundle (option, HWMEETING_CA_PATH or
# REQUESTS_CA_BUNDLE) makes it pass, validate_certs: false passes with a warning.
import pytest
from hwmeeting_sim import Simulator

from .conftest import MEETINGS_FILE, keep_output, run_task

READ = dict(conference_id='900000001', host_password='it-host-pw-900001')


@pytest.fixture
def tls_sim(tmp_path):
    with Simulator(meetings_file=MEETINGS_FILE, tls=True, cert_dir=str(tmp_path / 'certs')) as simulator:
        yield simulator


def test_an_unknown_certificate_fails_clearly(tls_sim, tmp_path):
    run, result = run_task(tls_sim, tmp_path, 'meeting_info', READ)
    keep_output('tls', 'unknown_certificate', run.out)  # docs/troubleshooting.md quotes it (tests/docs)
    assert result['failed'] is True
    assert 'the TLS certificate of %s could not be verified' % tls_sim.url in result['msg']
    assert 'CERTIFICATE_VERIFY_FAILED' in result['msg']
    assert 'set ca_path to the CA bundle that signed it' in result['msg']
    assert 'Traceback' not in run.out
    assert tls_sim.calls == []  # no call got through the handshake


@pytest.mark.parametrize('how', ['option', 'HWMEETING_CA_PATH', 'REQUESTS_CA_BUNDLE'])
def test_a_ca_bundle_makes_it_pass(tls_sim, tmp_path, how):
    arguments, env = dict(READ), {}
    if how == 'option':
        arguments['ca_path'] = tls_sim.ca_path
    else:
        env[how] = tls_sim.ca_path
    _run, result = run_task(tls_sim, tmp_path, 'meeting_info', arguments, env=env)
    assert not result.get('failed'), result
    assert result['meeting']['in_progress'] is True
    assert 'warnings' not in result


def test_validate_certs_false_passes_with_a_warning(tls_sim, tmp_path):
    run, result = run_task(tls_sim, tmp_path, 'meeting_info', dict(READ, validate_certs=False))
    keep_output('tls', 'validate_certs_false', run.out)  # docs/authentication.md quotes it (tests/docs)
    assert not result.get('failed'), result
    assert result['meeting']['in_progress'] is True
    assert 'validate_certs is false: the certificate of %s is not checked' % tls_sim.url in run.out
