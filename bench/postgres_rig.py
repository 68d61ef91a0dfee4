"""A throwaway PostgreSQL cluster on 127.0.0.1 from Debian's packages, for tests and benchmarks.

`make postgres` (part of `make test`) installs Debian's `postgresql`; the tests start their own
cluster with initdb and pg_ctl on a free port, in a new folder, and remove it at the end. The
server refuses to run as root, so as root the cluster belongs to the `postgres` user that
Debian's package creates. Durability is off (fsync, synchronous commit): a test cluster is
thrown away, and it keeps the suite fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BIN_GLOB = "/usr/lib/postgresql/*/bin"
USER = "clarion"


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps each major version apart)."""
    found = sorted(Path("/").glob(BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name))
    return next((p for p in reversed(found) if (p / "initdb").exists()), None)


@dataclass
class Cluster:
    """A running cluster: its folder, port and the database `clarion` owned by `clarion`."""

    folder: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/clarion"

    def schema_url(self, schema: str) -> str:
        """The URL of database `clarion` with `schema` first on the search path."""
        return f"{self.url}?options={quote(f'-csearch_path={schema}')}"

    def fresh_schema(self) -> str:
        """A new empty schema's URL: one test's database, without a CREATE DATABASE."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"CREATE SCHEMA {name}")
        return self.schema_url(name)

    def stop(self) -> None:
        _run(self, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(port: int) -> Cluster:
    """initdb, start on 127.0.0.1:port (socket in the cluster's folder), create `clarion`."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed: `make postgres` installs it")
    folder = Path(tempfile.mkdtemp(prefix="clarion-pg-"))
    cluster = Cluster(folder, port, bin_dir)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    settings = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    data = str(folder / "data")
    _run(cluster, "initdb", "-D", data, "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale")
    _run(cluster, "pg_ctl", "-D", data, "-l", str(folder / "log"), "-o", settings, "-w", "start")
    import psycopg

    with psycopg.connect(f"postgresql://{USER}@127.0.0.1:{port}/postgres", autocommit=True) as db:
        db.execute("CREATE DATABASE clarion")
    return cluster


def _run(cluster: Cluster, program: str, *args: str) -> None:
    command = [str(cluster.bin / program), *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cluster.folder)
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")
