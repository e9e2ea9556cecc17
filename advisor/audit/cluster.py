"""The audit on an existing Dask cluster (the optional extra `[dask]`): `--scheduler tcp://HOST:PORT`.

The same tasks as on this machine (advisor.audit.runner), one share of the series per worker,
then chunks of series, gathered in order: the output is the same. The calendars travel with
the tasks, so workers need not see the files; each worker needs advisor installed, at the
version the client runs. Nothing here schedules: Dask's scheduler does.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence, Tuple

from advisor.audit.reading import Source
from advisor.audit.runner import Runner
from advisor.errors import InputError, Problem

CONNECT_SECONDS = 30


class DaskRunner(Runner):
    """Tasks on the workers of the cluster whose scheduler is at `address`."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise InputError([Problem("--scheduler", "running on a Dask cluster needs the dask extra: pip install "
                                                     "'meeting-advisor[dask]'")]) from None
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError([Problem("--scheduler", f"cannot reach the Dask scheduler at {address}: {reason}")]
                             ) from None
        self.shares = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, function: Callable[..., Any], arguments: Sequence[Tuple[Any, ...]]) -> Iterator[Any]:
        futures = [self.client.submit(function, *args, pure=False) for args in arguments]
        for future in futures:  # in order, each as soon as it and those before it are done
            yield future.result()

    def everywhere(self, value: Any) -> Any:
        # A future that the tasks given it resolve on their own worker. In a list, so that Dask
        # sends `value` whole: a tuple it would scatter item by item, then fail to rebuild when
        # it is a NamedTuple (dask 2024.8, the last for Python 3.9).
        futures = self.client.scatter([value], broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        return futures[0]

    def carried(self, sources: Sequence[Source]) -> Sequence[Source]:
        """The files read here, so that workers on other machines need not see them. One that
        cannot be read is left to the tasks, whose reading of it names the problem."""
        carried = []
        for source in sources:
            try:
                carried.append(Source(source.name, source.read()))
            except InputError:
                carried.append(source)
        return carried

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]
