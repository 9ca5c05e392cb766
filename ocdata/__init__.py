"""ocdata — study an OpenCart store from Jupyter.

>>> import ocdata
>>> with ocdata.sandbox.serve() as shop:                                  # doctest: +SKIP
...     store = ocdata.connect(shop.url, shop.username, shop.key)
...     quote = store.quote(draft)
"""

from . import compare, sandbox, storedb
from .cache import Cache, sql
from .client import (
    Address,
    AuthenticationError,
    Cart,
    CartLine,
    CartProduct,
    Country,
    Customer,
    NotFoundError,
    OcdataError,
    OcdataWarning,
    OrderDraft,
    OrderResult,
    OrderStateUnknownError,
    PaymentMethod,
    PermissionDeniedError,
    ProtocolError,
    Quote,
    QuoteOption,
    ShippingQuote,
    Store,
    SubscriptionDraft,
    TotalLine,
    TransportError,
    ValidationError,
    Zone,
    connect,
)

from .frames import to_frame
from .study import Study
from .webhooks import events
from . import distributed, merge  # noqa: E402 - Study.run(executor=...); combining caches, Parquet export
from .multistore import MultiStoreStudy  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "connect", "Store", "sandbox", "storedb", "Study", "Cache", "sql", "to_frame", "compare", "plots", "events",
    "webhooks",
    "Address", "Cart", "CartLine", "CartProduct", "Country", "Customer", "OrderDraft", "OrderResult",
    "PaymentMethod", "Quote", "QuoteOption", "ShippingQuote", "SubscriptionDraft", "TotalLine", "Zone",
    "OcdataError", "AuthenticationError", "PermissionDeniedError", "ValidationError", "NotFoundError",
    "ProtocolError", "TransportError", "OrderStateUnknownError", "OcdataWarning",
    "widgets",
]


def __getattr__(name: str):
    # matplotlib and ipywidgets cost a third of a second each to import: load them on first use
    if name in ("plots", "widgets"):
        import importlib

        return importlib.import_module(f"ocdata.{name}")
    raise AttributeError(f"module 'ocdata' has no attribute {name!r}")
