# Headless Chromium (Debian's package, /usr/bin/chromium) driven over the
# DevTools protocol with websocket-client: open a page, record every request
# it makes, read its DOM, take a screenshot. Only 127.0.0.1; every wait is
# bounded.
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = os.environ.get('HWMEETING_CHROMIUM', '/usr/bin/chromium')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
         '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0']
WAIT = 60


class BrowserError(Exception):
    pass


def missing():
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return ('%s is missing: the browser tests need Debian\'s chromium package (make test installs it as root; '
                'else: apt-get install -y chromium)' % CHROMIUM)
    return None


class Chromium(object):
    """One headless Chromium with a fresh profile, and its first tab."""

    def __init__(self, width=1280, height=800):
        self.profile = tempfile.mkdtemp(prefix='hwmeeting-chromium-')
        self.process = subprocess.Popen([CHROMIUM] + FLAGS + ['--user-data-dir=%s' % self.profile,
                                                              '--window-size=%d,%d' % (width, height), 'about:blank'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.events = []
        try:
            port = self._port()
            targets = json.loads(urllib.request.urlopen('http://127.0.0.1:%d/json/list' % port, timeout=WAIT).read())
            page = [target for target in targets if target.get('type') == 'page'][0]
            # no Origin header: Chromium refuses DevTools connections from web origins
            self.socket = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=WAIT, suppress_origin=True)
            self.send('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1,
                      mobile=False)
        except BaseException:
            self.close()
            raise

    def _port(self):
        active = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError('chromium exited with %s before it listened' % self.process.returncode)
            if os.path.exists(active):
                with open(active) as handle:
                    first = handle.readline().strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.1)
        raise BrowserError('chromium did not open its DevTools port within %d s' % WAIT)

    def send(self, method, **params):
        """Call ``method`` and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        number = self.next_id
        self.socket.send(json.dumps({'id': number, 'method': method, 'params': params}))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            if message.get('id') == number:
                if 'error' in message:
                    raise BrowserError('%s: %s' % (method, message['error']))
                return message.get('result', {})
            if 'method' in message:
                self.events.append(message)
        raise BrowserError('%s: no answer within %d s' % (method, WAIT))

    def wait_for(self, method):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for event in self.events:
                if event['method'] == method:
                    return event
            message = json.loads(self.socket.recv())
            if 'method' in message:
                self.events.append(message)
        raise BrowserError('no %s within %d s' % (method, WAIT))

    def open(self, url):
        """Load ``url``; returns the seconds from the navigation to the load event."""
        self.send('Network.enable')
        self.send('Page.enable')
        self.send('Log.enable')
        self.events = []
        started = time.monotonic()
        self.send('Page.navigate', url=url)
        self.wait_for('Page.loadEventFired')
        return time.monotonic() - started

    def requests(self):
        """Every URL the page asked for (requests sent, or refused before sending)."""
        return [event['params']['request']['url'] for event in self.events
                if event['method'] == 'Network.requestWillBeSent']

    def log(self):
        return [event['params']['entry'] for event in self.events if event['method'] == 'Log.entryAdded']

    def evaluate(self, expression):
        result = self.send('Runtime.evaluate', expression=expression, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise BrowserError('%s: %s' % (expression[:80], result['exceptionDetails']))
        return result['result'].get('value')

    def screenshot(self, path, full_page=False):
        params = {'format': 'png'}
        if full_page:
            params['captureBeyondViewport'] = True
        data = self.send('Page.captureScreenshot', **params)['data']
        with open(path, 'wb') as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        sock = getattr(self, 'socket', None)
        if sock is not None:
            try:
                sock.close()
            except Exception:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
