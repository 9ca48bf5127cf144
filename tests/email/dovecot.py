"""A private Dovecot IMAP server: generated config in a temp dir, loopback ports
picked at random, one passwd-file user, Maildir storage, a self-signed cert for
IMAPS/STARTTLS. Tests share one (a folder each) unless they stop it. Needs the
dovecot-imapd Debian package (/usr/sbin/dovecot)."""

from __future__ import annotations

import copy
import itertools
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from imapclient import IMAPClient  # type: ignore[import-untyped]

from meridian.channels.email.config import EmailConfig, Security
from tests.email.certs import SelfSignedCert, make_cert

DOVECOT = Path("/usr/sbin/dovecot")
_counter = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    host = "127.0.0.1"
    user = "support"
    password = "s3cret-imap"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = "INBOX"
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.cert: SelfSignedCert = make_cert(root)
        self._process: subprocess.Popen[bytes] | None = None
        # Mail processes may not run as root; take "nobody" when we are root.
        self.mail_uid, self.mail_gid = (
            (pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
            if os.geteuid() == 0
            else (os.getuid(), os.getgid())
        )
        self._write_config()

    # --- lifecycle ------------------------------------------------------------------

    def _write_config(self) -> None:
        root = self.root
        root.chmod(0o755)  # the auth process runs as the dovecot user and must reach passwd
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(root / sub, self.mail_uid, self.mail_gid)
        passwd = root / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        passwd.chmod(0o644)
        unprivileged = ""
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.getuid()).pw_name
            unprivileged = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        (root / "dovecot.conf").write_text(
            f"""base_dir = {root}/run
state_dir = {root}/state
instance_name = meridian-test-{os.getpid()}-{next(_counter)}
log_path = {root}/dovecot.log
{unprivileged}protocols = imap
listen = {self.host}
ssl = yes
ssl_cert = <{self.cert.cert_path}
ssl_key = <{self.cert.key_path}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
# Every test's inbox logs in as the same user; IDLE watchers hold a connection each.
protocol imap {{
  mail_max_userip_connections = 1000
}}
"""
        )

    def start(self, timeout: float = 10.0) -> None:
        self._process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}{self.log()}")
            with suppress(OSError), socket.create_connection((self.host, self.imap_port), 0.5) as s:
                if s.recv(64).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not accept connections in {timeout}s: {self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- mail -------------------------------------------------------------------------

    def in_folder(self, folder: str) -> Dovecot:
        """This server seen through a fresh folder of its own: tests share one
        server, not mail."""
        with self.client() as client:
            client.create_folder(folder)
        view = copy.copy(self)
        view.folder = folder
        return view

    def config(self, security: Security = "none", folder: str | None = None) -> EmailConfig:
        port = self.imaps_port if security == "ssl" else self.imap_port
        return EmailConfig(
            imap_host=self.host,
            imap_port=port,
            imap_folder=folder or self.folder,
            username=self.user,
            password=self.password,
            security=security,
        )

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        client = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=5)
        client.login(self.user, self.password)
        try:
            yield client
        finally:
            client.logout()

    def append(self, *messages: bytes, folder: str | None = None) -> None:
        """Deliver over IMAP APPEND: UIDs follow the order given."""
        with self.client() as client:
            for raw in messages:
                client.append(folder or self.folder, raw)

    def deliver_to_maildir(self, raw: bytes, folder: str | None = None) -> None:
        """Deliver the way an MDA does, even while the server is down: write into
        tmp/, then rename into new/ so the server never sees half a file."""
        box = self.root / "mail" / self.user
        folder = folder or self.folder
        if folder != "INBOX":
            box = box / f".{folder}"
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True, exist_ok=True)
            os.chown(box / sub, self.mail_uid, self.mail_gid)
        os.chown(box, self.mail_uid, self.mail_gid)
        name = f"{time.time_ns()}.M{next(_counter)}P{os.getpid()}.meridian-test"
        tmp = box / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.mail_uid, self.mail_gid)
        tmp.rename(box / "new" / name)


@contextmanager
def running_dovecot(root: Path) -> Iterator[Dovecot]:
    server = Dovecot(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
