"""Worker processes: the outputs' Jobs (outputs.Job: the PDFs' layouts), each in a process of its
own, so they (and the outputs made meanwhile in the build's process) use every core; their
lifecycle (start, wait, cancel), their scratch folders, and that none outlives the build. A Job
is a module-level function and plain data, so it works the same whether the workers are started
by fork, forkserver or spawn (the default on macOS and Windows)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def start(jobs: dict, report: Callable[[str, str], None] | None = None) -> Pending:
    """Begin the jobs (name -> outputs.Job): with two or more jobs and cores, each in its own
    process. Pending.result() waits; report(name, what) hears where each job is."""
    return Pending(jobs, report)


START_METHOD = "STUDYDECK_START_METHOD"  # the tests run the workers under "spawn" too


def _context():
    """fork where there is fork and this process runs no other thread (a fork copies a lock
    another thread holds; the live status redraws from this thread for that reason): the
    workers start with WeasyPrint already imported. spawn otherwise (macOS, Windows)."""
    import multiprocessing
    import threading

    method = os.environ.get(START_METHOD) or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 else "spawn"
    )
    return multiprocessing.get_context(method)


class Pending:
    def __init__(self, jobs, report):
        self._jobs, self._report = jobs, report
        self._pool = self._queue = None
        if len(jobs) > 1 and (os.cpu_count() or 1) > 1:
            from concurrent.futures import ProcessPoolExecutor

            context = _context()
            self._queue = context.SimpleQueue() if report else None
            _remove_stale_scratch()
            # the workers' temporary files, removed here (or by a later build if this one is killed)
            self._scratch = _make_scratch()
            try:  # Ctrl-C or kill while the workers start: none left, nor their folder
                self._pool = ProcessPoolExecutor(
                    min(len(jobs), os.cpu_count() or 1),
                    mp_context=context,
                    initializer=_worker_init,
                    initargs=(self._queue, self._scratch),
                )
                self._futures = {name: self._pool.submit(_work, name, job) for name, job in jobs.items()}
            except BaseException:
                self.cancel()
                shutil.rmtree(self._scratch, ignore_errors=True)
                raise

    def result(self) -> dict:
        """name -> the Made each job returned."""
        if self._pool is None:
            return {name: job.run(name, *job.args, report=self._report) for name, job in self._jobs.items()}
        from concurrent.futures import FIRST_EXCEPTION, wait

        try:
            pending = set(self._futures.values())
            while pending:
                _, pending = wait(pending, timeout=0.1, return_when=FIRST_EXCEPTION)
                self._drain()
                if self._report:
                    self._report("", "waiting for the workers ...")  # keeps the live status moving
                if any(f.done() and f.exception() for f in self._futures.values()):
                    break
            return {name: f.result() for name, f in self._futures.items()}
        except BaseException:
            self.cancel()
            raise
        finally:
            self._drain()
            self._pool.shutdown(cancel_futures=True)
            shutil.rmtree(self._scratch, ignore_errors=True)

    def cancel(self) -> None:
        """Stop every worker now (the build failed or was interrupted)."""
        if self._pool is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self._scratch, ignore_errors=True)

    def _drain(self) -> None:
        while self._queue is not None and not self._queue.empty():
            self._report(*self._queue.get())


_QUEUE = None


SCRATCH_PREFIX = "studydeck-scratch-"


SCRATCH_MARK = ".studydeck-scratch.json"  # in each scratch folder: whose it is


def _make_scratch() -> str:
    """A temporary folder for the workers, marked with who made it (see _remove_stale_scratch)."""
    folder = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    with open(os.path.join(folder, SCRATCH_MARK), "w", encoding="utf-8") as fh:
        json.dump(_me(os.getpid()), fh)
    return folder


def _me(pid: int) -> dict:
    """What tells one process from every other, on this machine, in this PID namespace, since boot."""

    def read(path: str) -> str:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError:
            return ""

    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    stat = read(f"/proc/{pid}/stat")
    start = stat.rsplit(")", 1)[-1].split()[19] if stat else ""  # field 22: the start time, in ticks
    return {
        "pid": pid,
        "uid": os.getuid() if hasattr(os, "getuid") else -1,
        "start": start,
        "namespace": namespace,
        "boot": read("/proc/sys/kernel/random/boot_id"),
    }


def _remove_stale_scratch() -> None:
    """Scratch folders of builds that were killed, and only those: a folder is removed when its
    mark says it is this user's, from this PID namespace and boot, and its process is gone (or
    the PID now belongs to a process that started later). Anything else in the temporary folder
    (another program's studydeck-2024-backup, a live build in another container) is left alone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            mark = json.loads((folder / SCRATCH_MARK).read_text("utf-8"))
            pid = mark["pid"]
            if not isinstance(pid, int) or isinstance(pid, bool) or folder.name.split("-")[2] != str(pid):
                continue
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            continue
        me = _me(os.getpid())
        if any(mark.get(k) != me[k] for k in ("uid", "namespace", "boot")):
            continue
        if not _alive(pid) or (mark.get("start") and _me(pid)["start"] not in ("", mark["start"])):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_init(queue, scratch: str) -> None:
    import signal

    global _QUEUE
    _QUEUE = queue
    # A forked worker has the build's handlers: SIGTERM would raise KeyboardInterrupt and print
    # a traceback when the build stops it. The build decides: Ctrl-C reaches it, it ends these.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # WeasyPrint copies the fonts to a temporary folder and leaves its removal to a __del__, which
    # never runs in a worker (about 11 MB a build piled up in /tmp): they go into the build's own.
    tempfile.tempdir = scratch
    _die_with_parent()


def _die_with_parent() -> None:
    """A worker must not outlive the build, however the build ends (Ctrl-C, kill -9)."""
    import signal
    import threading

    parent = os.getppid()
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0 and os.getppid() == parent:  # 1: PR_SET_PDEATHSIG
            return
    except (OSError, AttributeError):
        pass

    def watch():  # elsewhere: notice that the parent is gone
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _work(name: str, job):
    report = (lambda n, what: _QUEUE.put((n, what))) if _QUEUE is not None else None
    return job.run(name, *job.args, report=report)
