"""gis-tool: land readiness (markberedskap) site analysis for Swedish municipalities.

>>> import gis_tool
>>> result = gis_tool.run_analysis("layers/alingsas_demo.toml", profile="logistics")  # doctest: +SKIP
>>> result.top(5)  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .config import load_analysis as load_analysis  # noqa: E402
from .errors import InputError as InputError  # noqa: E402
from .inquiry import InquiryResult as InquiryResult  # noqa: E402
from .inquiry import inquiry as inquiry  # noqa: E402  (the function; the module is gis_tool.inquiry)
from .pipeline import Result as Result  # noqa: E402
from .pipeline import run_analysis as run_analysis  # noqa: E402
from .sensitivity import compare as compare  # noqa: E402
from .sensitivity import sensitivity as sensitivity  # noqa: E402

__all__ = ["InputError", "InquiryResult", "Result", "compare", "inquiry", "load_analysis",
           "run_analysis", "sensitivity", "__version__"]
