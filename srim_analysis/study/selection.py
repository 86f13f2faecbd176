"""Which part of the study a run looks at: one site, or all of them.

The one definition of the "all sites" value and the one site filter that every stage uses.

>>> import pandas as pd
>>> frame = pd.DataFrame({"site_id": ["S1", "S2", "S1"], "n": [1, 2, 3]})
>>> for_site(frame, "S1")["n"].tolist()
[1, 3]
>>> len(for_site(frame, ALL_SITES))
3
"""

from __future__ import annotations

import pandas as pd

#: The value of a notebook's ``site`` parameter that means the whole study.
ALL_SITES = "all"


def is_all_sites(site: str | None) -> bool:
    """Return True when ``site`` means the whole study ("all", blank or None)."""
    return site in (None, "", ALL_SITES)


def for_site(frame: pd.DataFrame, site: str | None, column: str = "site_id") -> pd.DataFrame:
    """Return the rows of ``frame`` for one site (all rows for the whole study)."""
    if is_all_sites(site):
        return frame
    return frame[frame[column] == site]
