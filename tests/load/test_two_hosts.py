"""Two app hosts, each `xero-panel serve` (2 workers) in a network namespace of its own, sharing Redis and
PostgreSQL; reps spread across both, then one host is killed mid-run and its reps carry on on the other, as a
load balancer would send them.

Shown at the end: no pin lost (the database holds every pin in the state its rep last asked for), no 5xx from
the survivor, the organisation's Xero budget never exceeded across both hosts (the emulator, which enforces
Xero's limits, answered no 429 and saw at most 60 calls in any minute), and the survivor served every rep.

Each host is a namespace joined to this machine by a veth pair. Redis, PostgreSQL and the emulator listen on
loopback only, so a small TCP relay in this process offers them on the host side of each pair: the hosts reach
this machine's own servers and nothing else.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from devkit.emulator import create_emulator, emulator_state
from devkit.serving import serve_in_thread
from plugin import create_app
from plugin.domain.clock import SystemClock
from plugin.domain.matching import RecordKey
from plugin.embed.context import encode_context
from plugin.storage import get_database
from plugin.xero.parse import parse_token_set
from tests.storage.databases import postgres_base_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ACCOUNT = "two-hosts"
CONTEXT_SECRET = "two-hosts-context-secret-0123456789"
REPS = 12
RUN_SECONDS = 14.0
KILL_AT = 5.0
PANEL_PORT = 8000
SESSION_HEADERS = re.compile(r"hx-headers='([^']*)'")  # the page hands htmx its session header
RELAYED_PORTS = {"redis": 6379, "postgres": 5432}


# --- the network ---------------------------------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Host:
    namespace: str
    outside: str  # this machine's address on the pair
    inside: str  # the host's address
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{self.inside}:{PANEL_PORT}"


@pytest.fixture
def hosts():
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("network namespaces need root and iproute2's `ip`")
    tag = secrets.token_hex(2)
    subnet = random.randint(16, 250)
    made: list[Host] = []
    try:
        for number in (1, 2):
            host = Host(f"xp{tag}h{number}", f"10.{subnet}.{number}.1", f"10.{subnet}.{number}.2")
            outside_link, inside_link = f"xp{tag}o{number}", f"xp{tag}i{number}"
            _ip("netns", "add", host.namespace)
            made.append(host)
            _ip("link", "add", outside_link, "type", "veth", "peer", "name", inside_link)
            _ip("link", "set", inside_link, "netns", host.namespace)
            _ip("addr", "add", f"{host.outside}/30", "dev", outside_link)
            _ip("link", "set", outside_link, "up")
            _ip("-n", host.namespace, "addr", "add", f"{host.inside}/30", "dev", inside_link)
            _ip("-n", host.namespace, "link", "set", inside_link, "up")
            _ip("-n", host.namespace, "link", "set", "lo", "up")
    except subprocess.CalledProcessError as error:
        for host in made:
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        pytest.skip(f"could not make network namespaces here: {error.stderr.strip()}")
    yield made
    for host in made:
        if host.process and host.process.poll() is None:
            os.killpg(host.process.pid, signal.SIGKILL)
            host.process.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)


class Relay:
    """Offers a loopback server on another local address: each connection is piped both ways by a thread."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(listen, reuse_port=False)
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                readable, _, _ = select.select([self.server], [], [], 0.2)
                if readable:
                    client, _ = self.server.accept()
                    threading.Thread(target=self._pipe, args=(client,), daemon=True).start()
            except OSError:  # closed by stop()
                return

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        sockets = [client, upstream]
        try:
            while not self.stopped.is_set():
                readable, _, _ = select.select(sockets, [], [], 0.5)
                for ready in readable:
                    data = ready.recv(65536)
                    if not data:
                        return
                    (upstream if ready is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


# --- the shared world -----------------------------------------------------------------------------------------


@dataclass
class World:
    schema_url: str
    redis_prefix: str
    emulator_port: int
    emulator_app: object
    calls: list[float] = field(default_factory=list)  # when each Accounting API call reached the emulator
    statuses: Counter = field(default_factory=Counter)


@pytest.fixture
def world(tmp_path):
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import psycopg
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    schema = f"t_{secrets.token_hex(6)}"
    plain = base.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    emulator_app = create_emulator(seed=1)
    made = World(f"{base}?options=-csearch_path%3D{schema}", f"two-hosts-{secrets.token_hex(4)}:", 0, emulator_app)
    emulator_app.wsgi_app = _watching(emulator_app.wsgi_app, made)
    server = serve_in_thread(emulator_app)
    emulator_state(emulator_app).base_url = server.url
    made.emulator_port = server.port
    yield made
    server.stop()
    keys = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in keys.scan_iter(match=f"{made.redis_prefix}*"):
        keys.delete(key)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _watching(wsgi_app, world: World):
    def app(environ, start_response):
        if environ.get("PATH_INFO", "").lower().startswith("/api.xro/"):
            world.calls.append(time.monotonic())

        def counting(status, headers, exc_info=None):
            world.statuses[status.split()[0]] += 1
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, counting)

    return app


def _settings(world: World, host: Host, shared: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """What each host is given, as XERO_PANEL_* variables: its own address for the shared servers."""
    database = world.schema_url.replace("@127.0.0.1:", f"@{host.outside}:")
    return {
        **shared,
        "XERO_MODE": "emulator",
        "XERO_EMULATOR_URL": f"http://{host.outside}:{world.emulator_port}",
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://{host.outside}:6379/0",
        "REDIS_KEY_PREFIX": world.redis_prefix,
        "CONTEXT_SECRET": CONTEXT_SECRET,
        "INSTANCE_PATH": str(tmp_path / host.namespace),
    }


def _connect_account(world: World, shared: dict[str, str]) -> str:
    """Leave the CRM account connected to the emulator's first organisation, as an admin would."""
    app = create_app({"XERO_MODE": "emulator", "DATABASE_URL": world.schema_url, "TOKEN_KEY": shared["TOKEN_KEY"],
                      "SECRET_KEY": shared["SECRET_KEY"], "XERO_EMULATOR_URL": f"http://127.0.0.1:{world.emulator_port}"})
    state = emulator_state(world.emulator_app)
    tenant = state.tenants[0]
    connections = get_database(app).connections
    connections.store_consent(ACCOUNT, parse_token_set(state.issue_token_set(), SystemClock().now()),
                              connected_by_email="demo@example.com")
    connections.choose_tenant(ACCOUNT, tenant["tenant_id"], tenant_name=tenant["name"],
                              short_code=tenant["short_code"], base_currency=tenant["base_currency"])
    connections.activate(ACCOUNT)
    return tenant["tenant_id"]


def _start(host: Host, settings: dict[str, str]) -> None:
    env = {**os.environ, **{f"XERO_PANEL_{key}": value for key, value in settings.items()}}
    command = ["ip", "netns", "exec", host.namespace, sys.executable, "-m", "plugin.cli", "serve",
               "--bind", f"{host.inside}:{PANEL_PORT}", "--workers", "2", "--threads", "4"]
    host.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{host.base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError(f"{host.namespace} did not start serving")


# --- the reps ---------------------------------------------------------------------------------------------------


@dataclass
class Rep:
    number: int
    customer: dict
    hosts: list[Host]
    session: str = ""
    wanted: dict[str, bool] = field(default_factory=dict)  # invoice id -> the pin state last asked for
    answers: Counter = field(default_factory=Counter)  # (host namespace, status or error name) -> count
    served_after_kill: bool = False

    @property
    def record(self) -> RecordKey:
        return RecordKey("contact", f"rep-{self.number}")

    def home(self, killed: threading.Event) -> Host:
        """Where the load balancer sends this rep: spread over both hosts, all to the survivor after the kill."""
        return self.hosts[1] if killed.is_set() else self.hosts[self.number % 2]

    def request(self, method: str, path: str, killed: threading.Event, **kwargs) -> requests.Response | None:
        for _ in range(3):
            host = self.home(killed)
            try:
                answer = requests.request(method, host.base + path, timeout=15,
                                          headers={"X-Panel-Session": self.session, "HX-Request": "true"}, **kwargs)
            except requests.RequestException as error:
                # The host died under this request: the balancer sends it again, to the survivor. (A failure on
                # the survivor is counted, and the test fails on it.)
                self.answers[(host.namespace, type(error).__name__)] += 1
                continue
            self.answers[(host.namespace, answer.status_code)] += 1
            if killed.is_set() and host is self.hosts[1] and answer.status_code == 200:
                self.served_after_kill = True
            self.session = answer.headers.get("X-Panel-Session-Renewed", self.session)
            return answer
        return None


def _open(rep: Rep, killed: threading.Event) -> None:
    now = int(time.time())
    claims = {"iss": "demo-crm", "aud": "xero-invoice-panel", "iat": now, "exp": now + 300,
              "jti": secrets.token_urlsafe(12), "account": ACCOUNT,
              "user": {"id": f"u{rep.number}", "email": f"rep{rep.number}@crm.test", "role": "member",
                       "locale": "en-NZ", "tz": "Pacific/Auckland"},
              "record": {"type": "contact", "id": f"rep-{rep.number}", "name": rep.customer["name"],
                         "email": rep.customer["email"]}}
    token = encode_context(claims, CONTEXT_SECRET, clock=SystemClock())
    host = rep.home(killed)
    page = requests.get(f"{host.base}/panel", params={"context": token}, timeout=30)
    assert page.status_code == 200, page.text[:300]
    found = SESSION_HEADERS.search(page.text)
    assert found, "the panel page carries its session token for htmx"
    rep.session = json.loads(unescape(found.group(1)))["X-Panel-Session"]


def _work(rep: Rep, invoice_ids: list[str], killed: threading.Event, until: float) -> None:
    chooser = random.Random(rep.number)
    while time.monotonic() < until:
        if chooser.random() < 0.5 and invoice_ids:
            invoice_id = chooser.choice(invoice_ids)
            pinned = chooser.random() < 0.5
            answer = rep.request("POST", f"/panel/pins/{invoice_id}", killed,
                                 data={"pinned": "true" if pinned else "false", "view": "unpaid"})
            if answer is not None and answer.status_code == 200:
                rep.wanted[invoice_id] = pinned
        else:
            rep.request("GET", "/panel/invoices", killed, params={"view": chooser.choice(["open", "paid", "unpaid"])})
        time.sleep(0.05)


def test_two_hosts_share_redis_and_postgres_and_the_survivor_serves_every_rep(hosts, world, tmp_path):
    shared = {"SECRET_KEY": secrets.token_urlsafe(24), "TOKEN_KEY": Fernet.generate_key().decode(),
              "CACHE_TTL": "60"}
    relays = [Relay((host.outside, port), ("127.0.0.1", port))
              for host in hosts for port in [*RELAYED_PORTS.values(), world.emulator_port]]
    try:
        tenant_id = _connect_account(world, shared)
        for host in hosts:
            _start(host, _settings(world, host, shared, tmp_path))
        customers = _unique_customers(emulator_state(world.emulator_app), tenant_id)[:REPS]
        killed = threading.Event()
        reps = [Rep(number, customers[number % len(customers)], hosts) for number in range(REPS)]
        for rep in reps:
            _open(rep, killed)
        invoices = _invoice_ids(emulator_state(world.emulator_app), tenant_id)
        until = time.monotonic() + RUN_SECONDS
        workers = [threading.Thread(target=_work, args=(rep, invoices[rep.customer["contact_id"]], killed, until))
                   for rep in reps]
        for worker in workers:
            worker.start()
        time.sleep(KILL_AT)
        os.killpg(hosts[0].process.pid, signal.SIGKILL)  # the whole host: gunicorn's master and its workers
        hosts[0].process.wait(timeout=10)
        killed.set()
        for worker in workers:
            worker.join(timeout=RUN_SECONDS + 30)
    finally:
        for relay in relays:
            relay.stop()

    survivor = hosts[1].namespace
    survivor_errors = {key: count for rep in reps for key, count in rep.answers.items()
                       if key[0] == survivor and (isinstance(key[1], str) or key[1] >= 500)}
    assert survivor_errors == {}, f"the survivor answered 5xx: {survivor_errors}"
    assert all(rep.served_after_kill for rep in reps), "every rep was served by the survivor after the kill"
    assert world.statuses["429"] == 0, "the emulator (which enforces Xero's limits) never refused a call"
    assert _busiest_minute(world.calls) <= 60, "at most 60 Xero calls in any minute across both hosts"
    pinned = sum(len(rep.wanted) for rep in reps)
    survivor_answers = sum(count for rep in reps for key, count in rep.answers.items() if key[0] == survivor)
    answers = sum(sum(rep.answers.values()) for rep in reps)
    print(f"\ntwo hosts: {answers} answers, {survivor_answers} from the survivor;"
          f" {len(world.calls)} Xero calls, busiest minute {_busiest_minute(world.calls)}; {pinned} pins checked")
    assert pinned > 0, "the reps pinned something"
    app = create_app({"XERO_MODE": "emulator", "DATABASE_URL": world.schema_url, "TOKEN_KEY": shared["TOKEN_KEY"],
                      "SECRET_KEY": shared["SECRET_KEY"]})
    pins = get_database(app).pins
    for rep in reps:
        stored = pins.invoice_ids(ACCOUNT, rep.record, tenant_id)
        for invoice_id, pinned in rep.wanted.items():
            assert (invoice_id in stored) == pinned, f"rep {rep.number}'s pin on {invoice_id} is as last asked"


def _unique_customers(state, tenant_id: str) -> list[dict]:
    customers = state.customers(tenant_id)
    emails = Counter(customer["email"].lower() for customer in customers if customer["email"])
    return [customer for customer in customers if customer["email"] and emails[customer["email"].lower()] == 1]


def _invoice_ids(state, tenant_id: str) -> dict[str, list[str]]:
    return {customer["contact_id"]: [invoice.invoice_id for invoice in state.orgs[tenant_id].invoices_of(
        customer["contact_id"])][:6] for customer in state.customers(tenant_id)}


def _busiest_minute(calls: list[float]) -> int:
    ordered = sorted(calls)
    busiest, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 60:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest
