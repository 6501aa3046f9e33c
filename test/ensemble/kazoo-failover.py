# kazoo (Debian's python3-kazoo) against a Meerkat ensemble, driven by kazoo-failover.test.ts:
# connects to the hosts in the given order (the first one is the member the test kills), creates a
# node, says "ready", waits for "go" on stdin (the member is dead by then), then writes through
# kazoo's own retry until a member takes it, and reports the value read back and the session state.
import sys
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

hosts = sys.argv[1]
client = KazooClient(hosts=hosts, randomize_hosts=False, timeout=6.0,
                     connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=0.5),
                     command_retry=KazooRetry(max_tries=60, delay=0.2, max_delay=0.5, deadline=30))
client.start(timeout=15)
session = client.client_id[0]
client.create('/kazoo', b'1')
print('ready', flush=True)
sys.stdin.readline()
client.retry(client.set, '/kazoo', b'2')
data, _ = client.retry(client.get, '/kazoo')
print('ok %s %s %s' % (data.decode(), client.state, 'same-session' if client.client_id[0] == session else 'new-session'), flush=True)
client.stop()
