"""Report templates read from files and run in a sandbox held to the budget.

Our templates (`templates/`) and a user's (`--template FILE`, for `check` and `rules doc`) are
read by the one bounded reader (`advisor.inputs.files`), so `--template /dev/zero` is refused
unread, and run in Jinja's sandbox with the budget of `advisor.packs.budget`, scaled to the
number of decisions laid out. A user's template that does not compile or fails in any way
(an unknown name, a loop past the budget, a macro calling itself without end) is one line
naming the template and, when known, its line: a ConfigError, exit 2.
"""
from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence, Tuple, Union

from advisor.errors import ConfigError, InputError, Problem
from advisor.inputs.files import read_file
from advisor.inputs.yamlsafe import decode
from advisor.packs.budget import Limits, OverBudget
from advisor.packs.sandbox import budgeted, render_bounded

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment
    from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE_BYTES = 1024 * 1024  # of a template: ours are 2 to 8 KiB


def read_template(path: Union[str, Path]) -> str:
    """A template's text, read no further than MAX_TEMPLATE_BYTES; ConfigError otherwise."""
    try:
        return decode(read_file(path, MAX_TEMPLATE_BYTES), str(path))
    except InputError as error:
        raise ConfigError(error.problems) from None


def loader(folders: Sequence[Union[str, Path]]) -> "BaseLoader":
    """A loader of the templates in `folders` (for `{% include %}` and our own), each read bounded."""
    found: BaseLoader = _loader_class()([str(folder) for folder in folders])
    return found


@lru_cache(maxsize=None)
def _loader_class() -> Any:
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path  # refuses '..' as FileSystemLoader does

    class BoundedLoader(BaseLoader):
        """FileSystemLoader's search, with each file read by `read_template`."""

        def __init__(self, searchpath: Sequence[str]):
            self.searchpath = list(searchpath)

        def get_source(self, environment: Any, template: str) -> Tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)
            for folder in self.searchpath:
                candidate = Path(folder).joinpath(*pieces)
                if candidate.exists() and not candidate.is_dir():
                    filename = str(candidate)
                    mtime = candidate.stat().st_mtime
                    return read_template(filename), filename, partial(_unchanged, filename, mtime)
            raise TemplateNotFound(template)

    return BoundedLoader


def _unchanged(filename: str, mtime: float) -> bool:
    try:
        return Path(filename).stat().st_mtime == mtime
    except OSError:
        return False


def sandbox(**options: Any) -> "SandboxedEnvironment":
    """A sandboxed environment for reports, held to the budget."""
    from jinja2.sandbox import SandboxedEnvironment

    environment: SandboxedEnvironment = budgeted(SandboxedEnvironment)(**options)
    return environment


def render_file_template(environment: "Environment", path: Path, context: Mapping[str, Any], limits: Limits,
                         source: Optional[str] = None, given: int = 0) -> str:
    """The user's template at `path` (or its `source`, already read) rendered within `limits`
    (`given` being the length of the text it lays out); ConfigError with one line for
    whatever goes wrong in it."""
    from jinja2 import TemplateSyntaxError

    source = read_template(path) if source is None else source
    try:
        return render_bounded(environment.from_string(source), context, limits, given)
    except TemplateSyntaxError as error:
        raise ConfigError([Problem(str(path), f"template does not compile: {error.message}", error.lineno)]) from None
    except RecursionError as error:
        raise ConfigError([Problem(str(path), "template failed: it calls itself too deeply",
                                   template_line(error))]) from None
    except OverBudget as error:
        raise ConfigError([Problem(str(path), f"template would do too much work: {error}",
                                   template_line(error))]) from None
    except Exception as error:  # an unknown name, something the sandbox refuses, a bug in the template
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        raise ConfigError([Problem(str(path), f"template failed: {message}", template_line(error))]) from None


def template_line(error: BaseException) -> Optional[int]:
    """The line of the user's template where rendering failed, from the traceback's template frames."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
