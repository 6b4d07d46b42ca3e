"""Claims of the source documents, one module per chapter; importing this registers them all.

Every module of this package is imported, in alphabetical order, so a chapter's new claim module
(``cnnmath/claims/<chapter>.py``) is registered without a line here. Modules whose name starts with
an underscore hold shared material (the book's reconstructions of the sources' listings), not
claims.
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_module}")
