"""Start fakepve for Proxmoxia's integration tests.

Serves a seeded fake cluster on 127.0.0.1 (a free port) with the certificate the Rust harness
generated, applies the requested fault scenarios, prints one ready line and then takes
commands on stdin, one JSON object per line:

    {"call": "revoke_tickets"}                       -> pve.revoke_tickets()
    {"call": "set_node_offline", "args": ["pve1"]}   -> pve.set_node_offline("pve1")
    {"set": "ticket_ttl", "value": 1}                -> pve.ticket_ttl = 1

Each command is answered by one JSON line, {"ok": true, "result": ...} or {"ok": false,
"error": "..."}. The process exits when stdin closes, so it never outlives the test.

Ready line: FAKEPVE_READY {"url": ..., "port": ..., "user": ..., "password": ..., "token_id": ...,
"token_secret": ..., "scenarios": [...]}
"""

import argparse
import asyncio
import inspect
import json
import sys
import time
import uuid

try:
    from fakepve import FakePve
except ImportError:  # The harness turns this exit code into a "how to install" message.
    print('fakepve is not installed: pip install "fakepve[crypto]==0.5.0"', file=sys.stderr, flush=True)
    sys.exit(3)

USER = 'root@pam'
PASSWORD = 'secret'
TOKEN_ID = 'root@pam!ci'

# Guests every instance starts with (the seed's examples need a running VM and container).
VMS = (
    dict(vmid=100, name='web', status='running',
         config={'memory': 2048, 'cores': 2, 'sockets': 1, 'ostype': 'l26',
                 'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1',
                 'scsi0': 'local-lvm:vm-100-disk-0,size=32G', 'scsihw': 'virtio-scsi-single'}),
    dict(vmid=101, name='db', status='stopped',
         config={'memory': 4096, 'cores': 4, 'ostype': 'l26',
                 'net0': 'virtio=BC:24:11:00:00:02,bridge=vmbr0'}),
)
CTS = (
    dict(vmid=200, name='dns', status='running'),
)

# Scenario name -> what it changes; documented in tests/README.md.
SCENARIOS = ('api-token', 'locked-vm', 'task-error', 'offline-node', 'no-quorum')


def seed(pve):
    for vm in VMS:
        pve.add_vm(vm['vmid'], vm['name'], status=vm['status'], config=vm['config'])
    for ct in CTS:
        pve.add_ct(ct['vmid'], ct['name'], status=ct['status'])


def live_tasks(pve):
    """Tasks a test drives by hand (the live-task tests), as FakePve methods so that `call`
    reaches them: started running, grown line by line, ended when the test says. Records are
    fakepve's own task records, so its status and log routes (with `start`/`limit`) serve them."""
    def live_start(node, ttype, tid):
        upid, pid, start = pve._upid(node, ttype, tid, USER)
        record = {'upid': upid, 'node': node, 'pid': pid, 'pstart': pid * 7, 'starttime': start,
                  'type': ttype, 'id': str(tid), 'user': USER, 'status': 'running', 'log': []}
        pve.tasks[upid] = record
        pve.tasklog.append(record)
        return upid

    def live_append(upid, lines):
        pve.tasks[upid]['log'].extend(lines)

    def live_finish(upid, error=None):
        record = pve.tasks[upid]
        status = error or 'OK'
        record.update(status='stopped', exitstatus=status, endtime=int(time.time()))
        record['log'].append('TASK OK' if status == 'OK' else 'TASK ERROR: ' + status)

    pve.live_start, pve.live_append, pve.live_finish = live_start, live_append, live_finish


def timed_locks(pve):
    """release_config_lock_after(vmid, secs): release the lock of hold_config_lock() after secs
    PVE seconds, on the fake's own clock (a FakePve method, so that `call` reaches it)."""
    def release_config_lock_after(vmid, secs):
        async def later():
            await pve.pause(secs)
            pve.release_config_lock(vmid)
        asyncio.ensure_future(later())

    pve.release_config_lock_after = release_config_lock_after


def waits(pve):
    """What a test waits on instead of a clock (FakePve methods, so that `call` reaches them).

    expire_tickets(): every ticket issued so far expires now, as its lifetime passing would.
    until_requests(count): returns once the request log holds more than count requests.
    until_config(vmid, key, value): returns once the guest's config holds key = value.
    The waits look again each time the fake records a request or releases a config lock
    (a config write releases it when done); the test gives them a deadline."""
    waiting = []

    def changed():
        while waiting:
            waiting.pop().set()

    async def until(done):
        while not done():
            event = asyncio.Event()
            waiting.append(event)
            await event.wait()

    record, release = pve._record, pve.release

    def recording(*args):
        record(*args)
        changed()

    def releasing(*args):
        release(*args)
        changed()

    def expire_tickets():
        for session in pve.tickets.values():
            session['expires'] = min(session['expires'], time.time() - 1)

    async def until_requests(count):
        await until(lambda: len(pve.requests) > count)

    async def until_config(vmid, key, value):
        def holds():
            config = pve.guest(vmid).config
            return key in config and str(config[key]) == value
        await until(holds)

    pve._record, pve.release = recording, releasing
    pve.expire_tickets, pve.until_requests, pve.until_config = expire_tickets, until_requests, until_config


def apply(pve, scenario, info):
    if scenario == 'api-token':
        secret = str(uuid.uuid4())
        pve.apitokens[TOKEN_ID] = secret
        info.update(token_id=TOKEN_ID, token_secret=secret)
    elif scenario == 'locked-vm':
        pve.add_vm(102, 'locked', status='stopped', lock='backup', config={'memory': 1024})
        info.update(locked_vmid=102)
    elif scenario == 'task-error':
        vm = pve.add_vm(103, 'broken', status='stopped', config={'memory': 1024})
        vm.start_error = "unable to find configuration file for VM 103 disk 'scsi0'"
        info.update(failing_vmid=103, failing_error=vm.start_error)
    elif scenario == 'offline-node':
        pve.add_node('pve2', online=False)
        info.update(offline_node='pve2')
    elif scenario == 'no-quorum':
        pve.lose_quorum()
    else:
        raise SystemExit('unknown scenario {0!r}; known: {1}'.format(scenario, ', '.join(SCENARIOS)))


def jsonable(value):
    """value as JSON can hold it: bytes as text, tuples and sets as lists, objects as repr."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, dict):
        return dict((str(k), jsonable(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    return repr(value)


async def run_command(pve, line):
    cmd = json.loads(line)
    if 'set' in cmd:
        setattr(pve, cmd['set'], cmd['value'])
        return None
    result = getattr(pve, cmd['call'])(*cmd.get('args', []), **cmd.get('kwargs', {}))
    if inspect.isawaitable(result):
        result = await result
    return jsonable(result)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--time-scale', type=float, default=0.0)
    parser.add_argument('--scenario', action='append', default=[], choices=SCENARIOS)
    args = parser.parse_args()

    pve = FakePve(user=USER, password=PASSWORD, host='127.0.0.1', port=0)
    pve.time_scale = args.time_scale
    seed(pve)
    live_tasks(pve)
    timed_locks(pve)
    waits(pve)
    info = {'user': USER, 'password': PASSWORD, 'scenarios': args.scenario}
    for scenario in args.scenario:
        apply(pve, scenario, info)
    await pve.start(args.cert, args.key)
    info.update(url=pve.url, port=pve.port)
    print('FAKEPVE_READY ' + json.dumps(info), flush=True)

    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break  # the test ended (or crashed): stop with it
        if not line.strip():
            continue
        try:
            answer = {'ok': True, 'result': await run_command(pve, line)}
        except Exception as exc:  # noqa: BLE001 - reported to the test, which decides
            answer = {'ok': False, 'error': '{0}: {1}'.format(type(exc).__name__, exc)}
        print(json.dumps(answer), flush=True)
    await pve.stop()


if __name__ == '__main__':
    asyncio.run(main())
